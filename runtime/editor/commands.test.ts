import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockList } from '../../blocks/index';
import { loadDocument } from '../document/load';
import type { HeraclesDocument } from '../document/schema';
import { analyzeDocument } from '../graph/analyze';
import {
  apply,
  CommandError,
  convertToGroup,
  copySelection,
  freshId,
  History,
  invert,
  newEdgeId,
  preparePaste,
  type Command,
} from './commands';
import { canConnect } from './connect';

const load = (path: string): HeraclesDocument => {
  const r = loadDocument(readFileSync(new URL(path, import.meta.url), 'utf8'));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.doc;
};
const tiny = load('../../templates/heracles-tiny.heracles.json');
const small = load('../../tests/fixtures/small-image.heracles.json');
const empty: HeraclesDocument = (() => {
  const r = loadDocument({
    schemaVersion: 1,
    metadata: { name: 'Empty' },
    task: { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
    nodes: [],
    edges: [],
  });
  if (!r.ok) throw new Error('empty document');
  return r.doc;
})();
// A document with a dangling edge and a node without a label: undo must still be exact.
const odd: HeraclesDocument = {
  ...small,
  edges: [
    ...small.edges,
    { id: 'dangling', source: 'ghost', sourceHandle: 'out', target: 'ghost2', targetHandle: 'in' },
  ],
};

// A hand-made document without a `composites` key: adding and undoing a group must not leave `{}`.
const noComposites: HeraclesDocument = (() => {
  const d: Partial<HeraclesDocument> = structuredClone(tiny);
  delete d.composites;
  return d as HeraclesDocument;
})();

interface Seed {
  op: number;
  a: number;
  b: number;
  x: number;
  y: number;
  flag: boolean;
}
const seedArb: fc.Arbitrary<Seed> = fc.record({
  op: fc.integer({ min: 0, max: 12 }),
  a: fc.nat(1000),
  b: fc.nat(1000),
  x: fc.integer({ min: -2000, max: 2000 }),
  y: fc.integer({ min: -2000, max: 2000 }),
  flag: fc.boolean(),
});

/** Turns a random seed into a command that fits `doc` (or null when none does). */
function commandFor(doc: HeraclesDocument, s: Seed): Command | null {
  const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
  const node = pick(doc.nodes, s.a);
  const other = pick(doc.nodes, s.b);
  switch (s.op) {
    case 0: {
      const block = pick(blockList, s.a) as (typeof blockList)[number];
      const id = freshId(new Set(doc.nodes.map((n) => n.id)), block.type.toLowerCase());
      return {
        type: 'addNode',
        node: {
          id,
          type: block.type,
          params: {},
          position: { x: s.x, y: s.y },
          ...(s.flag ? { label: 'L' } : {}),
        },
      };
    }
    case 1:
      return node ? { type: 'removeNodes', ids: s.flag && other ? [node.id, other.id] : [node.id] } : null;
    case 2:
      return node
        ? {
            type: 'moveNodes',
            positions: {
              [node.id]: { x: s.x, y: s.y },
              ...(other ? { [other.id]: { x: s.y, y: s.x } } : {}),
            },
          }
        : null;
    case 3:
      return node && other
        ? {
            type: 'connect',
            edge: {
              id: newEdgeId(doc, node.id, other.id),
              source: node.id,
              sourceHandle: 'out',
              target: other.id,
              targetHandle: 'in',
            },
          }
        : null;
    case 4: {
      const edge = pick(doc.edges, s.a);
      return edge ? { type: 'disconnect', ids: [edge.id] } : null;
    }
    case 5:
      return node
        ? { type: 'setParam', id: node.id, name: s.flag ? 'dim' : 'depth', value: s.flag ? s.x : undefined }
        : null;
    case 6:
      return node ? { type: 'setLabel', id: node.id, label: s.flag ? `label ${s.x}` : undefined } : null;
    case 7:
      return node
        ? preparePaste(doc, copySelection(doc, [node.id, ...(other ? [other.id] : [])]), { x: s.x, y: s.y })
        : null;
    case 8:
      return node
        ? {
            type: 'batch',
            label: 'two edits',
            commands: [
              { type: 'setParam', id: node.id, name: 'p', value: [s.x, s.y] },
              { type: 'moveNodes', positions: { [node.id]: { x: s.y, y: s.x } } },
            ],
          }
        : null;
    case 10: {
      // Convert a Stage / Heracles Block (when the picked node is one) to a group.
      const convertible = doc.nodes.filter((n) => n.type === 'Stage' || n.type === 'HeraclesBlock');
      const target = pick(convertible, s.a);
      if (!target) return null;
      try {
        return convertToGroup(doc, target.id).command;
      } catch (e) {
        if (e instanceof CommandError) return null;
        throw e;
      }
    }
    case 11: {
      // Edit (or reset) a param of a node inside a group.
      const refs = Object.keys(doc.composites ?? {});
      const ref = pick(refs, s.a);
      const inner = ref ? pick(doc.composites[ref].nodes, s.b) : undefined;
      return ref && inner
        ? {
            type: 'setCompositeParam',
            ref,
            id: inner.id,
            name: s.flag ? 'mlpRatio' : 'epsilon',
            value: s.flag ? Math.abs(s.x) + 1 : undefined,
          }
        : null;
    }
    case 12: {
      // Define or delete a group directly.
      const refs = Object.keys(doc.composites ?? {});
      const ref = pick(refs, s.a);
      if (ref && s.flag) return { type: 'setComposite', name: ref, value: undefined };
      return {
        type: 'setComposite',
        name: `g${s.b % 3}`,
        value: { nodes: [], edges: [], inputs: [], outputs: [] },
      };
    }
    default: {
      const edge = pick(doc.edges, s.b);
      return node ? { type: 'removeNodes', ids: [node.id], edgeIds: edge ? [edge.id] : [] } : null;
    }
  }
}

describe('editing commands', () => {
  it('never mutate the document they are applied to', () => {
    const before = structuredClone(tiny);
    const after = apply(tiny, { type: 'setParam', id: 'stage1', name: 'dim', value: 48 });
    apply(after, { type: 'removeNodes', ids: ['stem'] });
    expect(tiny).toEqual(before);
    expect(after.nodes.find((n) => n.id === 'stage1')?.params.dim).toBe(48);
    // Untouched nodes keep their identity (cheap change detection in the editor).
    expect(after.nodes[0]).toBe(tiny.nodes[0]);
  });

  it('removeNodes takes the edges touching the nodes along, and its inverse puts them back in place', () => {
    const cmd: Command = { type: 'removeNodes', ids: ['stem'] };
    const after = apply(tiny, cmd);
    expect(after.nodes.some((n) => n.id === 'stem')).toBe(false);
    expect(after.edges.some((e) => e.source === 'stem' || e.target === 'stem')).toBe(false);
    expect(apply(after, invert(cmd, tiny))).toEqual(tiny);
  });

  it('rejects commands that do not fit', () => {
    expect(() => apply(tiny, { type: 'removeNodes', ids: ['nope'] })).toThrow(CommandError);
    expect(() => apply(tiny, { type: 'addNode', node: { ...tiny.nodes[0] } })).toThrow(/already exists/);
    const h = new History(tiny);
    expect(() => h.do({ type: 'setLabel', id: 'nope', label: 'x' })).toThrow(CommandError);
    expect(h.doc).toBe(tiny);
    expect(h.canUndo).toBe(false);
  });

  it('paste gives fresh ids, keeps params and the edges between the copied nodes', () => {
    const clip = copySelection(tiny, ['stem', 'stage1']);
    expect(clip.edges).toHaveLength(1);
    const cmd = preparePaste(tiny, clip);
    const after = apply(tiny, cmd);
    expect(after.nodes).toHaveLength(tiny.nodes.length + 2);
    const [a, b] = cmd.nodes;
    expect(a.id).not.toBe('stem');
    expect(a.params).toEqual(tiny.nodes.find((n) => n.id === 'stem')?.params);
    expect(b.params).toEqual(tiny.nodes.find((n) => n.id === 'stage1')?.params);
    expect(cmd.edges[0]).toMatchObject({ source: a.id, target: b.id });
    // Pasting twice still gives fresh ids.
    const again = preparePaste(after, clip);
    expect(() => apply(after, again)).not.toThrow();
  });

  it('property: any sequence of commands followed by as many undos gives the start; redo restores', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(tiny, small, empty, odd, noComposites),
        fc.array(seedArb, { maxLength: 30 }),
        (start, seeds) => {
          const h = new History(start);
          const states: HeraclesDocument[] = [start];
          for (const s of seeds) {
            const cmd = commandFor(h.doc, s);
            if (!cmd) continue;
            try {
              h.do(cmd);
            } catch (e) {
              if (!(e instanceof CommandError)) throw e;
              continue;
            }
            states.push(structuredClone(h.doc));
          }
          const end = structuredClone(h.doc);
          for (let i = states.length - 1; i > 0; i--) {
            h.undo();
            expect(h.doc).toEqual(states[i - 1]);
            // Exact, key order included (what a saved file would show).
            expect(JSON.stringify(h.doc)).toBe(JSON.stringify(states[i - 1]));
          }
          expect(h.canUndo).toBe(false);
          expect(h.doc).toEqual(start);
          for (let i = 1; i < states.length; i++) {
            h.redo();
            expect(JSON.stringify(h.doc)).toBe(JSON.stringify(states[i]));
          }
          expect(h.doc).toEqual(end);
          expect(h.canRedo).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('converts every Heracles-S stage to a group with the same totals; undo restores it exactly', () => {
    const heraclesS = load('../../templates/heracles-s.heracles.json');
    const base = analyzeDocument(heraclesS).totals;
    expect(base.params).toBe(21229512);
    let doc = heraclesS;
    const h = new History(heraclesS);
    for (const id of ['stage1', 'stage2', 'stage3', 'stage4']) {
      const { command, ref } = convertToGroup(h.doc, id);
      doc = h.do(command);
      const group = doc.nodes.find((n) => n.id === id);
      expect(group).toMatchObject({ type: 'Group', params: { ref } });
      expect(doc.composites[ref].nodes.map((n) => n.type)).toContain('FFN');
      const a = analyzeDocument(doc);
      expect(a.issues).toEqual([]);
      expect(a.totals).toEqual(base);
    }
    // stage2 had a Downsample: it now sits before the group, fed by stage1.
    expect(doc.edges.some((e) => e.source === 'stage1' && e.target === 'stage2-down')).toBe(true);
    expect(doc.edges.some((e) => e.source === 'stage2-down' && e.target === 'stage2')).toBe(true);
    expect(doc.nodes.find((n) => n.id === 'stage2')?.params).toEqual({ ref: 'stage2-block', repeat: 4 });
    for (let i = 0; i < 4; i++) h.undo();
    expect(JSON.stringify(h.doc)).toBe(JSON.stringify(heraclesS));
    // Only built-in composites convert.
    expect(() => convertToGroup(heraclesS, 'stem')).toThrow(CommandError);
  });

  it('a param edit inside a group changes every repeat and every Group node using it', () => {
    const heraclesS = load('../../templates/heracles-s.heracles.json');
    const { command, ref } = convertToGroup(heraclesS, 'stage3');
    const converted = apply(heraclesS, command);
    // A second Group node over the same definition, between stage3 and stage4.
    const link = converted.edges.find((e) => e.source === 'stage3' && e.target === 'stage4');
    if (!link) throw new Error('no stage3 → stage4 link');
    const e = (source: string, target: string) => ({
      id: `${source}-${target}-x`,
      source,
      sourceHandle: 'out',
      target,
      targetHandle: 'in',
    });
    const twice = apply(converted, {
      type: 'batch',
      commands: [
        { type: 'disconnect', ids: [link.id] },
        {
          type: 'addNode',
          node: { id: 'extra', type: 'Group', params: { ref, repeat: 1 }, position: { x: 0, y: 0 } },
        },
        { type: 'connect', edge: e('stage3', 'extra') },
        { type: 'connect', edge: e('extra', 'stage4') },
      ],
    });
    const before = analyzeDocument(twice);
    const edit: Command = { type: 'setCompositeParam', ref, id: 'ffn', name: 'mlpRatio', value: 2 };
    const after = apply(twice, edit);
    expect(after.composites[ref].nodes.find((n) => n.id === 'ffn')?.params.mlpRatio).toBe(2);
    const a = analyzeDocument(after);
    expect(a.issues).toEqual([]);
    const ffnCost = (x: typeof a, k: number) => x.nodes.stage3.inner?.nodes[`r${k}.ffn`].cost?.params ?? NaN;
    const perFfn = ffnCost(before, 0) - ffnCost(a, 0);
    expect(perFfn).toBeGreaterThan(0);
    for (let k = 0; k < 6; k++) expect(ffnCost(a, k)).toBe(ffnCost(a, 0));
    expect(a.nodes.extra.inner?.nodes.ffn.cost?.params).toBe(ffnCost(a, 0));
    expect(before.totals.params - a.totals.params).toBe(7 * perFfn);
    expect(apply(after, invert(edit, twice))).toEqual(twice);
    expect(() => apply(after, { ...edit, id: 'nope' })).toThrow(/has no node/);
    expect(() => apply(after, { ...edit, ref: 'toString' })).toThrow(/no group/);
  });

  it('a new command after undo clears the redo stack', () => {
    const h = new History(tiny);
    h.do({ type: 'setLabel', id: 'stem', label: 'A' });
    h.undo();
    expect(h.canRedo).toBe(true);
    h.do({ type: 'setLabel', id: 'stem', label: 'B' });
    expect(h.canRedo).toBe(false);
    expect(h.redo()).toBeUndefined();
  });
});

describe('canConnect', () => {
  const doc: HeraclesDocument = {
    ...empty,
    nodes: [
      { id: 'input', type: 'Input', params: { shape: [28, 28, 1] }, position: { x: 0, y: 0 } },
      { id: 'stem', type: 'ConvStem', params: {}, position: { x: 0, y: 100 } },
      { id: 'ssm', type: 'HartleySSM', params: {}, position: { x: 0, y: 200 } },
      { id: 'pool', type: 'GlobalPool', params: {}, position: { x: 0, y: 300 } },
      { id: 'revin', type: 'RevIN', params: {}, position: { x: 0, y: 400 } },
      { id: 'add', type: 'Add', params: {}, position: { x: 0, y: 500 } },
      { id: 'stem2', type: 'ConvStem', params: {}, position: { x: 0, y: 600 } },
      { id: 'act', type: 'Activation', params: {}, position: { x: 0, y: 700 } },
    ],
    edges: [
      { id: 'e1', source: 'input', sourceHandle: 'out', target: 'stem', targetHandle: 'in' },
      { id: 'e2', source: 'stem', sourceHandle: 'out', target: 'ssm', targetHandle: 'in' },
      { id: 'e3', source: 'ssm', sourceHandle: 'out', target: 'add', targetHandle: 'in' },
    ],
  };
  const a = analyzeDocument(doc);
  const check = (s: string, t: string, sh = 'out', th = 'in') => canConnect(doc, a, s, sh, t, th);

  it('accepts links that fit', () => {
    expect(check('ssm', 'pool')).toEqual({ ok: true });
    expect(check('stem', 'add')).toEqual({ ok: true }); // Add takes several links
  });
  it('refuses a kind mismatch, naming both ends and the shape', () => {
    const r = check('input', 'revin');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/expects a sequence \[L, C\].*gives image tokens \[28, 28, 1\]/);
    // GlobalPool's declared output kind is a vector; ConvStem wants image tokens.
    expect(check('pool', 'stem2').ok).toBe(false);
  });
  it("resolves a 'same' output through the analysed shapes and upstream when unknown", () => {
    // HartleySSM's output is 'same': image tokens here, so a sequence-only input refuses it.
    const r = check('ssm', 'revin');
    expect(!r.ok && r.reason).toMatch(/image tokens \[7, 7, 64\]|image tokens \[/);
    // Activation has no input yet: its 'same' output is unknown, so it is allowed.
    expect(check('act', 'revin').ok).toBe(true);
  });
  it('refuses a second link into a single input, self links, cycles, missing ports', () => {
    expect(check('input', 'ssm')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/already has a connection/),
    });
    expect(check('ssm', 'ssm')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot feed itself/),
    });
    expect(check('ssm', 'stem2').ok).toBe(true);
    expect(check('add', 'stem', 'out', 'in').ok).toBe(false);
    const loop = canConnect({ ...doc, edges: [...doc.edges] }, a, 'add', 'out', 'input', 'in');
    expect(loop.ok).toBe(false); // Input has no input port
    const cyc = check('ssm', 'act');
    expect(cyc.ok).toBe(true);
    const withAct = {
      ...doc,
      edges: [
        ...doc.edges,
        { id: 'e4', source: 'add', sourceHandle: 'out', target: 'act', targetHandle: 'in' },
      ],
    };
    const r = canConnect(withAct, analyzeDocument(withAct), 'act', 'out', 'add', 'in');
    expect(!r.ok && r.reason).toMatch(/loop/);
    expect(check('ssm', 'pool', 'nope').ok).toBe(false);
  });
});
