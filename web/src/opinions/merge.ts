/** Merging opinion news by version: the live console (live/client.ts) and the
 * 民情 page (opinions/page.ts) keep their lists current from pushed news
 * instead of re-reading them. Every copy of an opinion carries `version`, which
 * grows with every handling step: of two copies, the higher version is the newer. */

/** What a copy needs to be merged: its id, version and capture time. */
export interface Versioned {
  id: number;
  version: number;
  capturedAt: string;
}

/** At most this many opinions are kept for the live console (the hub sends at most 500). */
export const MAX_OPINIONS = 500;

/** Whether `incoming` is newer than what `list` holds of the same opinion (or new to it). */
export function isNewer<T extends Versioned>(list: readonly T[], incoming: Versioned): boolean {
  const have = list.find((o) => o.id === incoming.id);
  return !have || incoming.version > have.version;
}

/**
 * `list` with `incoming` merged in by id, newest taken first: of two copies of one
 * opinion the one with the higher `version` (the later handling step) is kept.
 */
export function mergeOpinions<T extends Versioned>(list: readonly T[], incoming: readonly T[], max = MAX_OPINIONS): T[] {
  const byId = new Map(list.map((o) => [o.id, o]));
  for (const o of incoming) {
    const have = byId.get(o.id);
    if (!have || (o.version ?? 0) >= (have.version ?? 0)) byId.set(o.id, o);
  }
  return [...byId.values()]
    .sort((a, b) => Date.parse(b.capturedAt) - Date.parse(a.capturedAt) || b.id - a.id)
    .slice(0, max);
}
