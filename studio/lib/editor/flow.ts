/** Document + analysis → the nodes and edges Svelte Flow draws. */
import { getBlock } from '$blocks';
import type { BlockCategory, BlockDef, PortKind, Shape } from '$blocks';
import type { Edge, Node } from '@xyflow/svelte';
import { outputKind } from '$runtime/editor/connect';
import type { DocNode, DocumentIssue, HeraclesDocument } from '$runtime/document/schema';
import type { GraphAnalysis, NodeInfo } from '$runtime/graph/analyze';

/** Node components are chosen by category family, never per block type. */
export type NodeFamily = 'io' | 'block' | 'composite';
export const familyOf = (c: BlockCategory | undefined): NodeFamily =>
  c === 'io' ? 'io' : c === 'composite' ? 'composite' : 'block';

export type BlockNodeData = {
  node: DocNode;
  block?: BlockDef;
  info?: NodeInfo;
  issues: DocumentIssue[];
  /** Resolved kind of each output port (`same` followed through the graph). */
  outKinds: PortKind[];
};
export type FlowNode = Node<BlockNodeData, NodeFamily>;
export type ShapeEdgeData = { shape?: Shape; issues: DocumentIssue[] };
export type FlowEdge = Edge<ShapeEdgeData, 'shape'>;

export const PORT_COLORS: Record<PortKind, string> = {
  image: '#2b7bb9',
  sequence: '#2e9e5b',
  vector: '#c77c12',
  any: '#8a8f98',
};

export function buildNodes(
  doc: HeraclesDocument,
  analysis: GraphAnalysis,
  issuesByNode: Map<string, DocumentIssue[]>,
  previous: readonly FlowNode[],
  /** A new selection; otherwise the canvas' current one is kept. */
  selected?: ReadonlySet<string>,
): FlowNode[] {
  const prev = new Map(previous.map((n) => [n.id, n]));
  return doc.nodes.map((node) => {
    const block = getBlock(node.type);
    const old = prev.get(node.id);
    return {
      id: node.id,
      type: familyOf(block?.category),
      position: { x: node.position?.x ?? 0, y: node.position?.y ?? 0 },
      data: {
        node,
        block,
        info: analysis.nodes[node.id],
        issues: issuesByNode.get(node.id) ?? [],
        outKinds: (block?.outputs ?? []).map((p) => outputKind(doc, analysis, node.id, p.name).kind),
      },
      selected: selected ? selected.has(node.id) : !!old?.selected,
      ...(old?.measured ? { measured: old.measured } : {}),
      ariaLabel: `${block?.displayName ?? node.type} ${node.label ?? node.id}`,
    };
  });
}

export function buildEdges(
  doc: HeraclesDocument,
  analysis: GraphAnalysis,
  issuesByEdge: Map<string, DocumentIssue[]>,
  previous: readonly FlowEdge[],
  clearSelection = false,
): FlowEdge[] {
  const wasSelected = new Set(previous.filter((e) => e.selected).map((e) => e.id));
  return doc.edges.map((e) => ({
    id: e.id,
    type: 'shape',
    source: e.source,
    target: e.target,
    sourceHandle: e.sourceHandle ?? 'out',
    targetHandle: e.targetHandle ?? 'in',
    data: { shape: analysis.edgeShapes[e.id], issues: issuesByEdge.get(e.id) ?? [] },
    selected: !clearSelection && wasSelected.has(e.id),
    ariaLabel: `link ${e.source} to ${e.target}`,
  }));
}

export const shapeText = (s: Shape | undefined): string => (s ? `[${s.join(', ')}]` : '?');

/** 21229512 → "21.23 M". */
export function si(n: number, digits = 2): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(digits)} ${u}`;
  return String(n);
}

/** The drag-and-drop data type of palette items. */
export const DRAG_TYPE = 'application/x-heracles-block';

/** A free spot for a new node near `at`: moves right until no node overlaps. */
export function freeSpot(
  doc: HeraclesDocument,
  at: { x: number; y: number },
  size = { w: 220, h: 110 },
): { x: number; y: number } {
  const p = { x: Math.round(at.x), y: Math.round(at.y) };
  const hits = () =>
    doc.nodes.some((n) => {
      const q = n.position ?? { x: 0, y: 0 };
      return Math.abs(q.x - p.x) < size.w + 20 && Math.abs(q.y - p.y) < size.h;
    });
  for (let i = 0; i < 200 && hits(); i++) p.x += size.w + 40;
  return p;
}

/** Estimated training memory in bytes: fp32 weights + gradients + two Adam moments, and activations
 *  (every node's outputs, composites' inner nodes included) kept for the backward pass. */
export function trainingMemory(analysis: GraphAnalysis, batch: number): number {
  let activations = 0;
  const walk = (a: GraphAnalysis) => {
    for (const info of Object.values(a.nodes)) {
      if (info.inner) walk(info.inner);
      else for (const s of info.outputShapes ?? []) activations += s.reduce((x, y) => x * y, 1);
    }
  };
  walk(analysis);
  return 4 * (4 * analysis.totals.params + 2 * activations * batch);
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export const idSet = (xs: readonly { id: string }[]): Set<string> => new Set(xs.map((x) => x.id));

/** Issues pinned to nodes (or edges), by id. */
export function issuesBy(
  issues: readonly DocumentIssue[],
  kind: 'node' | 'edge',
): Map<string, DocumentIssue[]> {
  const m = new Map<string, DocumentIssue[]>();
  for (const i of issues) if (i.where.kind === kind) m.set(i.where.id, [...(m.get(i.where.id) ?? []), i]);
  return m;
}
