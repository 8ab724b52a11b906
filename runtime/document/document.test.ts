import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocument, migrate } from './load';
import { CURRENT_SCHEMA_VERSION, formatIssue } from './schema';

const fixtures = path.resolve(__dirname, '../../tests/fixtures');
const read = (f: string) => readFileSync(path.join(fixtures, f), 'utf8');
const valid = () => JSON.parse(read('small-image.heracles.json'));

describe('loading documents', () => {
  it('loads every frozen copy of schema version 1', () => {
    const dir = path.join(fixtures, 'schema-v1');
    const files = readdirSync(dir).filter((f) => f.endsWith('.heracles.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = loadDocument(readFileSync(path.join(dir, f), 'utf8'));
      expect(r.ok, f).toBe(true);
    }
  });

  it('fills defaults (training section, positions, params)', () => {
    const raw = valid();
    delete raw.training;
    delete raw.nodes[0].position;
    const r = loadDocument(raw);
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    expect(r.doc.training.optimizer).toBe('adamw');
    expect(r.doc.nodes[0].position).toEqual({ x: 0, y: 0 });
  });

  it('reports malformed JSON with line and column', () => {
    const r = loadDocument('{\n  "schemaVersion": 1,\n  "nodes": [,]\n}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatIssue(r.issues[0])).toMatch(/^\$: not valid JSON: .*line 3, column \d+/);
  });

  it('tolerates a UTF-8 byte order mark', () => {
    expect(loadDocument('\ufeff' + read('small-image.heracles.json')).ok).toBe(true);
  });

  it('refuses a document from a newer version with a clear message', () => {
    const r = loadDocument({ ...valid(), schemaVersion: CURRENT_SCHEMA_VERSION + 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssue(r.issues[0])).toMatch(/\$\.schemaVersion: .*newer Heracles Studio/);
  });

  it('names the JSON path and the expectation for wrong types', () => {
    const raw = valid();
    raw.nodes[2].id = 42;
    raw.task.classes = 'ten';
    raw.edges[1].source = '';
    const r = loadDocument(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.issues.map(formatIssue);
    expect(lines.some((l) => l.startsWith('$.nodes[2].id: ') && /string/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('$.task.classes: ') && /number/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('$.edges[1].source: '))).toBe(true);
  });

  it('rejects things that are not documents', () => {
    for (const x of ['[]', '42', 'null', '"text"', '{}']) {
      const r = loadDocument(x);
      expect(r.ok, x).toBe(false);
    }
  });
});

describe('migrations', () => {
  it('runs each registered step in order and stamps the new version', () => {
    const steps = {
      1: (d: Record<string, unknown>) => ({ ...d, a: 1 }),
      2: (d: Record<string, unknown>) => ({ ...d, b: (d.a as number) + 1 }),
    };
    const r = migrate({ schemaVersion: 1 }, steps, 3);
    expect(r).toEqual({ ok: true, from: 1, doc: { schemaVersion: 3, a: 1, b: 2 } });
  });

  it('says which step is missing', () => {
    const r = migrate({ schemaVersion: 1 }, {}, 2);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issue.message).toMatch(/no migration from schema version 1 to 2/);
  });

  it('does not change its input', () => {
    const input = { schemaVersion: 1, x: { y: 1 } };
    migrate(input, { 1: (d) => (((d.x as { y: number }).y = 2), d) }, 2);
    expect(input.x.y).toBe(1);
  });
});
