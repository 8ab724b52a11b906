import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preset } from '../../tests/unit/helpers';
import { documentText, parseDocumentText, pathSegments } from './json-text';

const tiny = preset('heracles-tiny');

describe('the document as JSON text', () => {
  it('round-trips: text of a document parses back to the same document', () => {
    const r = parseDocumentText(documentText(tiny));
    expect(r.ok && r.doc).toEqual(tiny);
  });

  it('pins a syntax error to its line and column', () => {
    const text = documentText(tiny).replace('"nodes": [', '"nodes": [,');
    const r = parseDocumentText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = text.split('\n').findIndex((l) => l.includes('"nodes": [,')) + 1;
    expect(r.markers[0].line).toBe(line);
    expect(r.markers[0].message).toMatch(/expected a value/);
  });

  it('pins a schema error to the value at its JSON path', () => {
    const doc = structuredClone(tiny) as unknown as { training: { epochs: unknown } };
    doc.training.epochs = 'many';
    const text = JSON.stringify(doc, null, 2);
    const r = parseDocumentText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const line = text.split('\n').findIndex((l) => l.includes('"epochs": "many"')) + 1;
    expect(r.markers[0].line).toBe(line);
    expect(r.markers[0].message).toMatch(/training\.epochs/);
  });

  it('reads JSON paths', () => {
    expect(pathSegments('$.nodes[3].params.shape')).toEqual(['nodes', 3, 'params', 'shape']);
    expect(pathSegments('$')).toEqual([]);
  });

  it('never throws, whatever the text, and every marker is inside the text', () => {
    const base = documentText(tiny);
    fc.assert(
      fc.property(fc.nat(base.length), fc.nat(40), fc.string({ maxLength: 8 }), (at, cut, insert) => {
        const text = base.slice(0, at) + insert + base.slice(at + cut);
        const r = parseDocumentText(text);
        if (r.ok) return;
        const lines = text.split('\n').length;
        for (const m of r.markers) {
          expect(m.line).toBeGreaterThanOrEqual(1);
          expect(m.line).toBeLessThanOrEqual(lines);
          expect(m.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
