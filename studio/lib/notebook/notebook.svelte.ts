/**
 * The notebook around the editor's document: which cells run code, and whether the user trusts it.
 *
 * Trust is keyed to the exact code: a notebook opened from a file or a share link is untrusted until the
 * user says otherwise; notebooks made here (new, templates, the user's own edits) are trusted. The
 * fingerprint of trusted code is remembered in localStorage, so reopening the same notebook does not ask
 * again, but any change to its code by a file or link asks again.
 */
// Types only: the code-block machinery (and the TypeScript stripper) loads when a notebook has code.
import type { CodeError, CodeRegistration } from '$runtime/custom/code-block';
import type { HeraclesDocument } from '$runtime/document/schema';

const STORE_KEY = 'heracles.trustedCode';

export type Origin = 'here' | 'file' | 'link';

/** SHA-256 of the notebook's code cells (ids and sources); '' when it has none. */
export async function codeFingerprint(doc: HeraclesDocument): Promise<string> {
  const code = doc.cells.flatMap((c) => (c.kind === 'code' ? [`${c.id}\u0000${c.source}`] : []));
  if (!code.length) return '';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code.join('\u0001')));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function remembered(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

function remember(fp: string): void {
  const all = [...remembered(), fp].slice(-200);
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(all));
  } catch {
    // Private mode or full storage: trust lasts for this session only.
  }
}

export class NotebookState {
  /** False while the notebook's code came from outside and the user has not trusted it. */
  trusted = $state(true);
  /** Block types the notebook's code defines (registered while trusted). */
  codeBlocks = $state.raw<string[]>([]);
  codeErrors = $state.raw<CodeError[]>([]);
  /** Bumped whenever the block registry changes (the palette and the analysis re-read it). */
  registryRevision = $state(0);
  #registration: CodeRegistration | undefined;

  constructor(private readonly onregistry: () => void = () => {}) {}

  /** A document arrived: from here (trusted), or from a file or link (trusted only if seen before). */
  async opened(doc: HeraclesDocument, origin: Origin): Promise<void> {
    const fp = await codeFingerprint(doc);
    this.trusted = origin === 'here' || fp === '' || remembered().has(fp);
    if (this.trusted && fp) remember(fp);
    await this.run(doc);
  }

  /** The user trusts this notebook's code: remember it and run it. */
  async trust(doc: HeraclesDocument): Promise<void> {
    const fp = await codeFingerprint(doc);
    if (fp) remember(fp);
    this.trusted = true;
    await this.run(doc);
  }

  /** (Re)registers the blocks the code cells define; untrusted notebooks run nothing. */
  async run(doc: HeraclesDocument): Promise<void> {
    const hasCode = doc.cells.some((c) => c.kind === 'code');
    if (!hasCode && !this.#registration) return;
    const { registerNotebookCode } = await import('$runtime/custom/code-block');
    this.#registration?.dispose();
    this.#registration = registerNotebookCode(doc, { trusted: this.trusted });
    this.codeBlocks = this.#registration.blocks;
    this.codeErrors = this.#registration.errors;
    this.registryRevision++;
    this.onregistry();
  }

  /** The user edited code here: their own code is trusted. */
  async edited(doc: HeraclesDocument): Promise<void> {
    if (!this.trusted) return;
    const fp = await codeFingerprint(doc);
    if (fp) remember(fp);
  }
}
