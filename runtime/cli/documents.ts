/** Node adapter: finds a document by path or preset name and loads it (never throws for bad input). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDocument } from '../document/load';
import type { DocumentIssue, HeraclesDocument } from '../document/schema';

export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');
const SUFFIX = '.heracles.json';

export const presetNames = (): string[] =>
  existsSync(TEMPLATES_DIR)
    ? readdirSync(TEMPLATES_DIR)
        .filter((f) => f.endsWith(SUFFIX))
        .map((f) => f.slice(0, -SUFFIX.length))
        .sort()
    : [];

export type Resolved =
  { ok: true; doc: HeraclesDocument; file: string } | { ok: false; file?: string; issues: DocumentIssue[] };

/** `ref` is a path to a `.heracles.json` file or the name of a preset in `templates/`. */
export function resolveDocument(ref: string): Resolved {
  const candidates = [ref, path.join(TEMPLATES_DIR, ref + SUFFIX), path.join(TEMPLATES_DIR, ref)];
  const file = candidates.find((f) => existsSync(f) && !f.endsWith('/'));
  if (!file) {
    const presets = presetNames();
    return {
      ok: false,
      issues: [
        {
          where: { kind: 'path', path: ref },
          code: 'not-found',
          message: 'no such file or preset',
          hint: presets.length ? `presets: ${presets.join(', ')}` : undefined,
        },
      ],
    };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return {
      ok: false,
      file,
      issues: [
        {
          where: { kind: 'path', path: file },
          code: 'read',
          message: `cannot read: ${(e as Error).message}`,
        },
      ],
    };
  }
  const r = loadDocument(text);
  return r.ok ? { ok: true, doc: r.doc, file } : { ok: false, file, issues: r.issues };
}
