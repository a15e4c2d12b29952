/** The offline queue's photos, as Blobs in IndexedDB (database
 * `liaisonHub.opinionPhotos`, store `photos`, key [clientKey, position]).
 * IndexedDB holds what a phone's camera produces; localStorage (~5 MB of
 * UTF-16 text, so ~2.5 MB of base64) held only a few photos. */

const DB_NAME = "liaisonHub.opinionPhotos";
const STORE = "photos";
/** Photos without a queue entry are swept once they are this old (ms). */
const ORPHAN_AGE = 60 * 60 * 1000;

interface PhotoRecord {
  clientKey: string;
  position: number;
  blob: Blob;
  savedAt: number;
}

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (opening) return opening;
  opening = new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("no IndexedDB"));
      return;
    }
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: ["clientKey", "position"] });
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error("IndexedDB open failed"));
    req.onblocked = () => reject(new Error("IndexedDB blocked"));
  });
  opening.catch(() => (opening = null));
  return opening;
}

/** Run `work` in one transaction; resolves when the transaction has committed. */
async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await open();
  return new Promise<T | undefined>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    let result: T | undefined;
    const req = work(tx.objectStore(STORE));
    if (req) req.onsuccess = () => (result = req.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

function keysOf(clientKey: string): IDBKeyRange {
  return IDBKeyRange.bound([clientKey, 0], [clientKey, Number.MAX_SAFE_INTEGER]);
}

/** Keep the photos of one capture (positions 0…n-1), all or none. */
export async function putPhotos(clientKey: string, blobs: Blob[]): Promise<void> {
  const savedAt = Date.now();
  await transact("readwrite", (store) => {
    blobs.forEach((blob, position) => store.put({ clientKey, position, blob, savedAt } satisfies PhotoRecord));
  });
}

/** One photo of a capture, or null. */
export async function photo(clientKey: string, position: number): Promise<Blob | null> {
  const record = (await transact("readonly", (store) => store.get([clientKey, position]) as IDBRequest<PhotoRecord | undefined>)) ?? null;
  return record ? record.blob : null;
}

export async function deletePhotos(clientKey: string): Promise<void> {
  await transact("readwrite", (store) => store.delete(keysOf(clientKey)));
}

/** Delete photos whose capture is no longer queued (and that are old enough
 * not to belong to a capture another tab is queueing right now). */
export async function sweepPhotos(queued: Set<string>): Promise<void> {
  const keys = ((await transact("readonly", (store) => store.getAllKeys())) ?? []) as IDBValidKey[];
  const stale = new Set<string>();
  for (const key of keys) {
    const clientKey = (key as [string, number])[0];
    if (!queued.has(clientKey)) stale.add(clientKey);
  }
  if (!stale.size) return;
  const cutoff = Date.now() - ORPHAN_AGE;
  await transact("readwrite", (store) => {
    for (const clientKey of stale) {
      const req = store.openCursor(keysOf(clientKey));
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor) return;
        if ((cursor.value as PhotoRecord).savedAt < cutoff) cursor.delete();
        cursor.continue();
      };
    }
  });
}
