/**
 * The station's own camera and microphone: acquisition with graceful fallback,
 * device choice (remembered in localStorage), and on/off intent.
 */
import { t } from "../common/i18n";

export type MediaKind = "audio" | "video";

export interface AcquireResult {
  /** Per kind, why it could not be opened (absent when it was opened or not asked for). */
  errors: Partial<Record<MediaKind, string>>;
}

const DEVICE_KEY = { audio: "liaisonHub.micId", video: "liaisonHub.cameraId" } as const;

/** What the camera is opened at: 540p at 24 fps, or less for a weak station PC (the join
 * link's `?send=360` or `?send=180`, at 15 fps: docs/protocol.md, `publishOffer`). */
export const SEND_HEIGHTS = [540, 360, 180] as const;
export type SendHeight = (typeof SEND_HEIGHTS)[number];
export const cameraProfile: { height: SendHeight } = { height: 540 };

export function isSendHeight(v: number): v is SendHeight {
  return (SEND_HEIGHTS as readonly number[]).includes(v);
}

export function videoConstraints(height: SendHeight = cameraProfile.height): MediaTrackConstraints {
  const full = height >= 540;
  return {
    width: { ideal: Math.round((height * 16) / 9) },
    height: { ideal: height },
    frameRate: full ? { ideal: 24, max: 30 } : { ideal: 15, max: 15 },
  };
}
const AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

function load(key: string): string | undefined {
  try {
    return window.localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function save(key: string, value: string | undefined): void {
  try {
    if (value) window.localStorage.setItem(key, value);
    else window.localStorage.removeItem(key);
  } catch {
    /* ignore */
  }
}

export function describeMediaError(err: unknown): string {
  if (err instanceof DOMException || err instanceof Error) {
    switch (err.name) {
      case "NotAllowedError":
      case "SecurityError":
        return t("mediaReasonDenied");
      case "NotFoundError":
      case "OverconstrainedError":
        return t("mediaReasonNoDevice");
      case "NotReadableError":
      case "AbortError":
        return t("mediaReasonBusy");
      default:
        console.warn("[media]", err.name, err.message); // the browser's words are English: the log keeps them
        return t("mediaReasonOther");
    }
  }
  console.warn("[media]", err);
  return t("mediaReasonOther");
}

export class LocalMedia {
  audioTrack: MediaStreamTrack | null = null;
  videoTrack: MediaStreamTrack | null = null;
  /** What the operator wants switched on. */
  micOn = true;
  cameraOn = true;
  deviceId: Record<MediaKind, string | undefined> = {
    audio: load(DEVICE_KEY.audio),
    video: load(DEVICE_KEY.video),
  };
  /** One stream holding both tracks; publishing uses it as the msid stream. */
  readonly stream = new MediaStream();

  get hasMediaDevices(): boolean {
    return !!navigator.mediaDevices?.getUserMedia;
  }

  track(kind: MediaKind): MediaStreamTrack | null {
    return kind === "audio" ? this.audioTrack : this.videoTrack;
  }

  private constraints(kind: MediaKind): MediaTrackConstraints {
    const base = kind === "audio" ? AUDIO_CONSTRAINTS : videoConstraints();
    const id = this.deviceId[kind];
    return id ? { ...base, deviceId: { ideal: id } } : { ...base };
  }

  private setTrack(kind: MediaKind, track: MediaStreamTrack | null): void {
    const old = this.track(kind);
    if (old && old !== track) {
      this.stream.removeTrack(old);
      old.stop();
    }
    if (kind === "audio") this.audioTrack = track;
    else this.videoTrack = track;
    if (track) {
      track.enabled = kind === "audio" ? this.micOn : this.cameraOn;
      if (!this.stream.getTracks().includes(track)) this.stream.addTrack(track);
    }
  }

  /**
   * Open the asked kinds that are not open yet. Asks for both at once (one permission
   * prompt), then falls back to each kind alone so one missing device does not cost the other.
   */
  async acquire(kinds: { audio: boolean; video: boolean }): Promise<AcquireResult> {
    // One acquisition at a time: the pre-join preview and an automatic join may both ask at
    // once, and a second getUserMedia for a kind already being opened would replace (and stop)
    // the track that the first one handed to the publish connection.
    const run = this.acquiring.then(() => this.acquireNow(kinds));
    this.acquiring = run.catch(() => undefined);
    return run;
  }

  private acquiring: Promise<unknown> = Promise.resolve();

  private async acquireNow(kinds: { audio: boolean; video: boolean }): Promise<AcquireResult> {
    const want: MediaKind[] = (["audio", "video"] as MediaKind[]).filter(
      (k) => kinds[k] && !this.track(k),
    );
    const errors: AcquireResult["errors"] = {};
    if (want.length === 0) return { errors };
    if (!this.hasMediaDevices) {
      for (const k of want) errors[k] = "mediaDevices unavailable (needs https or localhost)";
      return { errors };
    }
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        audio: want.includes("audio") ? this.constraints("audio") : false,
        video: want.includes("video") ? this.constraints("video") : false,
      });
      for (const tr of s.getTracks()) this.setTrack(tr.kind as MediaKind, tr);
      return { errors };
    } catch (err) {
      if (want.length === 1) {
        errors[want[0]] = describeMediaError(err);
        return { errors };
      }
    }
    for (const k of want) {
      try {
        const s = await navigator.mediaDevices.getUserMedia({
          audio: k === "audio" ? this.constraints("audio") : false,
          video: k === "video" ? this.constraints("video") : false,
        });
        const tr = s.getTracks()[0];
        if (tr) this.setTrack(k, tr);
      } catch (err) {
        errors[k] = describeMediaError(err);
      }
    }
    return { errors };
  }

  /** Switch to another device; returns the new track (the caller replaces it on the sender). */
  async selectDevice(kind: MediaKind, deviceId: string): Promise<MediaStreamTrack | null> {
    this.deviceId[kind] = deviceId || undefined;
    save(DEVICE_KEY[kind], deviceId || undefined);
    const had = this.track(kind);
    if (!had) return null;
    const s = await navigator.mediaDevices.getUserMedia({
      [kind]: { ...this.constraints(kind), deviceId: deviceId ? { exact: deviceId } : undefined },
    });
    const tr = s.getTracks()[0] ?? null;
    this.setTrack(kind, tr);
    return tr;
  }

  /** Stop and forget one kind (releases the device: the camera light goes off). */
  release(kind: MediaKind): void {
    const tr = this.track(kind);
    if (!tr) return;
    this.stream.removeTrack(tr);
    tr.stop();
    if (kind === "audio") this.audioTrack = null;
    else this.videoTrack = null;
  }

  stopAll(): void {
    this.release("audio");
    this.release("video");
  }

  setEnabled(kind: MediaKind, on: boolean): void {
    if (kind === "audio") this.micOn = on;
    else this.cameraOn = on;
    const tr = this.track(kind);
    if (tr) tr.enabled = on;
  }

  /** Whether the kind is actually being sent (acquired, live and switched on). */
  live(kind: MediaKind): boolean {
    const tr = this.track(kind);
    return !!tr && tr.readyState === "live" && (kind === "audio" ? this.micOn : this.cameraOn);
  }

  async devices(): Promise<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }> {
    if (!navigator.mediaDevices?.enumerateDevices) return { audio: [], video: [] };
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      audio: all.filter((d) => d.kind === "audioinput" && d.deviceId !== "communications"),
      video: all.filter((d) => d.kind === "videoinput"),
    };
  }

  /** The id of the device a live track is actually using. */
  currentDeviceId(kind: MediaKind): string | undefined {
    return this.track(kind)?.getSettings().deviceId ?? this.deviceId[kind];
  }
}
