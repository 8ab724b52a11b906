import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDocument } from '../../runtime/document/load';
import { decodeShare, encodeShare, shareUrl } from '../../studio/lib/editor/share';
import { commandForKey, KEYBINDINGS, showChord } from '../../studio/lib/editor/keybindings';
import { buildView, docPositions, freeSpot, issuesBy } from '../../studio/lib/editor/flow';
import { layoutInner, resolveInner } from '../../studio/lib/editor/expand';
import { heraclesBlockGraph } from '../../blocks/heracles-block';
import { analyzeDocument } from '../../runtime/graph/analyze';
import { apply, convertToGroup } from '../../runtime/editor/commands';

const doc = (() => {
  const r = loadDocument(
    readFileSync(new URL('../../templates/heracles-s.heracles.json', import.meta.url), 'utf8'),
  );
  if (!r.ok) throw new Error('heracles-s does not load');
  return r.doc;
})();

describe('share links', () => {
  it('round-trip a document through gzip + base64url', () => {
    const hash = encodeShare(doc);
    expect(hash).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodeShare(`#doc=${hash}`);
    expect(back).toEqual({ ok: true, doc });
    expect(shareUrl(doc, 'http://x/#old')).toBe(`http://x/#doc=${hash}`);
  });
  it('refuse a truncated or garbled link with a message, never throwing', () => {
    const hash = encodeShare(doc);
    for (const bad of [hash.slice(0, hash.length - 30), 'not base64 !!', '', hash.slice(0, 10)]) {
      const r = decodeShare(`#doc=${bad}`);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.issues[0].message).toMatch(/damaged or cut short|JSON|expected/);
    }
  });
});

describe('keybindings', () => {
  const key = (
    k: string,
    mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {},
  ) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });
  it('map keys to command ids', () => {
    expect(commandForKey(key('z', { ctrlKey: true }))).toBe('undo');
    expect(commandForKey(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(commandForKey(key('y', { metaKey: true }))).toBe('redo');
    expect(commandForKey(key('Delete'))).toBe('delete');
    expect(commandForKey(key('Backspace'))).toBe('delete');
    expect(commandForKey(key('?', { shiftKey: true }))).toBe('shortcuts');
    expect(commandForKey(key('q'))).toBeUndefined();
  });
  it('never bind one chord to two commands', () => {
    const all = KEYBINDINGS.flatMap((b) => b.keys);
    expect(new Set(all).size).toBe(all.length);
    expect(showChord('Mod+Shift+z')).toBe('Ctrl+Shift+Z');
  });
});

describe('placing new blocks', () => {
  it('finds a spot that overlaps no node', () => {
    const p = freeSpot(doc, doc.nodes[0].position);
    expect(
      doc.nodes.some((n) => Math.abs(n.position.x - p.x) < 240 && Math.abs(n.position.y - p.y) < 110),
    ).toBe(false);
  });
});

describe('composites shown in place', () => {
  const analysis = analyzeDocument(doc);
  const view = (expanded: string[], d = doc, a = analysis) =>
    buildView({
      doc: d,
      analysis: a,
      issuesByNode: issuesBy(a.issues, 'node'),
      issuesByEdge: issuesBy(a.issues, 'edge'),
      expanded: new Set(expanded),
      previousNodes: [],
      previousEdges: [],
    });

  it('an expanded stage becomes a container of its blocks, with shapes on the inner links', () => {
    const { nodes, edges } = view(['stage1']);
    const frame = nodes.find((n) => n.id === 'stage1');
    expect(frame?.type).toBe('expanded');
    const inner = nodes.filter((n) => n.parentId === 'stage1');
    expect(inner.map((n) => n.id)).toEqual(['stage1/b0', 'stage1/b1', 'stage1/b2']);
    expect(inner.every((n) => n.draggable === false && n.data.inner && n.data.expandable)).toBe(true);
    // Parents come before their children (Svelte Flow needs that).
    expect(nodes.indexOf(frame as (typeof nodes)[number])).toBeLessThan(nodes.indexOf(inner[0]));
    const innerEdges = edges.filter((e) => e.id.startsWith('stage1/'));
    expect(innerEdges.map((e) => `${e.source}>${e.target}`)).toEqual([
      'stage1/b0>stage1/b1',
      'stage1/b1>stage1/b2',
      'stage1>stage1/b0',
      'stage1/b2>stage1',
    ]);
    expect(innerEdges.every((e) => JSON.stringify(e.data?.shape) === '[56,56,64]')).toBe(true);
    // Nodes below make room in the view only; the document positions come back unchanged.
    const stage2 = nodes.find((n) => n.id === 'stage2');
    const docStage2 = doc.nodes.find((n) => n.id === 'stage2');
    expect(stage2?.position.y).toBeGreaterThan(docStage2?.position.y ?? Infinity);
    expect(docPositions(stage2 ? [stage2] : [])).toEqual({ stage2: docStage2?.position });
  });

  it('expands one level at a time: a block inside an expanded stage shows its layers', () => {
    expect(view(['stage1/b0']).nodes.some((n) => n.parentId)).toBe(false); // its stage is collapsed
    const { nodes } = view(['stage1', 'stage1/b0']);
    const layers = nodes.filter((n) => n.parentId === 'stage1/b0').map((n) => n.data.node.type);
    expect(layers).toEqual(['LayerNorm', 'HeraclesMixer', 'Add', 'LayerNorm', 'FFN', 'Add']);
  });

  it('lays residual branches beside their skip link', () => {
    const g = heraclesBlockGraph({ mixer: 'ssm', dropPath: 0, layout: 'grid', mlpRatio: 4, epsilon: 1e-6 });
    const { placed } = layoutInner(g, () => ({ width: 220, height: 100 }));
    const x = (id: string) => placed.get(id)?.x ?? NaN;
    const y = (id: string) => placed.get(id)?.y ?? NaN;
    expect(x('add1')).toBe(x('add2'));
    for (const id of ['norm1', 'mixer', 'norm2', 'ffn']) expect(x(id)).toBeGreaterThan(x('add1'));
    const order = ['norm1', 'mixer', 'add1', 'norm2', 'ffn', 'add2'].map(y);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('resolves inner paths; nodes inside a group point at the definition every repeat shares', () => {
    expect(resolveInner(analysis, 'stage1/b0/ffn')).toMatchObject({ node: { type: 'FFN' }, edit: undefined });
    expect(resolveInner(analysis, 'stage1/nope')).toBeUndefined();
    const converted = apply(doc, convertToGroup(doc, 'stage2').command);
    const a = analyzeDocument(converted);
    expect(resolveInner(a, 'stage2/r2.ffn')).toMatchObject({
      node: { type: 'FFN' },
      edit: { ref: 'stage2-block', id: 'ffn', repeat: 4 },
    });
  });
});
