/**
 * Composite graphs: repeating an inner graph ×N and expanding user groups from `document.composites`.
 * Inner node ids are path-like (`b0.mixer`), so compiled layer names read as `stage1/b0.mixer/...`.
 */
import { BlockError } from '../../blocks/types';
import type { ParamValues, SubGraph } from '../../blocks/types';
import type { Composite } from '../document/schema';

/** Prefixes every inner node id with `prefix`. */
export function prefixGraph(sub: SubGraph, prefix: string): SubGraph {
  const p = (id: string) => `${prefix}${id}`;
  return {
    nodes: sub.nodes.map((n) => ({ ...n, id: p(n.id) })),
    edges: sub.edges.map((e) => ({ ...e, source: p(e.source), target: p(e.target) })),
    inputs: sub.inputs.map((ports) => ports.map((q) => ({ ...q, node: p(q.node) }))),
    outputs: sub.outputs.map((q) => ({ ...q, node: p(q.node) })),
  };
}

/**
 * Chains graphs one after another: output 0 of graph k feeds input 0 of graph k + 1.
 * The result's inputs are the first graph's; its outputs the last one's.
 */
export function chainGraphs(parts: SubGraph[]): SubGraph {
  if (parts.length === 0) throw new BlockError('nothing to chain');
  const out: SubGraph = {
    nodes: [],
    edges: [],
    inputs: parts[0].inputs,
    outputs: parts[parts.length - 1].outputs,
  };
  parts.forEach((g, k) => {
    out.nodes.push(...g.nodes);
    out.edges.push(...g.edges);
    if (k > 0) {
      const from = parts[k - 1].outputs[0];
      for (const to of g.inputs[0] ?? [])
        out.edges.push({
          source: from.node,
          sourceHandle: from.handle,
          target: to.node,
          targetHandle: to.handle,
        });
    }
  });
  return out;
}

/** The inner graph of a `Group` node: `composites[ref]` repeated `repeat` times. */
export function expandGroup(params: ParamValues, composites: Record<string, Composite>): SubGraph {
  const ref = String(params.ref);
  const repeat = Number(params.repeat);
  // Object.hasOwn: a ref like "toString" must not find Object.prototype's property.
  const def = Object.hasOwn(composites, ref) ? composites[ref] : undefined;
  if (!def) {
    const known = Object.keys(composites);
    throw new BlockError(
      `refers to group "${ref}", which this document does not define`,
      known.length ? `defined groups: ${known.join(', ')}` : 'define it under "composites"',
      'ref',
    );
  }
  if (def.inputs.length !== 1 || def.outputs.length !== 1)
    throw new BlockError(
      `group "${ref}" has ${def.inputs.length} inputs and ${def.outputs.length} outputs; a Group node needs exactly one of each`,
      undefined,
      'ref',
    );
  const body: SubGraph = {
    nodes: def.nodes.map((n) => ({
      id: n.id,
      type: n.type,
      params: n.params as ParamValues,
      label: n.label,
    })),
    edges: def.edges.map((e) => ({
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      targetHandle: e.targetHandle,
    })),
    inputs: def.inputs,
    outputs: def.outputs,
  };
  return repeat === 1
    ? body
    : chainGraphs(Array.from({ length: repeat }, (_, k) => prefixGraph(body, `r${k}.`)));
}
