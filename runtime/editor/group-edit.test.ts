import { describe, expect, it } from 'vitest';
import { analyzeDocument } from '../graph/analyze';
import { preset } from '../../tests/unit/helpers';
import { apply, CommandError, convertToGroup, invert } from './commands';
import { addToGroup, checkGroupLink, connectInGroup, definitionId, removeFromGroup } from './group-edit';

const tiny = preset('heracles-tiny');
/** heracles-tiny with stage3 (attention, depth 2) converted to a Group repeated twice. */
const converted = convertToGroup(tiny, 'stage3');
const grouped = apply(tiny, converted.command);
const ref = converted.ref;
const def = () => grouped.composites[ref];

/** The group's inner analysis for each repeat: the same structure twice. */
const innerTypes = (doc: typeof grouped) => {
  const info = analyzeDocument(doc).nodes.stage3;
  return info.expanded?.nodes.map((n) => `${n.id}:${n.type}`) ?? [];
};

describe('editing the structure inside a group', () => {
  it('adds a block to every repeat, and undoes exactly', () => {
    const { command, id } = addToGroup(grouped, ref, 'Dropout');
    const after = apply(grouped, command);
    expect(after.composites[ref].nodes.at(-1)).toMatchObject({ id, type: 'Dropout' });
    const types = innerTypes(after);
    expect(types).toContain(`r0.${id}:Dropout`);
    expect(types).toContain(`r1.${id}:Dropout`);
    expect(apply(after, invert(command, grouped))).toEqual(grouped);
  });

  it('links blocks inside the group; the new block then carries the signal and the graph analyses cleanly', () => {
    // Put a Dropout between the last Add and the group output: remove nothing, rewire through a new block.
    const { command: add, id } = addToGroup(grouped, ref, 'Dropout');
    const withDrop = apply(grouped, add);
    const last = withDrop.composites[ref].outputs[0].node;
    const link = connectInGroup(withDrop, ref, {
      source: last,
      sourceHandle: 'out',
      target: id,
      targetHandle: 'in',
    });
    const linked = apply(withDrop, link);
    expect(linked.composites[ref].edges.some((e) => e.source === last && e.target === id)).toBe(true);
    const a = analyzeDocument(linked);
    expect(a.issues.filter((i) => i.where.kind === 'node' && i.where.id === 'stage3')).toEqual([]);
    expect(apply(linked, invert(link, withDrop))).toEqual(withDrop);
  });

  it('refuses links that cannot work, with the reason', () => {
    const d = def();
    const first = d.inputs[0][0];
    const reason = (l: Parameters<typeof checkGroupLink>[2]) => {
      const r = checkGroupLink(grouped, ref, l);
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.reason;
    };
    // Into a port the group's input already feeds.
    const other = d.nodes.find((n) => n.id !== first.node && n.type !== 'Add') as { id: string };
    expect(
      reason({ source: other.id, sourceHandle: 'out', target: first.node, targetHandle: first.handle }),
    ).toMatch(/group's input already feeds/);
    // A cycle: the output back to an earlier block.
    const lastNode = d.outputs[0].node;
    const mid = d.edges[0];
    expect(reason({ source: lastNode, sourceHandle: 'out', target: mid.source, targetHandle: 'in' })).toMatch(
      /cycle|already|loop/i,
    );
    expect(() =>
      connectInGroup(grouped, 'nope', { source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' }),
    ).toThrow(/no group "nope"/);
  });

  it('removes blocks with their links, keeps the blocks the ports attach to', () => {
    const { command: add, id } = addToGroup(grouped, ref, 'Dropout');
    const withDrop = apply(grouped, add);
    const last = withDrop.composites[ref].outputs[0].node;
    const linked = apply(
      withDrop,
      connectInGroup(withDrop, ref, { source: last, sourceHandle: 'out', target: id, targetHandle: 'in' }),
    );
    const removed = apply(linked, removeFromGroup(linked, ref, [id]));
    // The block and its link are gone: the group is as it was before the Dropout came.
    expect(removed.composites[ref]).toEqual(grouped.composites[ref]);
    expect(() => removeFromGroup(grouped, ref, [def().outputs[0].node])).toThrow(CommandError);
    expect(() => removeFromGroup(grouped, ref, [def().outputs[0].node])).toThrow(/input or output attaches/);
    expect(() => removeFromGroup(grouped, ref, ['ghost'])).toThrow(/no block "ghost"/);
    // A link alone.
    const e = def().edges[0];
    const unlinked = apply(grouped, removeFromGroup(grouped, ref, [], [e]));
    expect(unlinked.composites[ref].edges).toHaveLength(def().edges.length - 1);
    expect(analyzeDocument(unlinked).issues.length).toBeGreaterThan(0);
  });

  it('maps repeat ids to definition ids', () => {
    expect(definitionId('r1.mixer')).toBe('mixer');
    expect(definitionId('mixer')).toBe('mixer');
  });
});
