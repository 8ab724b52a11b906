import { defineBlock } from './types';

/**
 * A trained model reused as a feature extractor. The runtime expands it from the trained model's own
 * document (see runtime/graph/backbone.ts) and copies in its weights.
 */
export default defineBlock({
  type: 'PretrainedBackbone',
  displayName: 'Pretrained Backbone',
  category: 'composite',
  summary: 'Reuses the blocks and trained weights of another model; freeze the stages you want to keep.',
  docs: `Transfer learning: takes a model you trained before (its folder, as written by \`heracles train\` or exported by the studio) up to the node named in *Features from* — by default everything before its head — with its trained weights. Put a new head after it and train on the new data. *Freeze* lists the backbone's stages (node ids such as \`stem, stage1, stage2\`) whose weights stay as they are; \`all\` freezes everything, empty fine-tunes everything. The input must have the size the backbone was trained on.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: 'as the backbone was trained' }],
  outputs: [{ name: 'out', kind: 'any' }],
  params: {
    path: {
      kind: 'string',
      label: 'Model folder',
      default: '',
      help: 'Folder of the trained model (model.json, weights.bin, document.heracles.json).',
    },
    upTo: {
      kind: 'string',
      label: 'Features from',
      default: '',
      help: "Node id of the backbone whose output is used; empty = what feeds the backbone's head.",
    },
    freeze: {
      kind: 'string',
      label: 'Freeze',
      default: '',
      help: 'Comma-separated backbone node ids to keep fixed (e.g. "stem, stage1"), "all", or empty.',
    },
  },
  inferShape: (inputs) => inputs,
  cost: () => ({ params: 0, macs: 0 }),
});
