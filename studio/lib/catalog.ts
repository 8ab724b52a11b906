/** Pure helpers for the block reference page: search, grouping and display strings. */
import type { BlockCategory, BlockDef, ParamSpec, ParamValue } from '$blocks';

export const CATEGORY_ORDER: readonly BlockCategory[] = [
  'io',
  'embedding',
  'mixer',
  'attention',
  'normalization',
  'layer',
  'regularization',
  'shape',
  'merge',
  'head',
  'composite',
];

export const CATEGORY_LABELS: Record<BlockCategory, string> = {
  io: 'Inputs & outputs',
  embedding: 'Embeddings',
  mixer: 'Token mixers',
  attention: 'Attention',
  normalization: 'Normalization',
  layer: 'Layers',
  regularization: 'Regularization',
  shape: 'Shape',
  merge: 'Merge',
  head: 'Heads',
  composite: 'Composite blocks',
};

export const categoryLabel = (c: string): string => CATEGORY_LABELS[c as BlockCategory] ?? c;

/** Every whitespace-separated word of the query must occur in the name, type id or summary. */
export function filterBlocks(blocks: readonly BlockDef[], query: string): BlockDef[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...blocks];
  return blocks.filter((b) => {
    const hay = `${b.displayName} ${b.type} ${b.summary}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export interface CategoryGroup {
  category: string;
  label: string;
  blocks: BlockDef[];
}

/** Groups by category in CATEGORY_ORDER (unknown categories last), keeping registry order inside. */
export function groupByCategory(blocks: readonly BlockDef[]): CategoryGroup[] {
  const groups = new Map<string, BlockDef[]>();
  for (const b of blocks) {
    const list = groups.get(b.category);
    if (list) list.push(b);
    else groups.set(b.category, [b]);
  }
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c as BlockCategory);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([category, list]) => ({ category, label: categoryLabel(category), blocks: list }));
}

export function formatValue(v: ParamValue | undefined): string {
  if (v === undefined) return '—';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const bounds = (min?: number, max?: number): string =>
  min === undefined && max === undefined ? '' : `${min ?? '−∞'} … ${max ?? '∞'}`;

/** Allowed values of a param in words: a range, the options, or an empty string when unconstrained. */
export function formatConstraint(p: ParamSpec): string {
  switch (p.kind) {
    case 'int':
    case 'float':
      return bounds(p.min, p.max);
    case 'enum':
      return p.options.join(' | ');
    case 'ints': {
      const parts: string[] = [];
      const len = bounds(p.minLength, p.maxLength);
      if (len) parts.push(`length ${len}`);
      const each = bounds(p.min, p.max);
      if (each) parts.push(`each ${each}`);
      return parts.join('; ');
    }
    default:
      return '';
  }
}
