import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION } from '../runtime/document/schema';
import { preset } from '../tests/unit/helpers';

const dir = path.dirname(fileURLToPath(import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.heracles.json'))
  .map((f) => f.replace('.heracles.json', ''));

/** Templates are notebooks that explain themselves (issue: notebook + templates that teach). */
describe('template notebooks', () => {
  for (const name of names) {
    it(`${name}: is a current notebook whose notes point at nodes that exist`, () => {
      const raw = JSON.parse(readFileSync(path.join(dir, `${name}.heracles.json`), 'utf8'));
      expect(raw.schemaVersion, 'templates are stored in the current schema').toBe(CURRENT_SCHEMA_VERSION);
      const doc = preset(name);
      const kinds = doc.cells.map((c) => c.kind);
      for (const k of ['notes', 'data', 'model', 'train', 'evaluate', 'export'] as const)
        expect(kinds, `${name} has a ${k} cell`).toContain(k);
      const ids = new Set(doc.nodes.map((n) => n.id));
      for (const c of doc.cells)
        if (c.kind === 'notes') {
          expect(c.text.length, `${name}/${c.id} says something`).toBeGreaterThan(40);
          for (const n of c.nodes ?? []) expect(ids.has(n), `${name}/${c.id} → node "${n}"`).toBe(true);
        }
    });
  }

  it('the Heracles presets teach every top-level block of the model', () => {
    for (const name of ['heracles-tiny', 'heracles-s', 'heracles-ts']) {
      const doc = preset(name);
      const taught = new Set(doc.cells.flatMap((c) => (c.kind === 'notes' ? (c.nodes ?? []) : [])));
      const blocks = doc.nodes.filter((n) => n.type !== 'Input' && n.type !== 'Output').map((n) => n.id);
      expect(
        blocks.filter((b) => !taught.has(b)),
        name,
      ).toEqual([]);
    }
  });
});
