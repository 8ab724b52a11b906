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

  it('turns a graph-only (version 1) document into a notebook and keeps its graph as it was', () => {
    const dir = path.join(fixtures, 'schema-v1');
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.heracles.json'))) {
      const raw = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
      const r = loadDocument(raw);
      if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
      expect(r.migratedFrom, f).toBe(1);
      expect(r.doc.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
      expect(r.doc.nodes.map((n) => n.id)).toEqual(raw.nodes.map((n: { id: string }) => n.id));
      expect(r.doc.edges.length).toBe(raw.edges.length);
      expect(r.doc.cells.map((c) => c.kind)).toEqual([
        ...(raw.metadata.description ? ['notes'] : []),
        'data',
        'model',
        'train',
        'evaluate',
        'export',
      ]);
      const intro = r.doc.cells[0];
      if (raw.metadata.description)
        expect(intro.kind === 'notes' && intro.text).toBe(raw.metadata.description);
    }
  });

  it('loads every frozen copy of schema version 2 without migrating it', () => {
    const dir = path.join(fixtures, 'schema-v2');
    const files = readdirSync(dir).filter((f) => f.endsWith('.heracles.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = loadDocument(readFileSync(path.join(dir, f), 'utf8'));
      if (!r.ok) throw new Error(f + ': ' + r.issues.map(formatIssue).join('\n'));
      expect(r.migratedFrom).toBeUndefined();
      expect(r.doc.cells.length).toBeGreaterThan(0);
    }
  });

  it('rejects cells it cannot show, naming the cell', () => {
    const raw = { ...valid(), schemaVersion: 2 };
    const bad = (cells: unknown) => {
      const r = loadDocument({ ...raw, cells });
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.issues.map(formatIssue).join('\n');
    };
    expect(bad([{ id: 'a', kind: 'chart' }])).toMatch(/\$\.cells\[0\]/);
    expect(bad([{ id: 'a', kind: 'notes' }])).toMatch(/\$\.cells\[0\]\.text/);
    expect(
      bad([
        { id: 'a', kind: 'model' },
        { id: 'a', kind: 'train' },
      ]),
    ).toMatch(/unique/);
    expect(
      bad([
        { id: 'a', kind: 'model' },
        { id: 'b', kind: 'model' },
      ]),
    ).toMatch(/one model cell/);
    expect(bad([{ id: 'a', kind: 'code', source: 'x', blockType: 'lower' }])).toMatch(/PascalCase/);
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
