/**
 * What this page receives (issue 9, docs/protocol.md `receive` and `layers`): the 画质 choice
 * (自动, 省流量(手机), 仅音频, or a maximum resolution), remembered in localStorage, the
 * phone profile by default on a phone-sized screen; and which placeholder a picture shows while
 * the relay sends none of it.
 */
import type { ReceivePayload, VideoLayerInfo } from "./protocol";

export const QUALITIES = ["auto", "phone", "audio", "360", "540", "720"] as const;
export type Quality = (typeof QUALITIES)[number];

const STORAGE_KEY = "liaisonHub.receive";

export function isQuality(v: string): v is Quality {
  return (QUALITIES as readonly string[]).includes(v);
}

/** The `receive` payload of a choice. */
export function receivePayload(q: Quality): ReceivePayload {
  switch (q) {
    case "phone":
      return { profile: "phone", audioOnly: false, maxHeight: null };
    case "audio":
      return { profile: "full", audioOnly: true, maxHeight: null };
    case "360":
    case "540":
    case "720":
      return { profile: "full", audioOnly: false, maxHeight: Number(q) };
    default:
      return { profile: "full", audioOnly: false, maxHeight: null };
  }
}

/** A phone-sized screen (the station page's own test: its stage narrower than 560 px). */
export function isPhoneViewport(width: number = Math.min(window.innerWidth, window.screen?.width || Infinity)): boolean {
  return width < 560;
}

/** The choice before the operator made one: the phone profile on a phone, else everything. */
export function defaultQuality(phone: boolean): Quality {
  return phone ? "phone" : "auto";
}

/** What a paused picture shows: the network (网络较差，已暂停视频) or the page's own limits
 * (仅音频模式); null while its video comes (big or small). */
export type PausedBy = "network" | "limits" | null;

export function pausedBy(layer: VideoLayerInfo | undefined): PausedBy {
  if (!layer || layer.layer !== "paused") return null;
  return layer.reason === "network" ? "network" : "limits";
}

/** The last `layers` by participant (its camera's video; shared content is never paused). */
export function layersByParticipant(layers: VideoLayerInfo[]): Record<string, VideoLayerInfo> {
  const out: Record<string, VideoLayerInfo> = {};
  for (const l of layers) out[l.participantId] = l;
  return out;
}

function load(): Quality | null {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return v && isQuality(v) ? v : null;
  } catch {
    return null;
  }
}

/** The page's 画质 choice. */
export class ReceiveChoice {
  quality: Quality;
  /** the operator chose it (or a URL option), rather than the default for the screen */
  chosen: boolean;
  onChange: (q: Quality) => void = () => {};

  constructor(phone: boolean = typeof window !== "undefined" && isPhoneViewport()) {
    const saved = typeof window !== "undefined" ? load() : null;
    this.quality = saved ?? defaultQuality(phone);
    this.chosen = saved !== null;
  }

  get payload(): ReceivePayload {
    return receivePayload(this.quality);
  }

  /** Choose (and, `remember`, keep it for the next visit). */
  choose(q: Quality, remember = true): void {
    this.chosen = true;
    if (remember) {
      try {
        window.localStorage.setItem(STORAGE_KEY, q);
      } catch {
        /* private mode: for this visit only */
      }
    }
    if (q === this.quality) return;
    this.quality = q;
    this.onChange(q);
  }
}
