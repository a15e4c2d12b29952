/** The recorded session's timeline (recordings/timeline.py on the hub), read by the
 * player: who was on the stage at a moment, who was present, the markers. Pure. */

export interface Entry {
  /** seconds from the recording's start */
  t: number;
  at: number;
  type: string;
  participantId?: string | null;
  displayName?: string | null;
  participants?: { participantId: string; displayName?: string | null }[] | string[];
  control?: { stage?: string | null };
  summary?: string;
  reference?: string;
  opinionId?: number;
  stationName?: string;
  [key: string]: unknown;
}

export interface RecordedFile {
  name: string;
  participantId: string | null;
  kinds: string[] | null;
  startedAt: number | null;
  endedAt: number | null;
  bytes: number;
}

export interface Recording {
  id: string;
  sessionId: string;
  sessionNumber: number;
  title: string;
  titleEn: string;
  stations: string[];
  startedAt: number;
  endedAt: number | null;
  startedBy: string | null;
  stoppedBy: string | null;
  stoppedReason: string | null;
  files: RecordedFile[];
}

export type MarkerKind = "opinion" | "stage" | "hands";

export interface Marker {
  t: number;
  kind: MarkerKind;
  label: string;
  entry: Entry;
}

/** Who was on the stage at `t`: the last `stage` (or the opening `state`) entry at or before it. */
export function stageAt(entries: Entry[], t: number): string | null {
  let current: string | null = null;
  for (const e of entries) {
    if (e.t > t) break;
    if (e.type === "stage") current = e.participantId ?? null;
    else if (e.type === "state") current = e.control?.stage ?? null;
  }
  return current;
}

/** Everyone present at `t`, in order of arrival (the opening `state`, then joins and leaves). */
export function presentAt(entries: Entry[], t: number): string[] {
  const present: string[] = [];
  for (const e of entries) {
    if (e.t > t) break;
    if (e.type === "state") {
      for (const p of (e.participants ?? []) as { participantId: string }[]) if (!present.includes(p.participantId)) present.push(p.participantId);
    } else if (e.type === "join" && e.participantId && !present.includes(e.participantId)) {
      present.push(e.participantId);
    } else if (e.type === "leave" && e.participantId) {
      const i = present.indexOf(e.participantId);
      if (i >= 0) present.splice(i, 1);
    }
  }
  return present;
}

/** Display names by participant id, from the opening state and the joins. */
export function names(entries: Entry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    if (e.type === "state") {
      for (const p of (e.participants ?? []) as { participantId: string; displayName?: string | null }[]) out.set(p.participantId, p.displayName || p.participantId);
    } else if (e.type === "join" && e.participantId) {
      out.set(e.participantId, e.displayName || e.participantId);
    }
  }
  return out;
}

/** The markers of the timeline bar: opinions, stage changes, raised hands. */
export function markers(entries: Entry[], nameOf: (id: string) => string): Marker[] {
  const out: Marker[] = [];
  for (const e of entries) {
    if (e.type === "opinion") out.push({ t: e.t, kind: "opinion", label: `${e.reference ?? ""} ${e.summary ?? ""}`.trim(), entry: e });
    else if (e.type === "stage" && e.participantId) out.push({ t: e.t, kind: "stage", label: nameOf(e.participantId), entry: e });
    else if (e.type === "hands" && Array.isArray(e.participants) && e.participants.length) {
      out.push({ t: e.t, kind: "hands", label: (e.participants as string[]).map(nameOf).join("、"), entry: e });
    }
  }
  return out;
}

/** The marker after (`dir` 1) or before (`dir` -1) `t`; a marker within half a second counts as here. */
export function nextMarker(list: Marker[], t: number, dir: 1 | -1): Marker | null {
  if (dir > 0) return list.find((m) => m.t > t + 0.5) ?? null;
  for (let i = list.length - 1; i >= 0; i--) if (list[i].t < t - 0.5) return list[i];
  return null;
}

/** The recording's length in seconds: its end, else its last file or entry. */
export function duration(rec: Recording, entries: Entry[]): number {
  if (rec.endedAt) return Math.max(0, rec.endedAt - rec.startedAt);
  const ends = rec.files.map((f) => (f.endedAt ?? 0) - rec.startedAt);
  return Math.max(0, ...ends, ...entries.map((e) => e.t));
}

/** Where a file is at session time `t` (seconds into the file), or null outside it. */
export function fileTime(rec: Recording, file: RecordedFile, t: number): number | null {
  if (file.startedAt == null) return null;
  const local = t - (file.startedAt - rec.startedAt);
  const length = file.endedAt != null ? file.endedAt - file.startedAt : Infinity;
  return local >= 0 && local <= length ? local : null;
}

/** `#recordings/{id}@{seconds}` → its parts. */
export function parseHash(hash: string): { id: string | null; t: number | null } {
  const m = /^#recordings(?:\/([0-9]+-[0-9T]+(?:-[0-9]+)?))?(?:@([0-9.]+))?/.exec(hash);
  if (!m) return { id: null, t: null };
  return { id: m[1] ?? null, t: m[2] != null ? Number(m[2]) : null };
}
