import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeDocument } from '../graph/analyze';
import { preset } from '../../tests/unit/helpers';
import { apply, convertToGroup, invert } from './commands';
import { clipboardText, copyBlocks, parseClipboardText, pasteCommand } from './clipboard';

const tiny = preset('heracles-tiny');
const ts = preset('heracles-ts');

describe('the blocks clipboard', () => {
  it('carries blocks from one document into another through text, with an exact undo', () => {
    const clip = copyBlocks(tiny, ['stem', 'stage1']);
    const parsed = parseClipboardText(clipboardText(clip));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { command, ids } = pasteCommand(ts, parsed.clip);
    const after = apply(ts, command);
    expect(ids).toHaveLength(2);
    const pasted = after.nodes.filter((n) => ids.includes(n.id));
    expect(pasted.map((n) => n.type)).toEqual(['ConvStem', 'Stage']);
    expect(pasted[1].params).toEqual(tiny.nodes.find((n) => n.id === 'stage1')?.params);
    expect(after.edges.some((e) => e.source === ids[0] && e.target === ids[1])).toBe(true);
    expect(apply(after, invert(command, ts))).toEqual(ts);
  });

  it('brings the group definitions a Group node needs, renaming a different group of the same name', () => {
    const grouped = apply(tiny, convertToGroup(tiny, 'stage1').command);
    const group = grouped.nodes.find((n) => n.id === 'stage1');
    expect(group?.type).toBe('Group');
    const ref = String(group?.params.ref);
    const clip = copyBlocks(grouped, ['stage1']);
    expect(Object.keys(clip.composites)).toEqual([ref]);

    // Into a document without it: the definition comes along and the group analyses cleanly.
    const into = apply(ts, pasteCommand(ts, clip).command);
    expect(into.composites[ref]).toEqual(grouped.composites[ref]);
    // Into a document with a *different* group of that name: pasted under a fresh name.
    const clash = { ...ts, composites: { [ref]: { ...grouped.composites[ref], label: 'other' } } };
    const { command, ids } = pasteCommand(clash, clip);
    const after = apply(clash, command);
    const newRef = String(after.nodes.find((n) => n.id === ids[0])?.params.ref);
    expect(newRef).not.toBe(ref);
    expect(after.composites[newRef]).toEqual(grouped.composites[ref]);
    expect(after.composites[ref].label).toBe('other');
    expect(apply(after, invert(command, clash))).toEqual(clash);
    // Into the same document: the identical definition is reused.
    const same = pasteCommand(grouped, clip);
    expect(same.command.type).toBe('paste');
    const issues = analyzeDocument(apply(grouped, same.command)).issues.filter(
      (i) => i.where.kind === 'node' && i.where.id === same.ids[0],
    );
    // Unconnected (it was pasted on its own), but its group resolves.
    expect(issues.map((i) => i.code)).toEqual(['unconnected']);
  });

  it('refuses other clipboard contents with a plain message', () => {
    const no = (t: string) => {
      const r = parseClipboardText(t);
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.message;
    };
    expect(no('hello')).toMatch(/not Heracles blocks/);
    expect(no('{"a": 1}')).toMatch(/not Heracles blocks/);
    expect(no('{"heraclesBlocks": 1, "nodes": [], "edges": []}')).toMatch(/no blocks/);
    expect(no('{"heraclesBlocks": 1, "nodes": [{"id": "", "type": "Dense"}], "edges": []}')).toMatch(
      /damaged at \.nodes\[0\]\.id/,
    );
  });

  it('never throws, whatever the text', () => {
    const good = clipboardText(copyBlocks(tiny, ['stem']));
    fc.assert(
      fc.property(fc.nat(good.length), fc.nat(20), fc.string({ maxLength: 6 }), (at, cut, ins) => {
        const r = parseClipboardText(good.slice(0, at) + ins + good.slice(at + cut));
        if (r.ok) expect(() => pasteCommand(ts, r.clip)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
