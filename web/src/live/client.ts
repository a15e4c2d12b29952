/**
 * HubClient: the station's side of a live session. Owns the socket, the two peer
 * connections and the local media, and drives the sequence of docs/protocol.md
 * ("A client's sequence"). The UI only listens to its events and calls its methods;
 * tests reach the same object as `window.hubClient`.
 */
import { Emitter } from "../common/emitter";
import { getLang, t, tMaybe } from "../common/i18n";
import { LocalMedia, type AcquireResult, type MediaKind } from "./media";
import { CONTENT_MAX_FRAMERATE, PublishPeer, SubscribePeer, type OutboundVideo, type RemoteMedia, type RemoteStats } from "./peer";
import { ReceiveChoice, layersByParticipant } from "./receive";
import type {
  AudioLevels,
  ControlAction,
  ControlLogEntry,
  LiveOpinion,
  OpinionNews,
  ControlPayload,
  ControlState,
  HubError,
  Monitor,
  JoinResult,
  Kicked,
  Participant,
  Ring,
  SessionInfo,
  SubscribeOffer,
  SubscribeTracks,
  RecordingStopped,
  VideoLayerInfo,
} from "./protocol";
import { mergeOpinions } from "../opinions/merge";
import { HubRequestError, Signaling } from "./signaling";

export type ClientState = "prejoin" | "joining" | "live" | "left" | "reconnecting" | "error";

/**
 * Network change without leaving (docs/protocol.md, "Keeping the participant"): for this long
 * after its socket or media was lost the page resumes its participant (same id, floor, hand,
 * drawer) with new media connections; after that it joins anew. Below the hub's
 * `signaling.resume_seconds` (20 s by default).
 */
export const RECOVER_MS = 15000;
/** A control refused as `not_joined` waits this long for a resume under way before it fails. */
const RESUME_WAIT_MS = 5000;
/** A `restartMedia` not answered within this long means the socket died with the network. */
const RESTART_ACK_MS = 1500;
/** A connection `disconnected` this long (not coming back by itself) is restarted. */
const DISCONNECTED_GRACE_MS = 1000;
/**
 * Nothing received on either connection for this long, and no answer to a `ping` within
 * PROBE_MS, means the network went away under the page (browsers say `disconnected` only
 * after 5-7 s): media was flowing (BUSY) or only the relay's RTCP reports and consent
 * checks, every 0.5-1.5 s, were coming (IDLE).
 */
const STALL_BUSY_MS = 500;
const STALL_IDLE_MS = 3000;
const FLOW_CHECK_MS = 200;
/**
 * A `ping` not answered within this long after a stall: the socket is gone too. Generous: a
 * hub slowed by load must not make its pages reconnect (and load it more).
 */
const PROBE_MS = 500;
/** Inbound bytes per millisecond above which media counts as flowing (8 kB/s). */
const BUSY_RATE = 8;
export type SocketState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

export interface FatalInfo {
  kind: "join" | "kicked" | "token" | "ended";
  error?: HubError;
  kickReason?: string;
  /** `sessionEnded` status: ended | cancelled. */
  endStatus?: string;
}

/** This participant's request to speak: none, waiting in the queue, has the floor, just declined. */
export type HandStatus = "none" | "waiting" | "floor" | "declined";

/** The ack of a control action, as the hub sent it. */
export type ControlAck = { ok: true; control: ControlState } | { ok: false; error: HubError };

/**
 * `hubClient.control`: call it to send a dispatcher action (`control("rollCall",
 * {participantId})` → the ack); its own properties mirror the last control state
 * (`hubClient.control.stage`, `.hands`, …; a plain copy is `hubClient.controlState`).
 */
export type ControlFn = ((action: ControlAction, fields?: Omit<ControlPayload, "action">) => Promise<ControlAck>) &
  Partial<ControlState>;

interface ClientEvents {
  state: (s: ClientState) => void;
  participants: () => void;
  self: () => void;
  session: () => void;
  remote: () => void;
  levels: () => void;
  connection: () => void;
  local: () => void;
  toast: (e: HubError) => void;
  control: () => void;
  monitor: () => void;
  controlLog: (e: ControlLogEntry) => void;
  /** an opinion of this session was captured or took a handling step (dispatchers) */
  opinion: (e: OpinionNews, kind: "captured" | "updated") => void;
  /** the opinions taken in this sitting before the dispatcher joined were read (`opinions` holds them) */
  opinions: () => void;
  hand: () => void;
  /** this page started or stopped sharing content */
  content: () => void;
  /** a dispatcher calls this station (the page is open, not joined) */
  ring: (r: Ring) => void;
  /** which stream of each camera the relay sends this page changed (`layers`) */
  layers: () => void;
}

export interface LogEntry {
  t: number;
  dir: "in" | "out" | "sys";
  event: string;
  detail?: unknown;
}

export class HubClient extends Emitter<ClientEvents> {
  state: ClientState = "prejoin";
  self: Participant | null = null;
  session: SessionInfo | null = null;
  /** Other participants by id (a plain object so tests can serialize it). */
  participants: Record<string, Participant> = {};
  /** Remote tracks by participant id. */
  remote = new Map<string, RemoteMedia>();
  levels: Record<string, number> = {};
  speaking: string | null = null;
  socketState: SocketState = "idle";
  reconnectAttempt = 0;
  fatal: FatalInfo | null = null;
  errors: HubError[] = [];
  log: LogEntry[] = [];
  /** The last control state (layout, stage, floor, hands, heard, …); null before joining. */
  controlState: ControlState | null = null;
  /** performance.now() when controlState arrived (hands' waiting times tick from it). */
  controlAt = 0;
  readonly control: ControlFn;
  /** Dispatchers only: the last `monitor` figures and the live control log. */
  monitor: Monitor | null = null;
  controlLog: ControlLogEntry[] = [];
  /**
   * Dispatchers only: the opinions of this sitting, newest taken first: those taken before
   * the console joined (read on every join, `GET /api/sessions/{number}/opinions`) and
   * those heard of live since.
   */
  opinions: LiveOpinion[] = [];
  hand: HandStatus = "none";
  /** The page waited in the 等候室 for the lobby to open (it then joins by itself). */
  waitingRoom = false;
  /** Joins from the waiting room that the hub refused as not open yet (its clock ticks later). */
  waitingRetries = 0;
  private handLowering = false;
  private handTimer = 0;
  private controlGen = -1;
  readonly media = new LocalMedia();
  /** 画质: what this page asks to receive (`receive`), and the relay's `layers` by participant. */
  readonly receive = new ReceiveChoice();
  layers: Record<string, VideoLayerInfo> = {};
  readonly token: string | null;
  readonly sessionId: string | null;

  private signaling: Signaling | null = null;
  private publish: PublishPeer | null = null;
  private subscribe: SubscribePeer | null = null;
  private iceServers: RTCIceServer[] = [];
  private wantJoined = false;
  private joinInFlight = false;
  private generation = 0;
  private pendingOffers: (SubscribeOffer | SubscribeTracks)[] = [];
  private lastToast = { key: "", at: 0 };
  /** Date.now() when the socket or the media was lost; 0 while all is well. */
  private lostAt = 0;
  private recovering = false;
  private disconnectedTimer = 0;
  private giveUpTimer = 0;
  private networkType: string | undefined;
  private flowTimer = 0;
  /** Bytes received so far, when they last changed, when media last flowed (busyAt). */
  private flow = { bytes: -1, at: 0, busyAt: -Infinity };
  private lastSocketCycle = 0;
  /** Media restarts and resumes done (for tests and diagnostics). */
  mediaRestarts = 0;
  resumes = 0;

  constructor(opts: { token: string | null; sessionId: string | null }) {
    super();
    this.token = opts.token;
    this.sessionId = opts.sessionId;
    this.control = Object.assign(
      (action: ControlAction, fields: Omit<ControlPayload, "action"> = {}) => this.sendControl(action, fields),
      {},
    ) as ControlFn;
    // The device changed networks (Wi-Fi → 4G): restart both connections at once rather
    // than wait for ICE to notice. `type` is known on phones (Network Information API).
    const conn = (navigator as Navigator & { connection?: EventTarget & { type?: string } }).connection;
    this.networkType = conn?.type;
    conn?.addEventListener?.("change", () => {
      if (conn.type === this.networkType) return;
      this.networkType = conn.type;
      this.resumeOnNewSocket("network changed");
    });
    window.addEventListener("online", () => this.resumeOnNewSocket("back online"));
    this.receive.onChange = () => this.sendReceive();
  }

  /** Tell the hub what this page wants to receive (after every join, and when it changes). */
  private sendReceive(): void {
    if (this.state !== "live" || !this.signaling) return;
    const payload = this.receive.payload;
    this.logEvent("out", "receive", payload);
    this.signaling.request("receive", payload).catch((e) => this.reportRequestError(e));
  }

  /** The camera's outbound streams (big and small) and any shared content, as sent. */
  async outboundVideo(): Promise<OutboundVideo[]> {
    return this.publish ? this.publish.outboundVideo() : [];
  }

  get publishPc(): RTCPeerConnection | null {
    return this.publish?.pc ?? null;
  }
  get subscribePc(): RTCPeerConnection | null {
    return this.subscribe?.pc ?? null;
  }
  get publishNegotiations(): number {
    return this.publish?.negotiations ?? 0;
  }
  get subscribeNegotiations(): number {
    return this.subscribe?.negotiations ?? 0;
  }
  get camera(): boolean {
    return this.media.live("video");
  }
  get mic(): boolean {
    return this.media.live("audio");
  }

  /* ------------------------------------------------------------ public API */

  /** Open camera/mic for the pre-join preview (or for joining). */
  async prepareMedia(): Promise<AcquireResult> {
    const res = await this.media.acquire({ audio: true, video: this.media.cameraOn });
    this.emit("local");
    return res;
  }

  /** Connect and join (what the Join button does). Resolves once live or failed. */
  async join(): Promise<void> {
    if (this.state === "joining" || this.state === "live" || this.state === "reconnecting") return;
    if (!this.token) {
      this.fatal = { kind: "token" };
      this.setState("error");
      return;
    }
    this.fatal = null;
    this.lostAt = 0;
    this.setState("joining");
    // Rejoin after leave/kick: reopen what the operator had switched on.
    if (!this.media.audioTrack || (this.media.cameraOn && !this.media.videoTrack)) {
      const res = await this.media.acquire({ audio: this.media.micOn || !this.media.audioTrack, video: this.media.cameraOn });
      void res;
      this.emit("local");
    }
    this.wantJoined = true;
    const sig = this.ensureSignaling();
    const done = new Promise<void>((resolve) => {
      const off = this.on("state", (s) => {
        if (s === "live" || s === "error" || s === "left") {
          off();
          resolve();
        }
      });
    });
    if (sig.connected) void this.doJoin();
    else {
      this.setSocketState("connecting");
      sig.connect();
    }
    return done;
  }

  /** 双流: this page's shared screen or document, while it shares. */
  contentTrack: MediaStreamTrack | null = null;

  get sharing(): boolean {
    return !!this.contentTrack;
  }

  /**
   * Share a screen, window or tab (`getDisplayMedia`) as a second video source: high
   * resolution, at most 5 frames a second, contentHint "detail". One source per session: a
   * refusal (`content_busy`) is toasted and nothing is sent.
   */
  async startShare(): Promise<boolean> {
    const sig = this.signaling;
    const pub = this.publish;
    if (!sig || !pub || this.state !== "live" || this.contentTrack) return false;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { max: CONTENT_MAX_FRAMERATE }, width: { max: 1920 }, height: { max: 1080 } },
        audio: false,
      });
    } catch (e) {
      console.warn("[hub] no screen shared", e);
      return false;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return false;
    try {
      await sig.request("share", { on: true });
    } catch (e) {
      track.stop();
      this.reportRequestError(e);
      return false;
    }
    this.contentTrack = track;
    track.addEventListener("ended", () => void this.stopShare());
    await pub.setContent(track, stream);
    await pub.negotiate();
    this.logEvent("sys", "share", { on: true });
    this.emit("content");
    return true;
  }

  /** Stop sharing (the page's button, the browser's own "stop sharing", or the dispatcher). */
  async stopShare(tellHub = true): Promise<void> {
    const track = this.contentTrack;
    if (!track) return;
    this.contentTrack = null;
    track.stop();
    const pub = this.publish;
    if (pub) {
      await pub.setContent(null);
      await pub.negotiate().catch(() => undefined);
    }
    if (tellHub) await this.signaling?.request("share", { on: false }).catch(() => undefined);
    this.logEvent("sys", "share", { on: false });
    this.emit("content");
  }

  /** The last call (呼叫) heard while not joined; cleared on joining. */
  ringing: Ring | null = null;
  private watcher: Signaling | null = null;

  /**
   * While the page is open but not joined: a socket of its own that waits to be called
   * (`watch`; a dispatcher's `call` arrives as `ring`). Stations only; idempotent.
   */
  watch(): void {
    if (this.watcher || !this.token) return;
    const sig = new Signaling();
    this.watcher = sig;
    sig.onLifecycle("connect", () => {
      void sig.request("watch", { token: this.token ?? "" }).catch((e) => {
        // not a station's link (a deputy, a dispatcher) or no longer valid: nothing to wait for
        console.warn("[hub] not watching for calls", e);
        this.unwatch();
      });
    });
    sig.on("ring", (r) => {
      this.ringing = r;
      this.logEvent("in", "ring", r);
      this.emit("ring", r);
    });
    sig.connect();
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Back to the pre-join screen after a refused join (the waiting room tries again). */
  backToPrejoin(): void {
    if (this.state !== "error") return;
    this.fatal = null;
    this.setState("prejoin");
  }

  /** Leave the session: `leave`, close both connections, release camera and mic. */
  async leave(): Promise<void> {
    if (this.state === "left" || this.state === "prejoin") return;
    this.wantJoined = false;
    this.generation++;
    this.stopWatching();
    const sig = this.signaling;
    if (sig?.connected && this.self) {
      this.logEvent("out", "leave");
      await sig.request("leave", {}, 3000).catch(() => undefined);
    }
    this.closePeers();
    sig?.close();
    this.setSocketState("closed");
    this.media.stopAll();
    this.emit("local");
    this.participants = {};
    this.remote = new Map();
    this.levels = {};
    this.speaking = null;
    this.resetControl();
    this.emit("participants");
    this.emit("remote");
    this.setState("left");
  }

  async setCamera(on: boolean): Promise<void> {
    await this.setKind("video", on);
  }

  async setMic(on: boolean): Promise<void> {
    await this.setKind("audio", on);
  }

  /** Switch device (pre-join preview or live: the sender's track is replaced in place). */
  async selectDevice(kind: MediaKind, deviceId: string): Promise<void> {
    try {
      const track = await this.media.selectDevice(kind, deviceId);
      if (track && this.publish) await this.publish.replaceTrack(kind, track);
    } catch (err) {
      console.warn("[hub] device switch failed", err);
      this.toast({ code: "media_error", message: t("mediaReasonOther") });
    }
    this.emit("local");
  }

  get isDispatcher(): boolean {
    return this.self?.role === "dispatcher";
  }

  /** 申请发言: ask for the floor. Resolves with the hub's ack. */
  async raiseHand(): Promise<{ ok: boolean; error?: HubError }> {
    const sig = this.signaling;
    if (!sig || this.state !== "live") return { ok: false, error: { code: "not_joined", message: t("errNotJoined"), event: "raiseHand" } };
    this.logEvent("out", "raiseHand");
    try {
      await sig.request("raiseHand", {});
      if (this.hand !== "floor") this.setHand("waiting");
      return { ok: true };
    } catch (e) {
      this.reportRequestError(e);
      return { ok: false, error: e instanceof HubRequestError ? e.hubError : { code: "internal_error", message: t("errUnexpected") } };
    }
  }

  /** Withdraw the request to speak. */
  async lowerHand(): Promise<{ ok: boolean; error?: HubError }> {
    const sig = this.signaling;
    if (!sig || this.state !== "live") return { ok: false, error: { code: "not_joined", message: t("errNotJoined"), event: "lowerHand" } };
    this.logEvent("out", "lowerHand");
    this.handLowering = true;
    if (this.hand === "waiting" || this.hand === "declined") this.setHand("none");
    try {
      await sig.request("lowerHand", {});
      return { ok: true };
    } catch (e) {
      this.reportRequestError(e);
      return { ok: false, error: e instanceof HubRequestError ? e.hubError : { code: "internal_error", message: t("errUnexpected") } };
    } finally {
      this.handLowering = false;
    }
  }

  /**
   * A dispatcher's control action; resolves with the ack (never rejects). An action sent while
   * the page is resuming (重连中: a new socket, the same participant) waits for it and goes out
   * then; one the hub refused as `not_joined` because the page was resuming unbeknown to it is
   * sent once more when the page is live again. The hub carried out neither, so nothing doubles.
   */
  private async sendControl(action: ControlAction, fields: Omit<ControlPayload, "action">): Promise<ControlAck> {
    const notJoined: ControlAck = { ok: false, error: { code: "not_joined", message: t("errNotJoined"), event: "control" } };
    const payload: ControlPayload = { action, ...fields };
    for (let attempt = 0; ; attempt++) {
      if (this.state !== "live" && !(this.wantJoined && (await this.nextLive(RECOVER_MS)))) return notJoined;
      const sig = this.signaling;
      if (!sig) return notJoined;
      this.logEvent("out", "control", payload);
      try {
        const res = await sig.request("control", payload);
        return { ok: true, control: res.control };
      } catch (e) {
        const err = e instanceof HubRequestError ? e.hubError : { code: "internal_error", message: t("errUnexpected"), event: "control" };
        if (err.code === "not_joined" && attempt === 0 && this.wantJoined && (await this.nextLive(RESUME_WAIT_MS, true))) continue;
        this.toast(err);
        return { ok: false, error: err };
      }
    }
  }

  /**
   * Resolves true when the page next becomes live, false after `ms`: at once if it is live and
   * not resuming, unless `again` (the hub said it is not joined: a resume it has not seen yet).
   */
  private nextLive(ms: number, again = false): Promise<boolean> {
    const waiting = again || this.state !== "live" || this.joinInFlight || this.lostAt > 0;
    return new Promise((resolve) => {
      let off = (): void => {};
      const timer = window.setTimeout(() => {
        off();
        resolve(!waiting && this.state === "live");  // a wait that timed out fails
      }, waiting ? ms : 0);
      off = this.on("state", (s) => {
        if (s !== "live") return;
        off();
        window.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Seconds a hand has been waiting, ticking from the last control state. */
  handWaiting(participantId: string): number | null {
    const h = this.controlState?.hands.find((x) => x.participantId === participantId);
    if (!h) return null;
    return h.waitingSeconds + (performance.now() - this.controlAt) / 1000;
  }

  private setControl(state: ControlState): void {
    this.controlState = state;
    this.controlAt = performance.now();
    const fn = this.control as unknown as Record<string, unknown>;
    for (const k of Object.keys(fn)) delete fn[k];
    Object.assign(fn, state);
    this.updateHand();
    this.emit("control");
  }

  private updateHand(): void {
    const me = this.self?.id;
    const cs = this.controlState;
    if (!me || !cs) return;
    if (cs.floor === me) this.setHand("floor");
    else if (cs.hands.some((h) => h.participantId === me)) {
      if (!this.handLowering) this.setHand("waiting");
    } else if (this.hand === "waiting" && !this.handLowering) this.setHand("declined");
    else if (this.hand === "floor") this.setHand("none");
  }

  private setHand(h: HandStatus): void {
    if (this.hand === h) return;
    this.hand = h;
    window.clearTimeout(this.handTimer);
    if (h === "declined") {
      this.handTimer = window.setTimeout(() => this.hand === "declined" && this.setHand("none"), 6000);
    }
    this.emit("hand");
  }

  /** Per remote participant: inbound RTP counters summed over its transceivers. */
  async remoteStats(): Promise<Record<string, RemoteStats>> {
    return this.subscribe ? this.subscribe.stats() : {};
  }

  /* ------------------------------------------------------------ internals */

  private async setKind(kind: MediaKind, on: boolean): Promise<void> {
    if (on && !this.media.track(kind)) {
      // Never acquired (or released before joining): open it, add it, renegotiate.
      this.media.setEnabled(kind, true);
      const res = await this.media.acquire({ audio: kind === "audio", video: kind === "video" });
      const err = res.errors[kind];
      if (err) {
        this.media.setEnabled(kind, false);
        this.toast({ code: "media_error", message: err, event: kind === "video" ? "camera" : "mic" });
        this.emit("local");
        return;
      }
      const track = this.media.track(kind);
      if (track && this.publish) {
        this.publish.addTrack(track, this.media.stream);
        this.sendMediaState();
        this.emit("local");
        await this.publish.negotiate().catch((e) => this.reportRequestError(e));
        return;
      }
    } else if (!on && this.state === "prejoin" && kind === "video") {
      // Before joining, switching the camera off releases it (the camera light goes off).
      this.media.setEnabled(kind, false);
      this.media.release(kind);
    } else {
      this.media.setEnabled(kind, on);
    }
    this.sendMediaState();
    this.emit("local");
  }

  private sendMediaState(): void {
    if (this.state !== "live" || !this.signaling) return;
    const payload = { camera: this.media.live("video"), mic: this.media.live("audio") };
    this.logEvent("out", "mediaState", payload);
    this.signaling.request("mediaState", payload).catch((e) => this.reportRequestError(e));
    if (this.self) {
      this.self = { ...this.self, media: payload };
      this.emit("self");
    }
  }

  private resetControl(): void {
    this.controlState = null;
    const fn = this.control as unknown as Record<string, unknown>;
    for (const k of Object.keys(fn)) delete fn[k];
    this.monitor = null;
    this.hand = "none";
    window.clearTimeout(this.handTimer);
    this.emit("control");
    this.emit("hand");
  }

  /** The hub closed this connection for good (kicked, removed, session ended). */
  private terminate(sig: Signaling, fatal: FatalInfo): void {
    this.wantJoined = false;
    this.generation++;
    this.stopWatching();
    this.closePeers();
    sig.close();
    this.setSocketState("closed");
    this.media.stopAll();
    this.participants = {};
    this.remote = new Map();
    this.resetControl();
    this.emit("participants");
    this.emit("remote");
    this.emit("local");
    this.fatal = fatal;
    this.setState("error");
  }

  private ensureSignaling(): Signaling {
    if (this.signaling) return this.signaling;
    const sig = new Signaling();
    this.signaling = sig;

    sig.onLifecycle("connect", () => {
      this.logEvent("sys", "connect");
      this.reconnectAttempt = 0;
      this.setSocketState("connected");
      if (this.wantJoined) void this.doJoin();
    });
    sig.onLifecycle("disconnect", (reason) => {
      this.logEvent("sys", "disconnect", reason);
      if (!this.wantJoined) {
        this.setSocketState("closed");
        return;
      }
      this.generation++;
      this.joinInFlight = false;
      this.recovering = false;
      if (this.state === "live" || this.lostAt) this.markLost();
      this.closePeers();
      this.remote = new Map();
      this.emit("remote");
      this.setSocketState("reconnecting");
      if (this.state === "live" || this.state === "joining") {
        this.setState(this.state === "live" ? "reconnecting" : "joining");
      }
      // A server-side disconnect is not retried by Socket.IO by itself.
      if (reason === "io server disconnect") {
        window.setTimeout(() => {
          if (this.wantJoined && !sig.connected) sig.connect();
        }, 1000);
      }
    });
    sig.onLifecycle("reconnectAttempt", (n) => {
      this.reconnectAttempt = n;
      this.setSocketState("reconnecting");
    });
    sig.onLifecycle("connectError", (err) => {
      this.logEvent("sys", "connect_error", err.message);
      if (this.socketState !== "reconnecting") this.setSocketState("reconnecting");
      else this.emit("connection");
    });

    sig.on("subscribeOffer", (offer) => {
      this.logEvent("in", "subscribeOffer", offer.tracks);
      if (this.subscribe) this.applyOffer(this.subscribe, offer);
      else if (this.joinInFlight) this.pendingOffers.push(offer);
    });
    sig.on("subscribeTracks", (update) => {
      this.logEvent("in", "subscribeTracks", update.tracks);
      if (this.subscribe) this.applyOffer(this.subscribe, update);
      else if (this.joinInFlight) this.pendingOffers.push(update);
    });
    sig.on("participantJoined", ({ participant }) => {
      this.logEvent("in", "participantJoined", participant.id);
      this.upsert(participant);
    });
    sig.on("participantUpdated", ({ participant }) => {
      this.logEvent("in", "participantUpdated", participant.id);
      this.upsert(participant);
    });
    sig.on("participantLeft", ({ participantId, reason }) => {
      this.logEvent("in", "participantLeft", { participantId, reason });
      if (this.participants[participantId]) {
        delete this.participants[participantId];
        this.emit("participants");
      }
      if (this.remote.delete(participantId)) this.emit("remote");
      delete this.levels[participantId];
      if (this.speaking === participantId) this.speaking = null;
    });
    sig.on("audioLevels", (l: AudioLevels) => {
      this.levels = l.levels ?? {};
      this.speaking = l.speaking ?? null;
      this.emit("levels");
    });
    sig.on("kicked", (k: Kicked) => {
      this.logEvent("in", "kicked", k);
      this.terminate(sig, { kind: "kicked", kickReason: k.reason });
    });
    sig.on("sessionEnded", (e) => {
      this.logEvent("in", "sessionEnded", e);
      this.terminate(sig, { kind: "ended", endStatus: e.status });
    });
    sig.on("contentStopped", (e) => {
      this.logEvent("in", "contentStopped", e);
      void this.stopShare(false);
    });
    sig.on("control", (cs: ControlState) => {
      this.logEvent("in", "control", { stage: cs.stage, floor: cs.floor, heard: cs.heard });
      this.controlGen = this.generation;
      this.setControl(cs);
    });
    sig.on("monitor", (m: Monitor) => {
      this.monitor = m;
      this.emit("monitor");
    });
    sig.on("recordingStopped", (e: RecordingStopped) => {
      this.logEvent("in", "recordingStopped", e);
      this.emit("toast", { code: "recording_stopped", message: t("recordingStopped", { reason: tMaybe(`recordingStopped_${e.reason}`, e.reason) }) });
    });
    sig.on("controlLog", (e: ControlLogEntry) => {
      this.logEvent("in", "controlLog", e);
      this.controlLog.push(e);
      if (this.controlLog.length > 200) this.controlLog.shift();
      this.emit("controlLog", e);
    });
    const onOpinion = (kind: "captured" | "updated") => (e: OpinionNews) => {
      this.logEvent("in", kind === "captured" ? "opinionCaptured" : "opinionUpdated", { id: e.opinion.id, action: e.action });
      this.opinions = mergeOpinions(this.opinions, [e.opinion]);
      this.emit("opinion", e, kind);
    };
    sig.on("opinionCaptured", onOpinion("captured"));
    sig.on("opinionUpdated", onOpinion("updated"));
    sig.on("layers", (l) => {
      this.logEvent("in", "layers", l.layers);
      this.layers = layersByParticipant(l.layers);
      this.emit("layers");
    });
    sig.on("error", (e: HubError) => {
      this.logEvent("in", "error", e);
      this.toast(e);
    });
    return sig;
  }

  private upsert(p: Participant): void {
    if (this.self && p.id === this.self.id) {
      this.self = p;
      this.emit("self");
      return;
    }
    this.participants[p.id] = p;
    this.emit("participants");
  }

  /** `join` and build both connections; used for the first join and after every reconnect. */
  private async doJoin(): Promise<void> {
    const sig = this.signaling;
    if (!sig || !this.token || this.joinInFlight) return;
    const gen = ++this.generation;
    this.joinInFlight = true;
    this.pendingOffers = [];
    let res: JoinResult | null = null;
    try {
      if (this.canResume()) {
        // The same participant continues on this socket: no leave, no join for the others.
        this.logEvent("out", "resume");
        res = await sig.request("resume", { token: this.token, participantId: this.self!.id, lang: getLang() }).catch(
          (err: unknown) => {
            if (err instanceof HubRequestError && err.hubError.code === "timeout") throw err;
            this.logEvent("sys", "resumeRefused", err instanceof HubRequestError ? err.hubError.code : String(err));
            return null; // removed meanwhile: join anew
          },
        );
        if (gen !== this.generation) return;
        if (res) this.resumes++;
      }
      if (!res) {
        this.lostAt = 0;
        this.logEvent("out", "join");
        res = await sig.request("join", { token: this.token, lang: getLang() });
      }
    } catch (err) {
      if (gen !== this.generation) return;
      this.joinInFlight = false;
      const e = err instanceof HubRequestError ? err.hubError : { code: "internal_error", message: t("errUnexpected") };
      if (e.code === "timeout" && this.wantJoined) {
        // No answer: drop the connection and let Socket.IO reconnect and retry.
        sig.socket.disconnect();
        window.setTimeout(() => this.wantJoined && sig.connect(), 1000);
        return;
      }
      this.wantJoined = false;
      sig.close();
      this.setSocketState("closed");
      this.fatal = { kind: "join", error: e };
      this.errors.push(e);
      this.setState("error");
      return;
    }
    if (gen !== this.generation) return;

    this.self = res.self;
    this.session = res.session;
    // A `control` event that arrived after the join request (it carries `heard`) is newer.
    if (this.controlGen !== gen && res.control) this.setControl(res.control);
    else this.updateHand();
    this.iceServers = res.iceServers ?? [];
    this.participants = {};
    for (const p of res.participants ?? []) if (p.id !== res.self.id) this.participants[p.id] = p;
    this.levels = {};
    this.speaking = null;
    this.remote = new Map();
    this.layers = {};

    this.buildPeers(sig);

    this.emit("session");
    this.emit("self");
    this.emit("participants");
    this.emit("remote");
    this.emit("connection");
    this.setState("live");
    this.sendMediaState();
    const r = this.receive.payload;
    if (r.profile !== "full" || r.audioOnly || r.maxHeight !== null) this.sendReceive();
    if (res.self.role === "dispatcher" && res.session.number != null) void this.loadOpinions(gen, res.session.number);
    if (this.lostAt) this.armGiveUp();
    this.watchFlow();
    await this.negotiatePublish();
  }

  /**
   * Both connections anew (after join, resume or restartMedia): offers that arrived meanwhile
   * are applied in order; the publish side offers once its tracks are in.
   */
  private buildPeers(sig: Signaling): void {
    this.closePeers();
    this.flow = { bytes: -1, at: 0, busyAt: -Infinity };
    const sub = new SubscribePeer(
      this.iceServers,
      (answer) => {
        this.logEvent("out", "subscribeAnswer");
        return sig.request("subscribeAnswer", answer);
      },
      (c) => sig.request("subscribeIce", c).catch((e) => this.reportRequestError(e)),
    );
    sub.onRemoteChange = (remote) => {
      this.remote = remote;
      this.emit("remote");
    };
    sub.pc.onconnectionstatechange = () => this.onPeerState();
    this.subscribe = sub;

    const pub = new PublishPeer(
      this.iceServers,
      (offer) => {
        this.logEvent("out", "publishOffer");
        return sig.request("publishOffer", offer);
      },
      (c) => {
        this.logEvent("out", "publishIce", c.candidate);
        sig.request("publishIce", c).catch((e) => this.reportRequestError(e));
      },
    );
    pub.pc.onconnectionstatechange = () => this.onPeerState();
    this.publish = pub;
    for (const kind of ["audio", "video"] as MediaKind[]) {
      const tr = this.media.track(kind);
      if (tr && tr.readyState === "live") pub.addTrack(tr, this.media.stream);
    }

    this.joinInFlight = false;
    for (const o of this.pendingOffers.splice(0)) this.applyOffer(sub, o);
  }

  private async negotiatePublish(): Promise<void> {
    // A receive-only station (no camera, no microphone) has nothing to offer yet; it
    // publishes as soon as it switches a device on.
    const pub = this.publish;
    if (pub && pub.pc.getTransceivers().length > 0) {
      await pub.negotiate().catch((e) => this.reportRequestError(e));
    }
  }

  /* ------------------------------------------------ keeping the participant */

  private canResume(): boolean {
    return !!this.self && this.lostAt > 0 && Date.now() - this.lostAt < RECOVER_MS;
  }

  private markLost(): void {
    if (!this.lostAt) this.lostAt = Date.now();
  }

  /** Media is connected again: each connection in use is `connected` (none in use: a
   * console alone in its room has nothing to connect). */
  private mediaUp(): boolean {
    const pcs = [this.publish?.pc, this.subscribe?.pc].filter(
      (pc): pc is RTCPeerConnection => !!pc && pc.connectionState !== "new",
    );
    return pcs.every((pc) => pc.connectionState === "connected");
  }

  private onPeerState(): void {
    this.emit("connection");
    const states = [this.publish?.pc.connectionState, this.subscribe?.pc.connectionState];
    this.logEvent("sys", "peers", states.join("/"));
    if (states.includes("failed")) {
      void this.recoverMedia("ice failed");
    } else if (states.includes("disconnected")) {
      window.clearTimeout(this.disconnectedTimer);
      this.disconnectedTimer = window.setTimeout(() => {
        const now = [this.publish?.pc.connectionState, this.subscribe?.pc.connectionState];
        if (now.includes("disconnected")) void this.recoverMedia("ice disconnected");
      }, DISCONNECTED_GRACE_MS);
    } else if (this.lostAt && this.mediaUp()) {
      this.logEvent("sys", "mediaBack", { afterMs: Date.now() - this.lostAt });
      this.clearRecovery();
    }
  }

  /**
   * ICE failed or the network changed: both connections anew for the same participant
   * (`restartMedia`; the hub's aiortc cannot restart ICE in place). No answer in time means
   * the socket went down with the network: it is cycled, and `resume` follows on connect.
   */
  private async recoverMedia(reason: string): Promise<void> {
    const sig = this.signaling;
    if (!sig || this.state !== "live" || this.recovering || this.joinInFlight) return;
    this.recovering = true;
    this.markLost();
    this.armGiveUp();
    this.logEvent("sys", "recoverMedia", reason);
    const gen = this.generation;
    // Offers for the new subscribe connection may come before the answer: keep them.
    this.closePeers();
    this.joinInFlight = true;
    this.pendingOffers = [];
    try {
      const res = await sig.request("restartMedia", {}, RESTART_ACK_MS);
      if (gen !== this.generation) return;
      this.iceServers = res.iceServers ?? this.iceServers;
      this.mediaRestarts++;
      this.buildPeers(sig);
      this.emit("connection");
      await this.negotiatePublish();
    } catch (err) {
      if (gen !== this.generation) return;
      this.joinInFlight = false;
      const code = err instanceof HubRequestError ? err.hubError.code : "";
      this.logEvent("sys", "restartMediaFailed", code || String(err));
      if (code === "timeout" || code === "not_joined") {
        // A dead socket (or the hub forgot us): reconnect; `resume` or `join` follows.
        this.cycleSocket(sig);
      } else {
        this.reportRequestError(err);
      }
    } finally {
      if (gen === this.generation) this.recovering = false;
    }
  }

  /**
   * The network went away under the page: the socket is as dead as the media, though
   * Socket.IO will not say so for seconds. Reconnect it now; `resume` follows on connect and
   * builds both connections anew for the same participant.
   */
  private resumeOnNewSocket(reason: string): void {
    const sig = this.signaling;
    if (!sig || this.state !== "live" || this.joinInFlight) return;
    const now = Date.now();
    if (now - this.lastSocketCycle < 5000) return; // one at a time: the last one is still going
    this.lastSocketCycle = now;
    this.markLost();
    this.armGiveUp();
    this.logEvent("sys", "resumeOnNewSocket", reason);
    this.cycleSocket(sig);
  }

  /**
   * A new socket for the same participant. `detach` first: should the old socket still
   * work, its closing must not count as leaving (it arrives before the close; on a dead
   * socket neither arrives and the hub waits anyway).
   */
  private cycleSocket(sig: Signaling): void {
    sig.socket.emit("detach", {});
    sig.socket.disconnect();
    sig.connect();
  }

  /** Polls what arrives on both connections; a stall means the network changed. */
  private watchFlow(): void {
    if (this.flowTimer) return;
    this.flowTimer = window.setInterval(() => void this.checkFlow(), FLOW_CHECK_MS);
  }

  private async checkFlow(): Promise<void> {
    if (this.state !== "live" || this.recovering || this.joinInFlight) return;
    const pcs = [this.publish?.pc, this.subscribe?.pc].filter(
      (pc): pc is RTCPeerConnection => !!pc && pc.connectionState === "connected",
    );
    if (pcs.length === 0) return;
    let bytes = 0;
    for (const pc of pcs) {
      (await pc.getStats()).forEach((r: Record<string, unknown>) => {
        if (r.type === "transport" && typeof r.bytesReceived === "number") bytes += r.bytesReceived;
      });
    }
    const now = performance.now();
    if (bytes !== this.flow.bytes) {
      const busy = this.flow.bytes >= 0 && (bytes - this.flow.bytes) / Math.max(1, now - this.flow.at) > BUSY_RATE;
      this.flow = { bytes, at: now, busyAt: busy ? now : this.flow.busyAt };
      return;
    }
    // Media flowed within the second before the silence (the last sample may be a partial one).
    const busy = this.flow.at - this.flow.busyAt < 1000;
    if (now - this.flow.at > (busy ? STALL_BUSY_MS : STALL_IDLE_MS)) {
      this.flow = { bytes: -1, at: now, busyAt: -Infinity };
      // Media also stops for good reasons (the only publisher left): only if the socket
      // is silent as well did the network go away.
      const sig = this.signaling;
      const gen = this.generation;
      this.recovering = true;
      const alive = await sig
        ?.request("ping", {}, PROBE_MS)
        .then(() => true)
        .catch(() => false);
      if (gen !== this.generation) return;
      this.recovering = false;
      if (alive) this.logEvent("sys", "stallWithSocket");
      else this.resumeOnNewSocket("media and socket stalled");
    }
  }

  /** After RECOVER_MS without media, stop resuming: join anew (a new participant). */
  private armGiveUp(): void {
    if (this.giveUpTimer) return;
    this.giveUpTimer = window.setTimeout(() => {
      this.giveUpTimer = 0;
      if (!this.lostAt || !this.wantJoined) return;
      if (this.mediaUp() && this.state === "live") {
        this.clearRecovery();
        return;
      }
      this.logEvent("sys", "recoverGaveUp");
      this.lostAt = 0;
      const sig = this.signaling;
      if (sig?.connected) void this.doJoin();
    }, Math.max(0, RECOVER_MS - (Date.now() - this.lostAt)));
  }

  private stopWatching(): void {
    this.clearRecovery();
    window.clearInterval(this.flowTimer);
    this.flowTimer = 0;
  }

  private clearRecovery(): void {
    this.lostAt = 0;
    window.clearTimeout(this.giveUpTimer);
    window.clearTimeout(this.disconnectedTimer);
    this.giveUpTimer = 0;
  }

  /**
   * The opinions taken in this sitting so far (a dispatcher joining or rejoining mid-way
   * heard nothing of them), merged with what the socket told meanwhile: of two copies of
   * an opinion the higher `version` wins.
   */
  private async loadOpinions(gen: number, number: number): Promise<void> {
    let items: LiveOpinion[];
    try {
      const res = await fetch(`/api/sessions/${number}/opinions`, {
        headers: {
          Accept: "application/json",
          "Accept-Language": getLang() === "en" ? "en" : "zh-CN",
          Authorization: `Bearer ${this.token}`,
        },
        cache: "no-store",
      });
      const data = await res.json();
      if (!res.ok) {
        this.toast({ code: data?.error?.code ?? "internal_error", message: data?.error?.message ?? t("errHttp", { status: res.status }) });
        return;
      }
      items = (data as { items: LiveOpinion[] }).items;
    } catch (err) {
      console.error("[hub] reading the session's opinions failed", err);
      return;
    }
    if (gen !== this.generation) return; // a newer join reads its own
    this.logEvent("in", "sessionOpinions", { count: items.length });
    this.opinions = mergeOpinions(this.opinions, items);
    this.emit("opinions");
  }

  /** Apply, in order, an offer or a mid-map update (`subscribeTracks`). */
  private applyOffer(sub: SubscribePeer, offer: SubscribeOffer | SubscribeTracks): void {
    const done = "sdp" in offer ? sub.handleOffer(offer) : sub.handleTracks(offer.tracks);
    done.catch((e) => this.reportRequestError(e));
  }

  private closePeers(): void {
    if (this.contentTrack) {
      // a new connection does not carry the old share: stop it (the hub forgot it with the participant)
      this.contentTrack.stop();
      this.contentTrack = null;
      this.emit("content");
    }
    this.publish?.close();
    this.subscribe?.close();
    this.publish = null;
    this.subscribe = null;
    this.emit("connection");
  }

  private reportRequestError(err: unknown): void {
    if (err instanceof HubRequestError) {
      if (err.hubError.code === "timeout" && !this.signaling?.connected) return;
      this.toast(err.hubError);
    } else {
      console.error("[hub]", err);
      this.toast({ code: "media_error", message: t("errUnexpected") });
    }
  }

  /** Show a hub error once (the hub reports a failure both by ack and by `error` event). */
  private toast(e: HubError): void {
    const key = `${e.code}|${e.event ?? ""}|${e.message}`;
    const now = Date.now();
    if (key === this.lastToast.key && now - this.lastToast.at < 2000) return;
    this.lastToast = { key, at: now };
    this.errors.push(e);
    if (this.errors.length > 100) this.errors.shift();
    this.emit("toast", e);
  }

  private setState(s: ClientState): void {
    if (this.state === s) return;
    this.state = s;
    if (s === "live") {
      this.ringing = null;
      this.unwatch();
    }
    this.logEvent("sys", "state", s);
    this.emit("state", s);
  }

  private setSocketState(s: SocketState): void {
    this.socketState = s;
    this.emit("connection");
  }

  private logEvent(dir: LogEntry["dir"], event: string, detail?: unknown): void {
    this.log.push({ t: Date.now(), dir, event, detail });
    if (this.log.length > 300) this.log.shift();
  }
}

