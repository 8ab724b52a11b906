/**
 * Whether a link the user is dragging can work, decided before it is made: the ports exist, the
 * input is free (or accepts several links), no cycle appears, and the tensor kinds fit (image tokens,
 * sequence, vector; `same` outputs resolved through the analysis' shapes).
 */
import { getBlock } from '../../blocks/index';
import { kindOfShape } from '../../blocks/types';
import type { PortKind } from '../../blocks/types';
import type { HeraclesDocument } from '../document/schema';
import type { GraphAnalysis } from '../graph/analyze';

export type ConnectCheck = { ok: true } | { ok: false; reason: string };

const KIND_WORDS: Record<PortKind, string> = {
  image: 'image tokens [H, W, C]',
  sequence: 'a sequence [L, C]',
  vector: 'a vector [C]',
  any: 'any tensor',
};

const nameOf = (doc: HeraclesDocument, id: string): string => {
  const n = doc.nodes.find((x) => x.id === id);
  const block = n && getBlock(n.type);
  return n?.label ? `"${n.label}"` : `${block?.displayName ?? n?.type ?? 'node'} "${id}"`;
};

/**
 * The kind of tensor a node's output carries: the analysed shape when known, else the port's declared
 * kind, with `same` following input 0 upstream; `any` when nothing is known.
 */
export function outputKind(
  doc: HeraclesDocument,
  analysis: GraphAnalysis | undefined,
  nodeId: string,
  handle: string,
  depth = 0,
): { kind: PortKind; shape?: number[] } {
  const node = doc.nodes.find((n) => n.id === nodeId);
  const block = node && getBlock(node.type);
  if (!block) return { kind: 'any' };
  const idx = block.outputs.findIndex((p) => p.name === handle);
  const info = analysis?.nodes[nodeId];
  const shape = info?.status === 'ok' ? info.outputShapes?.[idx] : undefined;
  if (shape) return { kind: kindOfShape(shape), shape };
  const port = block.outputs[idx];
  if (!port) return { kind: 'any' };
  if (port.kind !== 'same') return { kind: port.kind };
  const first = block.inputs[0];
  if (!first || depth > 64) return { kind: 'any' };
  const feed = doc.edges.find((e) => e.target === nodeId && (e.targetHandle ?? 'in') === first.name);
  if (feed) return outputKind(doc, analysis, feed.source, feed.sourceHandle ?? 'out', depth + 1);
  return { kind: first.kind === 'same' ? 'any' : first.kind };
}

/** True when `to` can reach `from` by following edges forward (so from → to would close a loop). */
function reaches(doc: HeraclesDocument, start: string, goal: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === goal) return true;
    for (const t of next.get(id) ?? [])
      if (!seen.has(t)) {
        seen.add(t);
        stack.push(t);
      }
  }
  return false;
}

export function canConnect(
  doc: HeraclesDocument,
  analysis: GraphAnalysis | undefined,
  source: string,
  sourceHandle: string | null | undefined,
  target: string,
  targetHandle: string | null | undefined,
): ConnectCheck {
  const sh = sourceHandle ?? 'out';
  const th = targetHandle ?? 'in';
  const srcNode = doc.nodes.find((n) => n.id === source);
  const dstNode = doc.nodes.find((n) => n.id === target);
  if (!srcNode) return { ok: false, reason: `there is no node "${source}"` };
  if (!dstNode) return { ok: false, reason: `there is no node "${target}"` };
  if (source === target) return { ok: false, reason: `${nameOf(doc, source)} cannot feed itself` };
  const src = getBlock(srcNode.type);
  const dst = getBlock(dstNode.type);
  if (!src)
    return { ok: false, reason: `${nameOf(doc, source)} has an unknown block type "${srcNode.type}"` };
  if (!dst)
    return { ok: false, reason: `${nameOf(doc, target)} has an unknown block type "${dstNode.type}"` };
  const outPort = src.outputs.find((p) => p.name === sh);
  if (!outPort) return { ok: false, reason: `${nameOf(doc, source)} has no output "${sh}"` };
  const inPort = dst.inputs.find((p) => p.name === th);
  if (!inPort) return { ok: false, reason: `${nameOf(doc, target)} has no input "${th}"` };

  const existing = doc.edges.filter((e) => e.target === target && (e.targetHandle ?? 'in') === th);
  if (existing.some((e) => e.source === source && (e.sourceHandle ?? 'out') === sh))
    return { ok: false, reason: `${nameOf(doc, source)} is already connected to ${nameOf(doc, target)}` };
  if (existing.length > 0 && !dst.variadicInput)
    return {
      ok: false,
      reason: `input "${th}" of ${nameOf(doc, target)} already has a connection — remove it first, or merge with an Add / Concat block`,
    };
  if (reaches(doc, target, source))
    return {
      ok: false,
      reason: `linking ${nameOf(doc, source)} → ${nameOf(doc, target)} would make a loop; models flow one way`,
    };

  const want = inPort.kind === 'same' ? 'any' : inPort.kind;
  const got = outputKind(doc, analysis, source, sh);
  if (want !== 'any' && got.kind !== 'any' && got.kind !== want) {
    const gotWords = got.shape
      ? `${KIND_WORDS[got.kind].split(' [')[0]} [${got.shape.join(', ')}]`
      : KIND_WORDS[got.kind];
    const hint =
      want === 'vector'
        ? 'pool the tokens first (Global Pool)'
        : 'insert a Reshape, or use the matching 1-D / 2-D block';
    return {
      ok: false,
      reason: `${nameOf(doc, target)} expects ${KIND_WORDS[want]} on "${th}", but ${nameOf(doc, source)} gives ${gotWords}: ${hint}`,
    };
  }
  return { ok: true };
}
