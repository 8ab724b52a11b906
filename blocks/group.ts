import { defineBlock } from './types';

/**
 * A user-defined composite: the inner graph lives in the document's `composites[ref]`; the graph engine
 * expands it (repeated `repeat` times) because only the document knows it.
 */
export default defineBlock({
  type: 'Group',
  displayName: 'Group',
  category: 'composite',
  summary: 'A reusable sub-graph defined in this document, optionally repeated ×N.',
  docs: `Packs several blocks into one node. The inner graph is stored once in the document (under *composites*) and can be used by several Group nodes; editing it changes every use and every repeat. *Repeat* chains the group after itself N times (like a Stage).`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any' }],
  outputs: [{ name: 'out', kind: 'any' }],
  params: {
    ref: {
      kind: 'string',
      label: 'Group',
      default: '',
      help: 'Name of the group definition in this document.',
    },
    repeat: {
      kind: 'int',
      label: 'Repeat',
      default: 1,
      min: 1,
      max: 64,
      help: 'How many times the group is applied in a row.',
    },
  },
  inferShape: (inputs) => inputs,
  cost: () => ({ params: 0, macs: 0 }),
});
