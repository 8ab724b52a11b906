/** Small builders for test documents. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../runtime/data/bytes';
import { loadDocument } from '../../runtime/document/load';
import { formatIssue } from '../../runtime/document/schema';
import type { HeraclesDocument } from '../../runtime/document/schema';

export const ROOT = path.resolve(__dirname, '../..');

export function fixture(name: string): HeraclesDocument {
  return mustLoad(JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures', name), 'utf8')));
}

export function preset(name: string): HeraclesDocument {
  return mustLoad(JSON.parse(readFileSync(path.join(ROOT, 'templates', `${name}.heracles.json`), 'utf8')));
}

export function mustLoad(raw: unknown): HeraclesDocument {
  const r = loadDocument(raw);
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
  return r.doc;
}

type N = { id: string; type: string; params?: Record<string, unknown> };

/** A linear chain document: nodes connected out → in in order. */
export function chain(
  nodes: N[],
  task: HeraclesDocument['task'] = { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
): HeraclesDocument {
  return mustLoad({
    schemaVersion: 2,
    metadata: { name: 'test' },
    task,
    nodes: nodes.map((n) => ({ params: {}, ...n })),
    edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i].id, target: n.id })),
  });
}

/** Seeded values in [-1, 1), so every test run uses the same inputs. */
export function randomArray(size: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: size }, () => r() * 2 - 1);
}
