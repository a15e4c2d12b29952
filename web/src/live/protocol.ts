/**
 * Typed payloads of the hub's Socket.IO signaling protocol.
 * Mirrors docs/protocol.md one to one; field names are camelCase as on the wire.
 */
import type { Lang } from "../common/i18n";
import type { LiveOpinion } from "../opinions/types";

export type { Lang };

export type ErrorCode =
  | "invalid_payload"
  | "token_invalid"
  | "token_expired"
  | "session_not_found"
  | "session_closed"
  | "station_not_found"
  | "not_joined"
  | "forbidden"
  | "control_refused"
  | "session_locked"
  | "media_error"
  | "internal_error";

/** The error object of `error` events and of failed acknowledgements. */
export interface HubError {
  code: ErrorCode | string;
  message: string;
  event?: string;
}

export type StationLevel = "general" | "branch" | "town" | "room" | string;

export interface Station {
  code: string;
  name: string;
  nameEn?: string;
  level: StationLevel;
}

export type PeerConnectionStateName =
  | "new"
  | "connecting"
  | "connected"
  | "disconnected"
  | "failed"
  | "closed";

export interface Participant {
  /** New for every join. */
  id: string;
  /** Stays the same across rejoins (the token's `sub`). */
  identity: string;
  role: string;
  station: Station | null;
  displayName: string;
  /** What the participant says it has switched on. */
  media: { camera: boolean; mic: boolean };
  /** What the relay actually receives. */
  publishing: Array<"audio" | "video">;
  /** The relay's view of the participant's publish connection. */
  connection: PeerConnectionStateName | string;
}

export interface SessionInfo {
  id: string;
  /** the session's number in the REST API */
  number?: number;
  title: string;
  titleEn?: string;
  /** dispatchers only: the session's stations, in matrix order (the absent ones can be called) */
  stations?: SessionStation[];
}

export interface SessionStation {
  code: string;
  name: string;
  nameEn: string;
}

/** `ring`: a dispatcher calls this station's open page (呼叫). */
export interface Ring {
  session: { id: string; number: number; title: string; titleEn: string };
  station: string;
  by: string;
}

/* ---------- client → server ---------- */

export interface JoinRequest {
  token: string;
  lang: Lang;
}

export interface SdpPayload {
  sdp: string;
  type: "offer" | "answer";
}

export interface IcePayload {
  candidate: string | null;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export interface MediaStatePayload {
  camera: boolean;
  mic: boolean;
}

/* ---------- results (acknowledgements) ---------- */

export type Ack<T extends object = Record<string, never>> =
  | ({ ok: true } & T)
  | { ok: false; error: HubError };

export interface JoinResult {
  self: Participant;
  session: SessionInfo;
  participants: Participant[];
  control?: ControlState;
  iceServers: RTCIceServer[];
  /** `resume` only: the same participant continues on this socket. */
  resumed?: boolean;
}

export interface ResumeRequest {
  token: string;
  participantId: string;
  lang?: "zh-CN" | "en";
}

export interface PublishAnswer {
  sdp: string;
  type: "answer";
}

/* ---------- server → client ---------- */

export interface TrackMapping {
  mid: string;
  participantId: string;
  kind: "audio" | "video";
  /** the participant's shared screen or document (双流), not its camera */
  content?: boolean;
}

export interface SubscribeOffer {
  sdp: string;
  type: "offer";
  tracks: TrackMapping[];
}

/** `subscribeTracks`: transceivers now carry other publishers, same SDP (no answer). */
export interface SubscribeTracks {
  tracks: TrackMapping[];
}

export type LeftReason = "left" | "disconnected" | "replaced" | "removed" | string;

export interface ParticipantEvent {
  participant: Participant;
}

export interface ParticipantLeft {
  participantId: string;
  reason: LeftReason;
}

export interface AudioLevels {
  /** RFC 6464 −dBov: 0 loudest, 127 silence. */
  levels: Record<string, number>;
  speaking: string | null;
}

export interface Kicked {
  reason: "replaced" | string;
}

/* ---------- live control (MCU style) ---------- */

export type Layout = "single" | "1+N" | "2x2" | "3x3" | "4x4";
export const LAYOUTS: Layout[] = ["single", "1+N", "2x2", "3x3", "4x4"];

export interface PollingState {
  order: string[];
  interval: number;
  current: string | null;
  paused: boolean;
}

export interface HandState {
  participantId: string;
  waitingSeconds: number;
}

/** The session's control state (`control` event, `join` result, `control` ack). */
export interface ControlState {
  layout: Layout | string;
  stage: string | null;
  floor: string | null;
  broadcast: string | null;
  voiceActivated: boolean;
  speaker: string | null;
  othersMaySpeak: boolean;
  muteAll: boolean;
  muted: string[];
  polling: PollingState | null;
  hands: HandState[];
  locked: boolean;
  /** The recording while one runs (every page shows 录制中), else null. */
  recording?: RecordingState | null;
  /** Whose audio the relay forwards (absent from a `control` ack). */
  heard?: string[];
  /** 双流: who shares a screen or document (one at a time) */
  content?: string | null;
  /** the dispatcher put the shared content on the stage for everyone */
  contentOnStage?: boolean;
}

export interface RecordingState {
  id: string;
  /** Unix seconds */
  startedAt: number;
}

/** `recordingStopped` (dispatchers): a recording stopped by itself. */
export interface RecordingStopped {
  /** `disk` (a write error, a full disk), `budget` (the disk budget), `cannot_start` (a scheduled one) */
  reason: string;
  id: string | null;
}

export type ControlAction =
  | "rollCall"
  | "broadcast"
  | "startPolling"
  | "pausePolling"
  | "skipPolling"
  | "stopPolling"
  | "layout"
  | "voiceActivated"
  | "mute"
  | "muteAll"
  | "allowOthers"
  | "approveHand"
  | "declineHand"
  | "remove"
  | "lock"
  | "end"
  | "call"
  | "contentStage"
  | "stopContent"
  | "record";

export interface ControlPayload {
  action: ControlAction;
  participantId?: string | null;
  on?: boolean;
  layout?: Layout | string;
  order?: string[];
  interval?: number;
  /** call: the station's code */
  station?: string;
}

export type MonitorWarning = "offline" | "packet_loss" | "high_rtt" | "low_bitrate" | "no_video" | string;

export interface MonitorTile {
  participantId: string;
  displayName: string;
  online: boolean;
  camera: boolean;
  mic: boolean;
  bitrate: { audio: number; video: number };
  packetLoss: number | null;
  roundTripTime: number | null;
  resolution: [number, number] | null;
  /** what the station receives, as the relay estimates it (issue 9) */
  downlink?: MonitorDownlink;
  warnings: MonitorWarning[];
}

export interface MonitorDownlink {
  /** bit/s; null before the relay's first estimate */
  estimate: number | null;
  /** true: a limit the relay found (lasting loss); false: no limit known, the estimate means "at least" */
  limited?: boolean;
  loss: number | null;
  roundTripTime: number | null;
  /** how many of its videos come on big streams, on small ones, or are paused */
  layers: { big: number; small: number; paused: number };
}

/** `receive`: what this page wants to receive (docs/protocol.md). */
export interface ReceivePayload {
  profile: "full" | "phone";
  audioOnly: boolean;
  maxHeight: number | null;
}

/** One video of the subscribe connection: which stream of the publisher's camera it carries. */
export interface VideoLayerInfo {
  participantId: string;
  mid: string;
  layer: "big" | "small" | "paused";
  reason: "network" | "limits" | "none";
}

/** `layers`: the complete list of this page's videos (sent when one changes). */
export interface Layers {
  layers: VideoLayerInfo[];
}

export interface Monitor {
  at: number;
  participants: MonitorTile[];
}

export interface ControlLogEntry {
  action: ControlAction | string;
  by: string;
  participantId: string | null;
  on: boolean | null;
  layout: string | null;
  /** call: the station called */
  station?: string | null;
  at: number;
}

export interface SessionEnded {
  sessionId: string;
  status: "ended" | "cancelled" | string;
}

/** The summary of an opinion in `opinionCaptured` / `opinionUpdated`: one type, declared with the opinions. */
export type { LiveOpinion } from "../opinions/types";

export interface OpinionNews {
  opinion: LiveOpinion;
  /** the handling step: `submit` for a capture, `accept`, `assign`, … */
  action: string;
}

/** Events the hub sends (Socket.IO listen map). */
export interface ServerToClientEvents {
  subscribeOffer: (p: SubscribeOffer) => void;
  subscribeTracks: (p: SubscribeTracks) => void;
  participantJoined: (p: ParticipantEvent) => void;
  participantUpdated: (p: ParticipantEvent) => void;
  participantLeft: (p: ParticipantLeft) => void;
  audioLevels: (p: AudioLevels) => void;
  kicked: (p: Kicked) => void;
  control: (p: ControlState) => void;
  monitor: (p: Monitor) => void;
  controlLog: (p: ControlLogEntry) => void;
  recordingStopped: (p: RecordingStopped) => void;
  opinionCaptured: (p: OpinionNews) => void;
  opinionUpdated: (p: OpinionNews) => void;
  sessionEnded: (p: SessionEnded) => void;
  ring: (p: Ring) => void;
  contentStopped: (p: { by: string }) => void;
  layers: (p: Layers) => void;
  error: (p: HubError) => void;
}

/** Events the client sends, with the result type of their acknowledgement. */
export interface ClientRequests {
  join: { payload: JoinRequest; result: JoinResult };
  resume: { payload: ResumeRequest; result: JoinResult };
  restartMedia: { payload: Record<string, never>; result: { iceServers: RTCIceServer[] } };
  ping: { payload: Record<string, never>; result: Record<string, never> };
  detach: { payload: Record<string, never>; result: Record<string, never> };
  publishOffer: { payload: SdpPayload; result: PublishAnswer };
  publishIce: { payload: IcePayload; result: Record<string, never> };
  subscribeAnswer: { payload: SdpPayload; result: Record<string, never> };
  subscribeIce: { payload: IcePayload; result: Record<string, never> };
  mediaState: { payload: MediaStatePayload; result: Record<string, never> };
  leave: { payload: Record<string, never>; result: Record<string, never> };
  raiseHand: { payload: Record<string, never>; result: Record<string, never> };
  lowerHand: { payload: Record<string, never>; result: Record<string, never> };
  control: { payload: ControlPayload; result: { control: ControlState } };
  watch: { payload: { token: string }; result: { session: { id: string; number: number; status: string } } };
  share: { payload: { on: boolean }; result: { control: ControlState } };
  receive: { payload: ReceivePayload; result: Record<string, never> };
}

export type ClientEventName = keyof ClientRequests;
