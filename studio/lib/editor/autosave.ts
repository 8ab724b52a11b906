/** Autosave: the current document in IndexedDB, written after every command, read back on start. */
import { openDB, type IDBPDatabase } from 'idb';
import { loadDocument } from '$runtime/document/load';
import type { HeraclesDocument } from '$runtime/document/schema';

const DB = 'heracles-studio';
const STORE = 'autosave';
const KEY = 'current';

let dbPromise: Promise<IDBPDatabase> | undefined;
const db = () =>
  (dbPromise ??= openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore(STORE);
    },
  }));

export async function saveAutosave(doc: HeraclesDocument): Promise<void> {
  // Stored as JSON text: the exact document, independent of structured-clone quirks.
  await (await db()).put(STORE, JSON.stringify(doc), KEY);
}

/** The autosaved document, or undefined when there is none (or it no longer loads). */
export async function loadAutosave(): Promise<HeraclesDocument | undefined> {
  const text = await (await db()).get(STORE, KEY);
  if (typeof text !== 'string') return undefined;
  const r = loadDocument(text);
  return r.ok ? r.doc : undefined;
}
