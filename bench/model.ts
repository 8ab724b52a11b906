/**
 * The benchmark's Heracles-tiny image model, built as a document in code (so it goes through the same
 * loader and compiler as a user's model): 28×28×1 → ConvStem(stride 2) → four stages (dims 32/64/128/160,
 * depths 1/1/2/1, SSM mixers in stages 1–2, attention with head dim 32 in stages 3–4) → ClassAttention →
 * ClassifierHead(10). The PyTorch twin in `bench/pytorch/heracles_tiny.py` takes the same settings.
 */
import { loadDocument } from '../runtime/document/load';
import type { HeraclesDocument } from '../runtime/document/schema';

export interface TinyConfig {
  stemWidth: number;
  dims: [number, number, number, number];
  depths: [number, number, number, number];
  mlpRatios: [number, number, number, number];
  heads: [number, number, number, number];
  transform: 'dht2d' | 'dct';
  classes: number;
}

/** Released ratios 8/8/4/4 would give ~2.2M params; 4/4/4/4 with a width-16 stem gives ~1.37M. */
export const TINY: TinyConfig = {
  stemWidth: 16,
  dims: [32, 64, 128, 160],
  depths: [1, 1, 2, 1],
  mlpRatios: [4, 4, 4, 4],
  heads: [1, 2, 4, 5],
  transform: 'dht2d',
  classes: 10,
};

export function tinyDocument(cfg: TinyConfig = TINY, seed = 1): HeraclesDocument {
  const nodes: Record<string, unknown>[] = [
    { id: 'input', type: 'Input', params: { shape: [28, 28, 1] } },
    { id: 'stem', type: 'ConvStem', params: { dim: cfg.dims[0], width: cfg.stemWidth, stride: 2 } },
  ];
  for (let i = 0; i < 4; i++) {
    nodes.push({
      id: `stage${i + 1}`,
      type: 'Stage',
      params: {
        dim: cfg.dims[i],
        depth: cfg.depths[i],
        downsample: i > 0,
        mixer: i < 2 ? 'ssm' : 'attention',
        heads: cfg.heads[i],
        mlpRatio: cfg.mlpRatios[i],
        transform: cfg.transform,
      },
    });
  }
  nodes.push(
    { id: 'cls', type: 'ClassAttention', params: { heads: cfg.heads[3], mlpRatio: 4 } },
    { id: 'head', type: 'ClassifierHead', params: { classes: cfg.classes } },
    { id: 'output', type: 'Output', params: {} },
  );
  const edges = nodes.slice(1).map((n, i) => ({
    id: `e${i}`,
    source: nodes[i].id as string,
    target: n.id as string,
  }));
  const raw = {
    schemaVersion: 2,
    metadata: { name: 'Heracles-tiny benchmark' },
    task: { kind: 'classification', inputShape: [28, 28, 1], classes: cfg.classes },
    training: { seed },
    nodes,
    edges,
  };
  const r = loadDocument(raw);
  if (!r.ok) throw new Error(`benchmark document does not load: ${JSON.stringify(r.issues)}`);
  return r.doc;
}
