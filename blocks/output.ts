import { defineBlock } from './types';

export default defineBlock({
  type: 'Output',
  displayName: 'Output',
  category: 'io',
  summary: "The model's prediction: class scores [classes] or a forecast [horizon, C].",
  docs: `Marks what the model predicts. A classifier ends in class scores (logits, one per class); a forecaster ends in a window [horizon, channels]. The document's task says which shape is expected, and the studio shows an error here when the graph produces something else.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[classes] or [T, C]' }],
  outputs: [],
  params: {},
  inferShape: (inputs) => [inputs[0]],
  cost: () => ({ params: 0, macs: 0 }),
  build: () => (xs) => xs,
});
