/**
 * The page's own connection quality as signal bars (0-4, like Tencent Meeting), from its own
 * `getStats` of both connections: the selected candidate pair's round-trip time and available
 * bitrates, the inbound packet loss over the last interval, and the inbound audio jitter.
 * `readSample` and `signalBars` are pure (tested with recorded stats).
 */

type Stat = Record<string, unknown>;

/** What one look at the stats says; null where the browser gave no figure. */
export interface QualitySample {
  /** seconds, the selected candidate pair's currentRoundTripTime (the worse connection) */
  rtt: number | null;
  /** bit/s, the lowest of the connections' availableIncomingBitrate */
  availableIncoming: number | null;
  /** bit/s, the publish connection's availableOutgoingBitrate */
  availableOutgoing: number | null;
  /** share of inbound packets lost since the previous sample */
  loss: number | null;
  /** seconds, the largest inbound audio jitter */
  jitter: number | null;
}

/** Inbound packet counters, kept between two samples for the loss over the interval. */
export interface Counters {
  received: number;
  lost: number;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const worst = (a: number | null, b: number | null, pick: (x: number, y: number) => number) =>
  a === null ? b : b === null ? a : pick(a, b);

/** The selected candidate pair of one connection (`transport.selectedCandidatePairId`, or the
 * nominated succeeded pair). */
function selectedPair(stats: Stat[]): Stat | undefined {
  const transport = stats.find((s) => s.type === "transport" && typeof s.selectedCandidatePairId === "string");
  if (transport) {
    const pair = stats.find((s) => s.type === "candidate-pair" && s.id === transport.selectedCandidatePairId);
    if (pair) return pair;
  }
  return stats.find((s) => s.type === "candidate-pair" && s.state === "succeeded" && s.nominated === true);
}

/** The reports of this page's two connections, each as a list (absent: not connected). */
export interface ConnectionStats {
  publish?: Stat[];
  subscribe?: Stat[];
}

/**
 * One sample from the stats of both connections, and the counters to pass next time. The
 * outgoing estimate is the publish connection's (the subscribe connection sends only RTCP: its
 * estimate stays at the browser's 300 kbit/s start value), the incoming one the subscribe
 * connection's (where the browser gives it).
 */
export function readSample(connections: ConnectionStats, previous: Counters | null): { sample: QualitySample; counters: Counters } {
  let rtt: number | null = null;
  let incoming: number | null = null;
  let outgoing: number | null = null;
  let jitter: number | null = null;
  const counters: Counters = { received: 0, lost: 0 };
  for (const [name, stats] of Object.entries(connections) as [keyof ConnectionStats, Stat[] | undefined][]) {
    if (!stats) continue;
    const pair = selectedPair(stats);
    if (pair) {
      rtt = worst(rtt, num(pair.currentRoundTripTime), Math.max);
      if (name === "subscribe") incoming = num(pair.availableIncomingBitrate);
      else outgoing = num(pair.availableOutgoingBitrate);
    }
    for (const s of stats) {
      if (s.type !== "inbound-rtp") continue;
      counters.received += num(s.packetsReceived) ?? 0;
      counters.lost += Math.max(0, num(s.packetsLost) ?? 0);
      if (s.kind === "audio") jitter = worst(jitter, num(s.jitter), Math.max);
    }
  }
  let loss: number | null = null;
  if (previous) {
    const received = counters.received - previous.received;
    const lost = counters.lost - previous.lost;
    // counters that went back: a connection made anew; no figure this time
    if (received >= 0 && lost >= 0 && received + lost > 0) loss = lost / (received + lost);
  }
  return { sample: { rtt, availableIncoming: incoming, availableOutgoing: outgoing, loss, jitter }, counters };
}

/** Levels of each figure: at or below the first bound 4 bars, then 3, 2, 1, else 0. */
const RTT_BOUNDS = [0.15, 0.3, 0.6, 1.2];
const LOSS_BOUNDS = [0.02, 0.05, 0.1, 0.2];
const JITTER_BOUNDS = [0.05, 0.1, 0.2, 0.4];
/**
 * bit/s at or above: 4, 3, 2, 1 bars. The browser's estimate grows only with what it has to
 * send (it starts at 300 kbit/s; a station sending audio alone never needs more), so only a
 * low estimate says anything: below what audio and a small stream need (~200 kbit/s).
 */
const RATE_BOUNDS = [250_000, 150_000, 80_000, 40_000];

function below(value: number, bounds: number[]): number {
  const i = bounds.findIndex((b) => value <= b);
  return i === -1 ? 0 : 4 - i;
}

function above(value: number, bounds: number[]): number {
  const i = bounds.findIndex((b) => value >= b);
  return i === -1 ? 0 : 4 - i;
}

/** 0-4 bars: the worst of the figures known; null when none is (not connected yet). */
export function signalBars(s: QualitySample): number | null {
  const levels: number[] = [];
  if (s.rtt !== null) levels.push(below(s.rtt, RTT_BOUNDS));
  if (s.loss !== null) levels.push(below(s.loss, LOSS_BOUNDS));
  if (s.jitter !== null) levels.push(below(s.jitter, JITTER_BOUNDS));
  const rate = worst(s.availableIncoming, s.availableOutgoing, Math.min);
  if (rate !== null) levels.push(above(rate, RATE_BOUNDS));
  return levels.length ? Math.min(...levels) : null;
}

/** The figures for a tooltip: `RTT 45 ms · 丢包 0.5% · 抖动 12 ms · ↑1.2 Mb/s`. */
export function qualityFigures(s: QualitySample, words: { rtt: string; loss: string; jitter: string }): string {
  const parts: string[] = [];
  if (s.rtt !== null) parts.push(`${words.rtt} ${Math.round(s.rtt * 1000)} ms`);
  if (s.loss !== null) parts.push(`${words.loss} ${(s.loss * 100).toFixed(1)}%`);
  if (s.jitter !== null) parts.push(`${words.jitter} ${Math.round(s.jitter * 1000)} ms`);
  if (s.availableIncoming !== null) parts.push(`↓${fmtRate(s.availableIncoming)}`);
  if (s.availableOutgoing !== null) parts.push(`↑${fmtRate(s.availableOutgoing)}`);
  return parts.join(" · ");
}

/** bit/s as `850 kb/s` or `1.2 Mb/s`. */
export function fmtRate(bps: number): string {
  return bps >= 1_000_000 ? `${(bps / 1_000_000).toFixed(1)} Mb/s` : `${Math.round(bps / 1000)} kb/s`;
}

/** Samples the given connections every `intervalMs` while started. */
export class QualityMeter {
  sample: QualitySample | null = null;
  bars: number | null = null;
  private counters: Counters | null = null;
  private timer = 0;
  onSample: () => void = () => {};

  constructor(
    private readonly connections: () => { publish: RTCPeerConnection | null; subscribe: RTCPeerConnection | null },
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = window.setInterval(() => void this.measure(), this.intervalMs);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = 0;
    this.counters = null;
    this.sample = null;
    this.bars = null;
  }

  async measure(): Promise<void> {
    const pcs = this.connections();
    if (![pcs.publish, pcs.subscribe].some((pc) => pc?.connectionState === "connected")) {
      this.counters = null;
      this.sample = null;
      this.bars = null;
      this.onSample();
      return;
    }
    const reports: ConnectionStats = {};
    for (const [name, pc] of Object.entries(pcs) as [keyof ConnectionStats, RTCPeerConnection | null][]) {
      if (!pc || pc.connectionState !== "connected") continue;
      const list: Stat[] = [];
      (await pc.getStats()).forEach((s: Stat) => list.push(s));
      reports[name] = list;
    }
    const { sample, counters } = readSample(reports, this.counters);
    this.counters = counters;
    this.sample = sample;
    this.bars = signalBars(sample);
    this.onSample();
  }
}
