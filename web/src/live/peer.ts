/**
 * The two RTCPeerConnections of a participant (docs/protocol.md, "Transport"):
 *  - PublishPeer: own camera and microphone to the hub; the client makes every offer.
 *  - SubscribePeer: everyone else's media from the hub; the hub makes every offer and the
 *    client answers; tracks are mapped to participants by transceiver mid via `tracks`.
 */
import type { IcePayload, PublishAnswer, SdpPayload, SubscribeOffer, TrackMapping } from "./protocol";
import type { MediaKind } from "./media";

export interface RemoteMedia {
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack;
  /** 双流: the participant's shared screen or document */
  content?: MediaStreamTrack;
}

/** Shared content: high resolution, few frames (text stays sharp), a little more bitrate. */
export const CONTENT_MAX_FRAMERATE = 5;
const CONTENT_MAX_BITRATE = 1_500_000;

/** Mark the content's media section `a=content:slides` (RFC 4796) in the offer sent to the hub
 * (the relay names that track `content` to every subscriber). */
export function markContent(sdp: string, mid: string | null): string {
  return markSection(sdp, mid, "a=content:slides");
}

/** Mark the camera's small stream (大小流) `a=content:alt` (RFC 4796: an alternative of the
 * main picture): the relay forwards it to the subscribers that show this camera as a thumbnail. */
export function markAlt(sdp: string, mid: string | null): string {
  return markSection(sdp, mid, "a=content:alt");
}

function markSection(sdp: string, mid: string | null, line: string): string {
  if (!mid) return sdp;
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(eol);
  const i = lines.indexOf(`a=mid:${mid}`);
  if (i < 0 || lines.includes(line)) return sdp;
  lines.splice(i + 1, 0, line);
  return lines.join(eol);
}

/**
 * The small stream (大小流): a second sender of the camera track, scaled down by the browser to
 * about SMALL_HEIGHT lines (320×180 of a 16:9 camera), few frames and little bitrate, as
 * Tencent TRTC and Agora send for thumbnails. `?small=off` sends the big stream alone (to
 * measure what the small one costs).
 */
export const SMALL_HEIGHT = 180;
export const SMALL_MAX_BITRATE = 150_000;
export const SMALL_MAX_FRAMERATE = 15;
export const smallStream = { enabled: true };

/** `scaleResolutionDownBy` that brings a camera `height` pixels tall to about SMALL_HEIGHT. */
export function smallScale(height: number | undefined): number {
  const h = height && height > 0 ? height : 540;
  return Math.max(1, h / SMALL_HEIGHT);
}

/** One outbound video stream as the browser sends it (getStats `outbound-rtp`). */
export interface OutboundVideo {
  mid: string;
  /** the small stream (`a=content:alt`) */
  small: boolean;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  bytesSent: number;
  targetBitrate: number;
}

export interface RemoteStats {
  videoFramesDecoded: number;
  audioSamplesReceived: number;
  audioBytes: number;
  videoBytes: number;
  frameWidth: number;
  frameHeight: number;
}

function iceToPayload(c: RTCIceCandidate | null): IcePayload {
  if (!c || !c.candidate) return { candidate: null };
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

/** Runs async jobs one after another. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job, job);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

const VIDEO_MAX_BITRATE = 1_000_000;

/**
 * ICE options of both connections. `?ice=relay` sets transportPolicy "relay": only the TURN
 * server's candidates are used (a network that lets nothing else through, and the TURN test).
 */
export const iceOptions: { transportPolicy: RTCIceTransportPolicy } = { transportPolicy: "all" };

function rtcConfiguration(iceServers: RTCIceServer[]): RTCConfiguration {
  return { iceServers, bundlePolicy: "max-bundle", iceTransportPolicy: iceOptions.transportPolicy };
}

export class PublishPeer {
  readonly pc: RTCPeerConnection;
  private readonly queue = new SerialQueue();
  private offerSent = false;
  private pendingIce: IcePayload[] = [];
  private closed = false;
  /** Number of completed negotiations (for tests and diagnostics). */
  negotiations = 0;

  constructor(
    iceServers: RTCIceServer[],
    private readonly sendOffer: (offer: SdpPayload) => Promise<PublishAnswer>,
    private readonly sendIce: (c: IcePayload) => void,
  ) {
    this.pc = new RTCPeerConnection(rtcConfiguration(iceServers));
    this.pc.onicecandidate = (ev) => {
      const payload = iceToPayload(ev.candidate);
      if (this.offerSent) this.sendIce(payload);
      else this.pendingIce.push(payload);
    };
  }

  /** The transceiver of the shared content (双流), once there is one. */
  private content: RTCRtpTransceiver | null = null;
  /** The transceiver of the camera's small stream (大小流), once there is one. */
  private small: RTCRtpTransceiver | null = null;

  sender(kind: MediaKind): RTCRtpSender | undefined {
    return this.pc
      .getTransceivers()
      .find((t) => t !== this.content && t !== this.small && t.currentDirection !== "stopped" && (t.sender.track?.kind ?? t.receiver.track.kind) === kind)?.sender;
  }

  /** The camera's small stream beside the big one: the same track, scaled down by the browser. */
  private addSmall(track: MediaStreamTrack, stream: MediaStream): void {
    if (!smallStream.enabled) return;
    if (this.small) {
      void this.replaceSmall(track);
      return;
    }
    this.small = this.pc.addTransceiver(track, {
      direction: "sendonly",
      streams: [stream],
      sendEncodings: [{
        scaleResolutionDownBy: smallScale(track.getSettings().height),
        maxBitrate: SMALL_MAX_BITRATE,
        maxFramerate: SMALL_MAX_FRAMERATE,
      }],
    });
    preferCodecs(this.small, videoCodecPreference.order);
  }

  /** The small stream follows the camera (a device switch, a new track, none): scaled anew. */
  private async replaceSmall(track: MediaStreamTrack | null): Promise<void> {
    const sender = this.small?.sender;
    if (!sender) return;
    await sender.replaceTrack(track);
    if (!track) return;
    const params = sender.getParameters();
    const enc = params.encodings?.[0];
    const scale = smallScale(track.getSettings().height);
    if (enc && enc.scaleResolutionDownBy !== scale) {
      enc.scaleResolutionDownBy = scale;
      await sender.setParameters(params).catch((e) => console.warn("[hub] small stream not rescaled", e));
    }
  }

  /** The outbound video streams (big, small, content) as the browser sends them. */
  async outboundVideo(): Promise<OutboundVideo[]> {
    const out: OutboundVideo[] = [];
    const smallMid = this.small?.mid ?? null;
    const num = (v: unknown) => (typeof v === "number" ? v : 0);
    (await this.pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type !== "outbound-rtp" || s.kind !== "video") return;
      const mid = typeof s.mid === "string" ? s.mid : "";
      out.push({
        mid,
        small: mid !== "" && mid === smallMid,
        frameWidth: num(s.frameWidth),
        frameHeight: num(s.frameHeight),
        framesPerSecond: num(s.framesPerSecond),
        bytesSent: num(s.bytesSent),
        targetBitrate: num(s.targetBitrate),
      });
    });
    return out;
  }

  /** Share a screen or document as a second video source (call negotiate() afterwards). */
  async setContent(track: MediaStreamTrack | null, stream?: MediaStream): Promise<void> {
    if (!track) {
      if (this.content) {
        await this.content.sender.replaceTrack(null);
        this.content.direction = "inactive";
      }
      return;
    }
    track.contentHint = "detail";
    if (this.content) {
      this.content.direction = "sendonly";
      await this.content.sender.replaceTrack(track);
      return;
    }
    this.content = this.pc.addTransceiver(track, {
      direction: "sendonly",
      streams: stream ? [stream] : [],
      sendEncodings: [{ maxBitrate: CONTENT_MAX_BITRATE, maxFramerate: CONTENT_MAX_FRAMERATE }],
    });
    preferCodecs(this.content, videoCodecPreference.order);
  }

  hasTrack(kind: MediaKind): boolean {
    return !!this.sender(kind)?.track;
  }

  /** Add a track as a sendonly transceiver (call negotiate() afterwards). */
  addTrack(track: MediaStreamTrack, stream: MediaStream): void {
    const existing = this.sender(track.kind as MediaKind);
    if (existing) {
      void existing.replaceTrack(track);
      if (track.kind === "video") void this.replaceSmall(track);
      return;
    }
    const tr = this.pc.addTransceiver(track, {
      direction: "sendonly",
      streams: [stream],
      sendEncodings: track.kind === "video" ? [{ maxBitrate: VIDEO_MAX_BITRATE }] : undefined,
    });
    if (track.kind === "video") {
      preferCodecs(tr, videoCodecPreference.order);
      this.addSmall(track, stream);
    }
  }

  /** A new track for a kind (a device switch): on the camera's big and small stream alike. */
  async replaceTrack(kind: MediaKind, track: MediaStreamTrack | null): Promise<void> {
    await this.sender(kind)?.replaceTrack(track);
    if (kind === "video") await this.replaceSmall(track);
  }

  /** Offer → `publishOffer` → answer. Serialized; safe to call repeatedly. */
  negotiate(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      const local = this.pc.localDescription ?? offer;
      const contentMid = this.content && this.content.direction === "sendonly" ? this.content.mid : null;
      const sdp = markAlt(markContent(local.sdp ?? "", contentMid), this.small?.mid ?? null);
      const answerP = this.sendOffer({ sdp, type: "offer" });
      if (!this.offerSent) {
        this.offerSent = true;
        for (const c of this.pendingIce.splice(0)) this.sendIce(c);
      }
      const answer = await answerP;
      if (this.closed) return;
      await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.negotiations++;
    });
  }

  close(): void {
    this.closed = true;
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}

/**
 * The order in which the page offers video codecs. VP8 first by default; `?codec=h264`
 * puts H264 first (constrained baseline, packetization-mode 1: what every browser decodes).
 */
export const videoCodecPreference = { order: ["video/VP8", "video/H264"] };

/** Put the preferred codecs first (keeping the rest), so the hub can forward without transcoding. */
function preferCodecs(tr: RTCRtpTransceiver, mimeTypes: string[]): void {
  try {
    const caps = RTCRtpSender.getCapabilities?.("video");
    if (!caps || typeof tr.setCodecPreferences !== "function") return;
    const rank = (c: { mimeType: string; sdpFmtpLine?: string }) => {
      const i = mimeTypes.findIndex((m) => m.toLowerCase() === c.mimeType.toLowerCase());
      if (i === -1) return mimeTypes.length * 4;
      const fmtp = c.sdpFmtpLine ?? "";
      const h264Penalty = c.mimeType.toLowerCase() === "video/h264"
        ? (fmtp.includes("packetization-mode=1") ? 0 : 2) + (fmtp.includes("profile-level-id=42e0") ? 0 : 1)
        : 0;
      return i * 4 + h264Penalty;
    };
    const sorted = [...caps.codecs].sort((a, b) => rank(a) - rank(b));
    tr.setCodecPreferences(sorted);
  } catch {
    /* keep the browser's default order */
  }
}

export class SubscribePeer {
  readonly pc: RTCPeerConnection;
  private readonly queue = new SerialQueue();
  private closed = false;
  /** mid → which participant's media the transceiver carries (from the last offer). */
  readonly midMap = new Map<string, TrackMapping>();
  /** participant id → its remote tracks. */
  remote = new Map<string, RemoteMedia>();
  /** Number of offers answered (for tests and diagnostics). */
  negotiations = 0;
  /** Number of `subscribeTracks` applied (for tests and diagnostics). */
  retargets = 0;
  onRemoteChange: (remote: Map<string, RemoteMedia>) => void = () => {};

  constructor(
    iceServers: RTCIceServer[],
    private readonly sendAnswer: (answer: SdpPayload) => Promise<unknown>,
    private readonly sendIce: (c: IcePayload) => void,
  ) {
    this.pc = new RTCPeerConnection(rtcConfiguration(iceServers));
    this.pc.onicecandidate = (ev) => this.sendIce(iceToPayload(ev.candidate));
    this.pc.ontrack = () => this.reconcile();
  }

  /** Apply a `subscribeOffer`: set remote, answer, map tracks. Serialized. */
  handleOffer(offer: SubscribeOffer): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.midMap.clear();
      for (const m of offer.tracks ?? []) this.midMap.set(String(m.mid), m);
      await this.pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      const local = this.pc.localDescription ?? answer;
      // The answer is sent before the remote map is rebuilt so the hub is not kept waiting.
      const sent = this.sendAnswer({ sdp: local.sdp ?? "", type: "answer" });
      this.negotiations++;
      this.reconcile();
      await sent;
    });
  }

  /**
   * Apply a `subscribeTracks`: the hub moved publishers between negotiated
   * transceivers without an offer (the floor moved outside this station's
   * pictures). Serialized after any offer still being answered.
   */
  handleTracks(tracks: TrackMapping[]): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.midMap.clear();
      for (const m of tracks) this.midMap.set(String(m.mid), m);
      this.retargets++;
      this.reconcile();
    });
  }

  /** Rebuild participant → tracks from the transceivers and the mid table. */
  reconcile(): void {
    if (this.closed) return;
    const next = new Map<string, RemoteMedia>();
    for (const t of this.pc.getTransceivers()) {
      if (t.mid == null) continue;
      const m = this.midMap.get(t.mid);
      if (!m) continue;
      const track = t.receiver.track;
      if (!track || track.readyState === "ended") continue;
      const entry = next.get(m.participantId) ?? {};
      if (m.kind === "audio" || track.kind === "audio") entry.audio = track;
      else if (m.content) entry.content = track;
      else entry.video = track;
      next.set(m.participantId, entry);
    }
    let changed = next.size !== this.remote.size;
    if (!changed) {
      for (const [id, r] of next) {
        const o = this.remote.get(id);
        if (!o || o.audio !== r.audio || o.video !== r.video || o.content !== r.content) {
          changed = true;
          break;
        }
      }
    }
    this.remote = next;
    if (changed) this.onRemoteChange(next);
  }

  /** Inbound RTP counters per remote participant, mapped through the mid table. */
  async stats(): Promise<Record<string, RemoteStats>> {
    const out: Record<string, RemoteStats> = {};
    const blank = (): RemoteStats => ({
      videoFramesDecoded: 0,
      audioSamplesReceived: 0,
      audioBytes: 0,
      videoBytes: 0,
      frameWidth: 0,
      frameHeight: 0,
    });
    for (const m of this.midMap.values()) out[m.participantId] ??= blank();
    if (this.closed) return out;

    // Fallback key: the receiver track id (inbound-rtp `trackIdentifier`).
    const byTrackId = new Map<string, TrackMapping>();
    for (const t of this.pc.getTransceivers()) {
      const m = t.mid != null ? this.midMap.get(t.mid) : undefined;
      if (m) byTrackId.set(t.receiver.track.id, m);
    }
    const report = await this.pc.getStats();
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== "inbound-rtp") return;
      const mid = typeof s.mid === "string" ? s.mid : undefined;
      const m =
        (mid !== undefined ? this.midMap.get(mid) : undefined) ??
        (typeof s.trackIdentifier === "string" ? byTrackId.get(s.trackIdentifier) : undefined);
      if (!m) return;
      const r = (out[m.participantId] ??= blank());
      const num = (v: unknown) => (typeof v === "number" ? v : 0);
      const kind = (s.kind ?? s.mediaType ?? m.kind) as string;
      if (kind === "video") {
        r.videoBytes += num(s.bytesReceived);
        r.videoFramesDecoded += num(s.framesDecoded);
        r.frameWidth = Math.max(r.frameWidth, num(s.frameWidth));
        r.frameHeight = Math.max(r.frameHeight, num(s.frameHeight));
      } else {
        r.audioBytes += num(s.bytesReceived);
        r.audioSamplesReceived += num(s.totalSamplesReceived);
      }
    });
    return out;
  }

  close(): void {
    this.closed = true;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
    this.remote = new Map();
  }
}
