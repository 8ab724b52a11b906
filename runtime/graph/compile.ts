/**
 * Compiler: document → `tf.LayersModel` (functional API). Runs the analysis first and refuses a graph
 * with errors. Composites are expanded in place; layer names follow the node path
 * (`stage1/b0/mixer`), so weights are readable in model.json and stable across saves.
 */
import * as tf from '@tensorflow/tfjs';
import { getBlock } from '../../blocks/index';
import type { BlockDef, ParamValues } from '../../blocks/types';
import type { DocumentIssue, HeraclesDocument } from '../document/schema';
import { formatIssue } from '../document/schema';
import '../layers/index';
import { analyzeDocument } from './analyze';
import { applyFreeze } from './backbone';
import type { GraphAnalysis, GraphLike } from './analyze';

export class GraphError extends Error {
  constructor(readonly issues: DocumentIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'GraphError';
  }
}

export interface Compiled {
  model: tf.LayersModel;
  analysis: GraphAnalysis;
}

const portKey = (node: string, handle: string) => `${node}\u0000${handle}`;

/** Builds the tfjs model of a document (throws `GraphError` listing every problem if it has any). */
export function compileDocument(doc: HeraclesDocument, opts: { seed?: number } = {}): Compiled {
  const analysis = analyzeDocument(doc);
  if (analysis.issues.length) throw new GraphError(analysis.issues);
  const seed = opts.seed ?? doc.training.seed;
  const inputs: tf.SymbolicTensor[] = [];
  const outputs = buildGraph(doc, analysis, new Map(), '', seed, inputs);
  const outNode = doc.nodes.find((n) => n.type === 'Output') as { id: string };
  const model = tf.model({
    inputs,
    outputs: outputs.get(outNode.id) as tf.SymbolicTensor[],
    name: modelName(doc.metadata.name),
  });
  applyFreeze(model, doc);
  return { model, analysis };
}

function buildGraph(
  graph: GraphLike,
  analysis: GraphAnalysis,
  external: Map<string, tf.SymbolicTensor>,
  prefix: string,
  seed: number | undefined,
  modelInputs: tf.SymbolicTensor[],
): Map<string, tf.SymbolicTensor[]> {
  const produced = new Map<string, tf.SymbolicTensor[]>();
  const nodesById = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, { source: string; handle: string }[]>();
  graph.edges.forEach((e) => {
    const key = portKey(e.target, e.targetHandle ?? 'in');
    incoming.set(key, [...(incoming.get(key) ?? []), { source: e.source, handle: e.sourceHandle ?? 'out' }]);
  });
  for (const id of analysis.order) {
    const node = nodesById.get(id) as GraphLike['nodes'][number];
    const info = analysis.nodes[id];
    const block = getBlock(node.type) as BlockDef;
    const name = `${prefix}${id}`;
    if (block.type === 'Input') {
      const x = tf.input({ shape: info.outputShapes?.[0] as number[], name: safeName(name) });
      modelInputs.push(x);
      produced.set(id, [x]);
      continue;
    }
    const ins: tf.SymbolicTensor[] = [];
    for (const port of block.inputs) {
      const ext = external.get(portKey(id, port.name));
      if (ext) ins.push(ext);
      for (const f of incoming.get(portKey(id, port.name)) ?? []) {
        const srcBlock = getBlock((nodesById.get(f.source) as { type: string }).type) as BlockDef;
        ins.push(
          (produced.get(f.source) as tf.SymbolicTensor[])[
            srcBlock.outputs.findIndex((p) => p.name === f.handle)
          ],
        );
      }
    }
    if (info.expanded && info.inner) {
      const sub = info.expanded;
      const ext = new Map<string, tf.SymbolicTensor>();
      sub.inputs.forEach((ports, i) => ports.forEach((p) => ext.set(portKey(p.node, p.handle), ins[i])));
      const inner = buildGraph(sub, info.inner, ext, `${name}/`, seed, modelInputs);
      produced.set(
        id,
        sub.outputs.map((o) => {
          const innerBlock = getBlock(
            (sub.nodes.find((n) => n.id === o.node) as { type: string }).type,
          ) as BlockDef;
          return (inner.get(o.node) as tf.SymbolicTensor[])[
            Math.max(
              0,
              innerBlock.outputs.findIndex((p) => p.name === o.handle),
            )
          ];
        }),
      );
      continue;
    }
    if (!block.build) throw new Error(`block type ${block.type} cannot be compiled`);
    const fn = block.build(info.params as ParamValues, {
      name: safeName(name),
      inputShapes: info.inputShapes ?? [],
      seed,
    });
    produced.set(id, fn(ins));
  }
  return produced;
}

/** tfjs names allow letters, digits and `_ . / -`, starting with a letter or digit. */
const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_./-]/g, '_').replace(/^[^A-Za-z0-9]+/, 'n');
const modelName = (s: string): string => safeName(s.trim() || 'model') || 'model';
