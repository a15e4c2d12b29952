/** The offline queue of captured opinions.
 *
 * Every capture gets a clientKey (a UUID) and is written here BEFORE it is
 * sent. POST /api/opinions is idempotent by clientKey: a retry returns the
 * stored opinion (200, replayed) — never a copy — so an entry can be sent again
 * after any failure (lost reply, tab closed, offline). An entry leaves the
 * queue only once the server acknowledged it (201 or 200) and its photos were
 * stored (PUT …/photos/{position}; the same bytes again change nothing).
 * Sent when online: at once, on the `online` event, and on an interval.
 *
 * Where it is kept: the entries (small JSON) in localStorage, read
 * synchronously for the pending count; the photos as Blobs in IndexedDB
 * (./photostore), which holds far more than localStorage's ~5 MB. The photos
 * are written first and the entry after, so an entry in the queue always has
 * its photos; photos left without an entry (a tab closed in between) are
 * swept at the next start.
 */
import { getLang } from "../common/i18n";
import { ApiError, apiHeaders, readResponse } from "../common/api";
import { deletePhotos, photo, putPhotos, sweepPhotos } from "./photostore";
import type { OpinionDetail, OpinionIn } from "./types";

const STORAGE_KEY = "liaisonHub.opinionQueue.v1";
const RETRY_MS = 20_000;

export interface QueueEntry {
  clientKey: string;
  body: OpinionIn;
  /** how many photos wait in IndexedDB (positions 0…photoCount-1) */
  photoCount: number;
  /** resized JPEGs as data: URLs: only in entries queued by an older page */
  photos?: string[];
  photosSent: number;
  opinionId: number | null;
  createdAt: number;
  attempts: number;
  /** the last error, shown next to the entry */
  error: string | null;
  /** refused for good (400/404/409): kept for the user to see or discard */
  failed: boolean;
}

type Listener = (event: { kind: "change" } | { kind: "sent"; entry: QueueEntry; opinion: OpinionDetail }) => void;

const listeners = new Set<Listener>();
let authToken: string | null = null;
let flushing: Promise<void> | null = null;
let started = false;

function read(): QueueEntry[] {
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    const list = raw ? (JSON.parse(raw) as QueueEntry[]) : [];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** Write the queue; throws (QuotaExceededError) when the device is full. */
function write(list: QueueEntry[]): void {
  if (list.length) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
  else window.localStorage.removeItem(STORAGE_KEY);
}

function update(clientKey: string, change: (e: QueueEntry) => void): void {
  const list = read();
  const entry = list.find((e) => e.clientKey === clientKey);
  if (!entry) return;
  change(entry);
  try {
    write(list);
  } catch {
    /* keep going: the server side is idempotent */
  }
}

function emit(event: Parameters<Listener>[0]): void {
  for (const l of [...listeners]) l(event);
}

export function entries(): QueueEntry[] {
  return read();
}

export function pendingCount(): number {
  return read().length;
}

export function onQueue(cb: Listener): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

/** A bearer token for pages without the console's login cookie (optional). */
export function setQueueAuth(token: string | null): void {
  authToken = token;
}

export function newClientKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // insecure contexts (plain http on a LAN address) have no randomUUID: build a v4 UUID
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Store a capture (before anything is sent): its photos into IndexedDB, then
 * the entry. If the photos cannot be kept (no IndexedDB, device full) the
 * opinion is kept without them and `photosDropped` says so; if even the entry
 * cannot be written it throws and nothing is kept. */
export async function enqueue(body: OpinionIn, photos: string[]): Promise<{ photosDropped: boolean }> {
  let photoCount = 0;
  if (photos.length) {
    try {
      await putPhotos(body.clientKey, photos.map((url) => dataUrlBlob(url)));
      photoCount = photos.length;
    } catch {
      photoCount = 0;
    }
  }
  const entry: QueueEntry = {
    clientKey: body.clientKey, body, photoCount, photosSent: 0, opinionId: null, createdAt: Date.now(), attempts: 0,
    error: null, failed: false,
  };
  try {
    write([...read(), entry]);
  } catch (e) {
    if (photoCount) void deletePhotos(body.clientKey).catch(() => {});
    throw e;
  }
  emit({ kind: "change" });
  return { photosDropped: photoCount < photos.length };
}

export function discard(clientKey: string): void {
  try {
    write(read().filter((e) => e.clientKey !== clientKey));
  } catch {
    /* ignore */
  }
  void deletePhotos(clientKey).catch(() => {});
  emit({ kind: "change" });
}

async function send<T>(method: string, path: string, body: BodyInit, contentType: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method, body, headers: apiHeaders(authToken, { "Content-Type": contentType }), credentials: "same-origin", cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "offline", getLang() === "en" ? "offline" : "网络不可用");
  }
  return readResponse<T>(res);
}

function dataUrlBlob(url: string): Blob {
  const [head, b64] = url.split(",", 2);
  const type = /data:([^;]+)/.exec(head)?.[1] ?? "image/jpeg";
  const bin = atob(b64 ?? "");
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

/** Photo `i` of an entry: from IndexedDB, or (older entries) its data: URL; null when gone. */
async function photoOf(entry: QueueEntry, i: number): Promise<Blob | null> {
  if (entry.photos) return i < entry.photos.length ? dataUrlBlob(entry.photos[i]) : null;
  try {
    return await photo(entry.clientKey, i);
  } catch {
    return null;
  }
}

/** Transient: try again later (offline, server busy or down, not logged in yet). */
function transient(e: ApiError): boolean {
  return e.status === 0 || e.status === 401 || e.status === 403 || e.status === 408 || e.status === 429 || e.status >= 500;
}

async function sendOne(entry: QueueEntry): Promise<boolean> {
  let opinion: OpinionDetail;
  try {
    opinion = await send<OpinionDetail>("POST", "/opinions", JSON.stringify(entry.body), "application/json");
  } catch (e) {
    const err = e as ApiError;
    update(entry.clientKey, (x) => {
      x.attempts += 1;
      x.error = err.message;
      x.failed = !transient(err);
    });
    emit({ kind: "change" });
    return transient(err) ? false : true; // a refused one does not stop the others
  }
  update(entry.clientKey, (x) => {
    x.opinionId = opinion.id;
    x.error = null;
  });
  const count = entry.photos ? entry.photos.length : entry.photoCount ?? 0;
  for (let i = entry.photosSent; i < count; i++) {
    const blob = await photoOf(entry, i);
    try {
      // a photo the device lost (storage cleared) is skipped; the opinion stands
      if (blob) await send("PUT", `/opinions/${opinion.id}/photos/${i}`, blob, blob.type || "image/jpeg");
    } catch (e) {
      const err = e as ApiError;
      if (transient(err)) {
        update(entry.clientKey, (x) => {
          x.attempts += 1;
          x.error = err.message;
        });
        emit({ kind: "change" });
        return false;
      }
      // a refused photo (too large, wrong type) is dropped; the opinion stands
    }
    update(entry.clientKey, (x) => {
      x.photosSent = i + 1;
    });
  }
  // acknowledged and complete: only now does it leave the queue (and its photos the device)
  try {
    write(read().filter((e) => e.clientKey !== entry.clientKey));
  } catch {
    /* ignore */
  }
  await deletePhotos(entry.clientKey).catch(() => {});
  emit({ kind: "sent", entry, opinion });
  emit({ kind: "change" });
  return true;
}

/** Send what waits, one at a time, oldest first; stops at the first transient failure. */
export function flush(): Promise<void> {
  if (flushing) return flushing;
  const run = (async () => {
    await Promise.resolve(); // `flushing` is set before any of this runs
    if (typeof navigator !== "undefined" && navigator.onLine === false) return;
    for (const entry of read()) {
      if (entry.failed) continue;
      if (!(await sendOne(entry))) break;
    }
  })();
  flushing = run.finally(() => {
    flushing = null;
  });
  return flushing;
}

/** Start the background sender (once per page). */
export function startQueue(): void {
  if (started) return;
  started = true;
  window.addEventListener("online", () => void flush());
  window.addEventListener("storage", (e) => {
    if (e.key === STORAGE_KEY) emit({ kind: "change" });
  });
  window.setInterval(() => void flush(), RETRY_MS);
  // photos whose entry never made it into the queue (a tab closed in between)
  void sweepPhotos(new Set(read().map((e) => e.clientKey))).catch(() => {});
  void flush();
}
