/**
 * Transfer learning: a `PretrainedBackbone` node stands for (part of) a trained model. Its inner graph is
 * the trained model's own document, cut at the node whose features it exposes; its weights are copied in
 * after compiling (see `loadBackboneWeights`), and the stages it names are frozen.
 *
 * Finding a trained model is the environment's job (files in Node, IndexedDB in the browser): it registers
 * a resolver here. Without one, a backbone node reports that it cannot be found.
 */
import * as tf from '@tensorflow/tfjs';
import { BlockError } from '../../blocks/types';
import type { ParamValues, SubGraph } from '../../blocks/types';
import type { HeraclesDocument } from '../document/schema';

export type BackboneResolver = (ref: string) => HeraclesDocument | undefined;

let resolver: BackboneResolver = () => undefined;

export function registerBackboneResolver(r: BackboneResolver): void {
  resolver = r;
}

/**
 * The trained documents that `doc`'s backbone nodes (in its graph and its groups) refer to, resolved now,
 * and those their own backbones refer to: what another thread needs to compile `doc` the same way
 * (register `(ref) => found[ref]` there).
 */
export function backbonesOf(doc: HeraclesDocument): Record<string, HeraclesDocument> {
  const found: Record<string, HeraclesDocument> = {};
  const visit = (d: HeraclesDocument) => {
    const nodes = [...d.nodes, ...Object.values(d.composites ?? {}).flatMap((g) => g.nodes)];
    for (const n of nodes) {
      const ref = n.type === 'PretrainedBackbone' ? String(n.params.path ?? '') : '';
      const trained = ref && !(ref in found) ? resolver(ref) : undefined;
      if (!trained) continue;
      found[ref] = trained;
      visit(trained);
    }
  };
  visit(doc);
  return found;
}

const HEADS = new Set(['ClassifierHead', 'ForecastHead', 'Output']);

/** The node whose output the backbone exposes: `upTo`, or (auto) what feeds the first head. */
function featureNode(doc: HeraclesDocument, upTo: string): string {
  if (upTo) {
    if (!doc.nodes.some((n) => n.id === upTo))
      throw new BlockError(
        `the backbone has no node "${upTo}"`,
        `its nodes are ${doc.nodes.map((n) => n.id).join(', ')}`,
        'upTo',
      );
    return upTo;
  }
  const head = doc.nodes.find((n) => HEADS.has(n.type));
  const feed = head && doc.edges.find((e) => e.target === head.id);
  if (!feed)
    throw new BlockError(
      'cannot tell where the backbone features end',
      'name a node in "Features from"',
      'upTo',
    );
  return feed.source;
}

/** Everything upstream of `id` (inclusive), without Input nodes. */
function ancestors(doc: HeraclesDocument, id: string): Set<string> {
  const keep = new Set<string>([id]);
  const stack = [id];
  while (stack.length) {
    const t = stack.pop() as string;
    for (const e of doc.edges)
      if (e.target === t && !keep.has(e.source)) {
        keep.add(e.source);
        stack.push(e.source);
      }
  }
  for (const n of doc.nodes) if (n.type === 'Input') keep.delete(n.id);
  return keep;
}

export function parseFreeze(spec: string): 'all' | string[] {
  const s = spec.trim();
  if (s === 'all') return 'all';
  return s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
}

/** The inner graph of a PretrainedBackbone node. */
export function expandBackbone(params: ParamValues): SubGraph {
  const ref = String(params.path);
  if (!ref)
    throw new BlockError(
      'no trained model chosen',
      'set "Model folder" to a folder written by heracles train',
      'path',
    );
  const doc = resolver(ref);
  if (!doc)
    throw new BlockError(
      `cannot find a trained model at "${ref}"`,
      'train one first (heracles train … --out <folder>) and give that folder',
      'path',
    );
  const out = featureNode(doc, String(params.upTo ?? ''));
  const keep = ancestors(doc, out);
  const freeze = parseFreeze(String(params.freeze ?? ''));
  if (freeze !== 'all')
    for (const id of freeze)
      if (!keep.has(id))
        throw new BlockError(
          `freeze names "${id}", which the backbone does not have`,
          `it has ${[...keep].join(', ')}; or use "all"`,
          'freeze',
        );
  const inputs = doc.nodes.filter((n) => n.type === 'Input').map((n) => n.id);
  return {
    nodes: doc.nodes
      .filter((n) => keep.has(n.id))
      .map((n) => ({ id: n.id, type: n.type, params: n.params as ParamValues, label: n.label })),
    edges: doc.edges
      .filter((e) => keep.has(e.source) && keep.has(e.target))
      .map((e) => ({
        source: e.source,
        sourceHandle: e.sourceHandle,
        target: e.target,
        targetHandle: e.targetHandle,
      })),
    inputs: [
      doc.edges
        .filter((e) => inputs.includes(e.source) && keep.has(e.target))
        .map((e) => ({ node: e.target, handle: e.targetHandle })),
    ],
    outputs: [{ node: out, handle: 'out' }],
  };
}

/** Marks the layers of frozen backbone stages as not trainable (after compiling). */
export function applyFreeze(model: tf.LayersModel, doc: HeraclesDocument): void {
  for (const n of doc.nodes) {
    if (n.type !== 'PretrainedBackbone') continue;
    const freeze = parseFreeze(String(n.params.freeze ?? ''));
    const prefixes = freeze === 'all' ? [`${n.id}/`] : freeze.map((id) => `${n.id}/${id}`);
    for (const layer of model.layers)
      if (prefixes.some((p) => layer.name === p || layer.name.startsWith(p.endsWith('/') ? p : `${p}/`)))
        layer.trainable = false;
  }
}

export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * Copies each backbone's trained weights into the compiled model. `read(ref)` gives the trained model's
 * weights by name. Every mismatch is reported with the weight's name and both shapes.
 */
export async function loadBackboneWeights(
  model: tf.LayersModel,
  doc: HeraclesDocument,
  read: (ref: string) => Promise<NamedWeights>,
): Promise<number> {
  let copied = 0;
  for (const n of doc.nodes) {
    if (n.type !== 'PretrainedBackbone') continue;
    const source = await read(String(n.params.path));
    const prefix = `${n.id}/`;
    for (const w of model.weights) {
      if (!w.originalName.startsWith(prefix)) continue;
      const name = w.originalName.slice(prefix.length);
      const src = source.get(name);
      if (!src)
        throw new BlockError(
          `the trained model at "${n.params.path}" has no weight "${name}"`,
          'was it trained from a different document?',
        );
      const shape = w.shape as number[];
      if (shape.join(',') !== src.shape.join(','))
        throw new BlockError(
          `weight "${name}" is [${src.shape.join(', ')}] in the trained model but [${shape.join(', ')}] here`,
          'the new input must have the size the backbone was trained on (spectral weights are sized from the token grid)',
        );
      const t = tf.tensor(src.data, src.shape);
      w.write(t);
      t.dispose();
      copied++;
    }
  }
  return copied;
}
