/**
 * The pre-join device check beyond the camera preview: a microphone level meter, the
 * speaker (audio output) choice with a test sound, and the network check against the hub
 * with a plain verdict. The chosen speaker is remembered and used for every remote voice
 * (station/audio.ts).
 */
import { t } from "../common/i18n";
import { h, setText } from "../common/dom";
import { checkNetwork, type NetResult } from "../live/joininfo";

const SPEAKER_KEY = "liaisonHub.speaker";

/** The remembered audio output ("" = the system default). */
export function speakerId(): string {
  try {
    return window.localStorage.getItem(SPEAKER_KEY) ?? "";
  } catch {
    return "";
  }
}

function rememberSpeaker(id: string): void {
  try {
    window.localStorage.setItem(SPEAKER_KEY, id);
  } catch {
    /* storage unavailable */
  }
}

type SinkElement = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };

/** Play `el` on the remembered speaker, where the browser can choose one. */
export async function applySpeaker(el: HTMLMediaElement, id = speakerId()): Promise<void> {
  const sink = el as SinkElement;
  if (!sink.setSinkId) return;
  try {
    await sink.setSinkId(id);
  } catch (err) {
    console.warn("[hub] speaker choice failed", err);
  }
}

/** The microphone's level, 0–1, drawn as a bar (`mic-meter`, `data-level`). */
export class MicMeter {
  readonly el: HTMLElement;
  private readonly bar = h("span", { class: "mic-meter-bar" });
  private ctx: AudioContext | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private analyser: AnalyserNode | null = null;
  private track: MediaStreamTrack | null = null;
  private timer = 0;
  level = 0;

  constructor() {
    this.el = h("span", { class: "mic-meter", "data-testid": "mic-meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100" }, this.bar);
    this.show(0);
  }

  /** Listen to `track` (or stop listening: null). */
  attach(track: MediaStreamTrack | null): void {
    if (track === this.track) return;
    this.detach();
    this.track = track;
    if (!track) return;
    try {
      this.ctx ??= new AudioContext();
      this.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 512;
      this.source.connect(this.analyser);
      void this.ctx.resume().catch(() => undefined);
    } catch (err) {
      console.warn("[hub] mic meter unavailable", err);
      return;
    }
    const data = new Float32Array(this.analyser.fftSize);
    this.timer = window.setInterval(() => {
      if (!this.analyser) return;
      this.analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      const rms = Math.sqrt(sum / data.length);
      // about -50 dBFS (silence) … -10 dBFS (loud speech) onto 0 … 1
      const db = 20 * Math.log10(Math.max(rms, 1e-6));
      this.show(Math.min(1, Math.max(0, (db + 50) / 40)));
    }, 100);
  }

  private show(level: number): void {
    this.level = level;
    const pct = Math.round(level * 100);
    this.bar.style.width = `${pct}%`;
    this.el.dataset.level = String(Math.round(level * 100) / 100);
    this.el.setAttribute("aria-valuenow", String(pct));
    this.el.setAttribute("aria-label", t("micLevel"));
  }

  private detach(): void {
    window.clearInterval(this.timer);
    this.source?.disconnect();
    this.source = null;
    this.analyser = null;
    this.track = null;
    this.show(0);
  }

  destroy(): void {
    this.detach();
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
  }
}

/** The speaker select (`speaker-select`) and its test sound (`speaker-test`, `data-playing`). */
export class SpeakerCheck {
  readonly select = h("select", { "data-testid": "speaker-select" });
  readonly test = h("button", { type: "button", class: "btn-secondary btn-small", "data-testid": "speaker-test" });
  private playing = false;

  constructor() {
    this.select.addEventListener("change", () => rememberSpeaker(this.select.value));
    this.test.addEventListener("click", () => void this.play());
    this.render();
  }

  /** Fill the select from the audio outputs (labels appear once the page may use the mic). */
  async refresh(): Promise<void> {
    let outputs: MediaDeviceInfo[] = [];
    try {
      outputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "audiooutput");
    } catch {
      /* no device list */
    }
    const current = speakerId();
    this.select.replaceChildren();
    if (outputs.length === 0) {
      this.select.append(h("option", { value: "" }, t("defaultDevice")));
    }
    outputs.forEach((d, i) => {
      const label = d.label || (d.deviceId === "default" ? t("defaultDevice") : `${t("speaker")} ${i + 1}`);
      this.select.append(h("option", { value: d.deviceId === "default" ? "" : d.deviceId, selected: (d.deviceId === "default" ? "" : d.deviceId) === current }, label));
    });
    this.select.disabled = outputs.length <= 1;
  }

  /** A short two-tone chime on the chosen speaker. */
  async play(): Promise<void> {
    if (this.playing) return;
    this.playing = true;
    this.render();
    const ctx = new AudioContext();
    const out = ctx.createMediaStreamDestination();
    const gain = ctx.createGain();
    gain.gain.value = 0.2;
    gain.connect(out);
    const audio = h("audio", { "data-testid": "speaker-test-audio" });
    audio.srcObject = out.stream;
    await applySpeaker(audio, this.select.value);
    try {
      await audio.play();
    } catch {
      /* autoplay refused: the click should have allowed it */
    }
    const t0 = ctx.currentTime;
    for (const [freq, at] of [[660, 0], [880, 0.35]] as const) {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.3);
    }
    await new Promise((r) => window.setTimeout(r, 800));
    audio.srcObject = null;
    await ctx.close().catch(() => undefined);
    this.playing = false;
    this.render();
  }

  render(): void {
    setText(this.test, this.playing ? t("speakerTesting") : t("speakerTest"));
    this.test.dataset.playing = String(this.playing);
  }
}

/** The network check (`net-check` button, `net-result` with `data-verdict`). */
export class NetCheck {
  readonly button = h("button", { type: "button", class: "btn-secondary btn-small", "data-testid": "net-check" });
  readonly result = h("span", { class: "net-result", "data-testid": "net-result", role: "status" });
  private state: "idle" | "running" | "done" | "failed" = "idle";
  private last: NetResult | null = null;

  constructor(private readonly token: string | null) {
    this.button.addEventListener("click", () => void this.run());
    this.render();
  }

  async run(): Promise<void> {
    if (!this.token || this.state === "running") return;
    this.state = "running";
    this.render();
    try {
      this.last = await checkNetwork(this.token);
      this.state = "done";
    } catch (err) {
      console.warn("[hub] network check failed", err);
      this.state = "failed";
    }
    this.render();
  }

  render(): void {
    setText(this.button, this.state === "running" ? t("netChecking") : t("netCheck"));
    this.button.disabled = !this.token || this.state === "running";
    const r = this.last;
    let text = "";
    if (this.state === "failed") text = t("netFailed");
    else if (r && this.state === "done") text = t(`net_${r.verdict}`, { rtt: r.rttMs, mbps: r.mbps });
    setText(this.result, text);
    this.result.dataset.verdict = this.state === "done" && r ? r.verdict : this.state === "failed" ? "failed" : "";
    if (r) {
      this.result.dataset.rtt = String(r.rttMs);
      this.result.dataset.mbps = String(r.mbps);
    }
  }
}
