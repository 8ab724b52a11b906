import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'Input',
  displayName: 'Input',
  category: 'io',
  summary: 'Where data enters the model: an image [H, W, C] or a time window [L, C].',
  docs: `The model's input. For images give height, width and colour channels (28, 28, 1 for MNIST; 224, 224, 3 for ImageNet). For time series give the lookback window length and the number of series (96, 7 for ETTh1). The batch size is never part of the shape.`,
  version: 1,
  inputs: [],
  outputs: [{ name: 'out', kind: 'any', axes: '[H, W, C] or [L, C]' }],
  params: {
    shape: {
      kind: 'ints',
      label: 'Shape',
      default: [28, 28, 1],
      minLength: 2,
      maxLength: 3,
      min: 1,
      max: 100000,
      help: 'Input shape without the batch: [height, width, channels] for images, [length, channels] for sequences.',
    },
  },
  checkParams(p) {
    if (p.shape.length !== 2 && p.shape.length !== 3)
      throw new BlockError(
        'shape must have 2 numbers (sequence [L, C]) or 3 (image [H, W, C])',
        undefined,
        'shape',
      );
  },
  inferShape: (_inputs, p) => [[...p.shape]],
  cost: () => ({ params: 0, macs: 0 }),
});
