import { describe, expect, it } from 'vitest';
import type { BlockDef } from '../../blocks/types.ts';
import { filterBlocks, formatConstraint, formatValue, groupByCategory } from '../../studio/lib/catalog.ts';

const block = (type: string, category: BlockDef['category'], summary = ''): BlockDef => ({
  type,
  displayName: type.replace(/([a-z])([A-Z])/g, '$1 $2'),
  category,
  summary,
  docs: '',
  version: 1,
  inputs: [],
  outputs: [],
  params: {},
  inferShape: (s) => s,
  cost: () => ({ params: 0, macs: 0 }),
});

const blocks = [
  block('Dense', 'layer', 'Fully connected layer'),
  block('ImageInput', 'io', 'An image'),
  block('HartleySSM', 'mixer', 'Global token mixing'),
  block('Dropout', 'regularization', 'Randomly zeroes activations'),
];

describe('filterBlocks', () => {
  it('matches every word, case-insensitively, in name, type or summary', () => {
    expect(filterBlocks(blocks, '').map((b) => b.type)).toEqual(blocks.map((b) => b.type));
    expect(filterBlocks(blocks, 'hartley').map((b) => b.type)).toEqual(['HartleySSM']);
    expect(filterBlocks(blocks, 'IMAGE input').map((b) => b.type)).toEqual(['ImageInput']);
    expect(filterBlocks(blocks, 'layer fully').map((b) => b.type)).toEqual(['Dense']);
    expect(filterBlocks(blocks, 'nothing')).toEqual([]);
  });
});

describe('groupByCategory', () => {
  it('orders groups by the category order and keeps registry order inside', () => {
    const groups = groupByCategory([...blocks, block('Linear', 'layer')]);
    expect(groups.map((g) => g.category)).toEqual(['io', 'mixer', 'layer', 'regularization']);
    expect(groups[2]!.blocks.map((b) => b.type)).toEqual(['Dense', 'Linear']);
    expect(groups[0]!.label).toBe('Inputs & outputs');
  });
});

describe('formatting', () => {
  it('formats values and constraints', () => {
    expect(formatValue([1, 2])).toBe('[1, 2]');
    expect(formatValue('gelu')).toBe('"gelu"');
    expect(formatValue(true)).toBe('true');
    expect(formatConstraint({ kind: 'int', label: '', help: '', default: 1, min: 1 })).toBe('1 … ∞');
    expect(formatConstraint({ kind: 'float', label: '', help: '', default: 0.1 })).toBe('');
    expect(formatConstraint({ kind: 'enum', label: '', help: '', default: 'a', options: ['a', 'b'] })).toBe(
      'a | b',
    );
    expect(
      formatConstraint({
        kind: 'ints',
        label: '',
        help: '',
        default: [1],
        minLength: 1,
        maxLength: 4,
        min: 1,
      }),
    ).toBe('length 1 … 4; each 1 … ∞');
  });
});
