/** Cross-layer sanity of the block registry: what the studio and CLI rely on for every block. */
import { describe, expect, it } from 'vitest';
import { blockList, getBlock } from '../../blocks/index.ts';

describe('block registry', () => {
  it('has unique type ids that getBlock finds', () => {
    const types = blockList.map((b) => b.type);
    expect(new Set(types).size).toBe(types.length);
    for (const b of blockList) expect(getBlock(b.type)).toBe(b);
    expect(getBlock('NoSuchBlock')).toBeUndefined();
  });

  it.each(blockList.map((b) => [b.type, b] as const))('%s documents itself for the studio', (_, b) => {
    expect(b.displayName.trim()).not.toBe('');
    expect(b.summary.trim()).not.toBe('');
    expect(b.docs.trim()).not.toBe('');
    for (const p of [...b.inputs, ...b.outputs]) expect(p.name).toMatch(/^\S+$/);
    for (const [name, spec] of Object.entries(b.params)) {
      expect(spec.label.trim(), `${b.type}.${name} label`).not.toBe('');
      expect(spec.help.trim(), `${b.type}.${name} help`).not.toBe('');
    }
  });
});
