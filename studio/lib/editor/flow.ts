/** Document + analysis → the nodes and edges Svelte Flow draws. */
import { getBlock, kindOfShape } from '$blocks';
import type { BlockCategory, BlockDef, PortKind, Shape, SubGraph } from '$blocks';
import type { Edge, Node } from '@xyflow/svelte';
import { outputKind } from '$runtime/editor/connect';
import { CONVERTIBLE, type Position } from '$runtime/editor/commands';
import type { DocNode, DocumentIssue, HeraclesDocument } from '$runtime/document/schema';
import type { GraphAnalysis, NodeInfo } from '$runtime/graph/analyze';
import {
  CARD_H,
  CARD_W,
  PORT_X,
  SEP,
  canExpand,
  containerNote,
  layoutInner,
  shapeOf,
  type InnerLayout,
  type Placed,
} from './expand';

/** Node components are chosen by category family, never per block type; an expanded composite is a container. */
export type NodeFamily = 'io' | 'block' | 'composite' | 'expanded';
export const familyOf = (c: BlockCategory | undefined): NodeFamily =>
  c === 'io' ? 'io' : c === 'composite' ? 'composite' : 'block';

export type BlockNodeData = {
  /** The document node; for an inner node, one made from the expanded graph (not in the document). */
  node: DocNode;
  block?: BlockDef;
  info?: NodeInfo;
  issues: DocumentIssue[];
  /** Resolved kind of each output port (`same` followed through the graph). */
  outKinds: PortKind[];
  /** The card's heading. */
  title: string;
  /** How buttons name the node: "Expand <name>". */
  name: string;
  /** Inside an expanded composite: placed automatically, no links of its own. */
  inner: boolean;
  /** Inside a user group: its links can be drawn and its blocks deleted. */
  editable?: boolean;
  /** A composite with an inner graph to show. */
  expandable: boolean;
  /** Flow position − shift = document position (expanded composites push nodes below them down). */
  shift: Position;
  /** Set when the node is shown expanded. */
  container?: { note: string; convertible: boolean };
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

const ZERO: Position = { x: 0, y: 0 };

/** Output kinds of an inner node, from its analysed shapes (else the declared port kinds). */
function innerKinds(block: BlockDef | undefined, info: NodeInfo | undefined): PortKind[] {
  return (block?.outputs ?? []).map((p, i) => {
    const s = shapeOf(info, i);
    return s ? kindOfShape(s) : p.kind === 'same' ? 'any' : p.kind;
  });
}

export interface ViewInput {
  doc: HeraclesDocument;
  analysis: GraphAnalysis;
  issuesByNode: Map<string, DocumentIssue[]>;
  issuesByEdge: Map<string, DocumentIssue[]>;
  /** Paths of the composites shown expanded (view state). */
  expanded: ReadonlySet<string>;
  previousNodes: readonly FlowNode[];
  previousEdges: readonly FlowEdge[];
  /** A new selection; otherwise the canvas' current one is kept. */
  selected?: ReadonlySet<string>;
}

interface Built {
  layout: InnerLayout;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** Document + analysis + expansion → the nodes and edges Svelte Flow draws. */
export function buildView(v: ViewInput): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const { doc, analysis, expanded, selected } = v;
  const prev = new Map(v.previousNodes.map((n) => [n.id, n]));
  const isSelected = (id: string) => (selected ? selected.has(id) : !!prev.get(id)?.selected);
  /** The last measured size, while the node keeps its kind (a collapsed container is re-measured). */
  const measured = (id: string, type: NodeFamily) => {
    const old = prev.get(id);
    return old?.measured && old.type === type ? { measured: old.measured } : {};
  };

  const buildInner = (path: string, info: NodeInfo, root: NodeInfo): Built => {
    const sub = info.expanded as SubGraph;
    const inner = info.inner as GraphAnalysis;
    const byNode = issuesBy(inner.issues, 'node');
    const byEdge = issuesBy(inner.issues, 'edge');
    const nested = new Map<string, Built>();
    for (const n of sub.nodes) {
      const childPath = `${path}${SEP}${n.id}`;
      const ci = inner.nodes[n.id];
      if (expanded.has(childPath) && canExpand(ci)) nested.set(n.id, buildInner(childPath, ci, root));
    }
    const layout = layoutInner(sub, (id) => nested.get(id)?.layout ?? { width: CARD_W, height: CARD_H });
    // Inside a user group the structure can be edited (blocks linked and deleted, every repeat at once).
    const editable = info.type === 'Group';
    const nodes: FlowNode[] = [];
    const edges: FlowEdge[] = [];
    for (const n of sub.nodes) {
      const childPath = `${path}${SEP}${n.id}`;
      const ci: NodeInfo | undefined = inner.nodes[n.id];
      const block = getBlock(n.type);
      const at = layout.placed.get(n.id) as Placed;
      const box = nested.get(n.id);
      nodes.push({
        id: childPath,
        parentId: path,
        type: box ? 'expanded' : familyOf(block?.category),
        position: { x: at.x, y: at.y },
        ...(box
          ? {
              width: box.layout.width,
              height: box.layout.height,
              measured: { width: box.layout.width, height: box.layout.height },
            }
          : measured(childPath, familyOf(block?.category))),
        draggable: false,
        connectable: editable,
        deletable: false,
        data: {
          node: {
            id: n.id,
            type: n.type,
            params: n.params,
            position: ZERO,
            ...(n.label !== undefined ? { label: n.label } : {}),
          },
          block,
          info: ci,
          issues: byNode.get(n.id) ?? [],
          outKinds: innerKinds(block, ci),
          title: n.label ?? n.id,
          name: childPath,
          inner: true,
          editable,
          expandable: canExpand(ci),
          shift: ZERO,
          ...(box && ci ? { container: { note: containerNote(ci, root), convertible: false } } : {}),
        },
        selected: isSelected(childPath),
        ariaLabel: `${block?.displayName ?? n.type} ${childPath}`,
      });
      if (box) {
        nodes.push(...box.nodes);
        edges.push(...box.edges);
      }
    }
    const innerEdge = (
      id: string,
      source: string,
      sourceHandle: string,
      target: string,
      targetHandle: string,
      data: ShapeEdgeData,
      canSelect = false,
    ): FlowEdge => ({
      id,
      type: 'shape',
      source,
      sourceHandle,
      target,
      targetHandle,
      data,
      selectable: canSelect,
      deletable: false,
      ariaLabel: `inner link ${source} to ${target}`,
    });
    sub.edges.forEach((e, i) =>
      edges.push(
        innerEdge(
          `${path}${SEP}e${i}`,
          `${path}${SEP}${e.source}`,
          e.sourceHandle,
          `${path}${SEP}${e.target}`,
          e.targetHandle,
          { shape: inner.edgeShapes[`e${i}`], issues: byEdge.get(`e${i}`) ?? [] },
          editable,
        ),
      ),
    );
    sub.inputs.forEach((ports, k) =>
      ports.forEach((q, j) =>
        edges.push(
          innerEdge(`${path}${SEP}in${k}.${j}`, path, `inner-in-${k}`, `${path}${SEP}${q.node}`, q.handle, {
            shape: info.inputShapes?.[k],
            issues: [],
          }),
        ),
      ),
    );
    sub.outputs.forEach((q, k) =>
      edges.push(
        innerEdge(`${path}${SEP}out${k}`, `${path}${SEP}${q.node}`, q.handle, path, `inner-out-${k}`, {
          shape: info.outputShapes?.[k],
          issues: [],
        }),
      ),
    );
    return { layout, nodes, edges };
  };

  // Expanded top-level composites, and the room they need: nodes below one (and overlapping it
  // sideways) move down by its extra height — in the view only.
  const built = new Map<string, Built>();
  for (const n of doc.nodes) {
    const info = analysis.nodes[n.id];
    if (expanded.has(n.id) && canExpand(info) && !built.has(n.id))
      built.set(n.id, buildInner(n.id, info, info));
  }
  const dx = CARD_W / 2 - PORT_X;
  const pos = (n: DocNode): Position => n.position ?? ZERO;
  const grow = doc.nodes.flatMap((n) => {
    const b = built.get(n.id);
    if (!b) return [];
    const p = pos(n);
    return [
      { id: n.id, y: p.y, x0: p.x + dx, x1: p.x + dx + b.layout.width, extra: b.layout.height - CARD_H },
    ];
  });
  const shiftOf = (n: DocNode): Position => {
    const p = pos(n);
    let y = 0;
    for (const g of grow)
      if (g.id !== n.id && g.y < p.y && p.x < g.x1 && p.x + CARD_W > g.x0) y += Math.max(0, g.extra);
    return { x: built.has(n.id) ? dx : 0, y };
  };

  const nodes: FlowNode[] = [];
  const innerEdges: FlowEdge[] = [];
  for (const node of doc.nodes) {
    const block = getBlock(node.type);
    const info = analysis.nodes[node.id];
    const box = built.get(node.id);
    const shift = shiftOf(node);
    const p = pos(node);
    nodes.push({
      id: node.id,
      type: box ? 'expanded' : familyOf(block?.category),
      position: { x: p.x + shift.x, y: p.y + shift.y },
      ...(box
        ? {
            width: box.layout.width,
            height: box.layout.height,
            measured: { width: box.layout.width, height: box.layout.height },
          }
        : measured(node.id, familyOf(block?.category))),
      data: {
        node,
        block,
        info,
        issues: v.issuesByNode.get(node.id) ?? [],
        outKinds: (block?.outputs ?? []).map((port) => outputKind(doc, analysis, node.id, port.name).kind),
        title: node.label ?? block?.displayName ?? node.type,
        name: node.label ?? node.id,
        inner: false,
        expandable: canExpand(info),
        shift,
        ...(box && info
          ? { container: { note: containerNote(info, info), convertible: CONVERTIBLE.has(node.type) } }
          : {}),
      },
      selected: isSelected(node.id),
      ariaLabel: `${block?.displayName ?? node.type} ${node.label ?? node.id}`,
    });
    if (box) {
      nodes.push(...box.nodes);
      innerEdges.push(...box.edges);
    }
  }

  const wasSelected = new Set(v.previousEdges.filter((e) => e.selected).map((e) => e.id));
  const edges: FlowEdge[] = doc.edges.map((e) => ({
    id: e.id,
    type: 'shape',
    source: e.source,
    target: e.target,
    sourceHandle: e.sourceHandle ?? 'out',
    targetHandle: e.targetHandle ?? 'in',
    data: { shape: analysis.edgeShapes[e.id], issues: v.issuesByEdge.get(e.id) ?? [] },
    selected: !selected && wasSelected.has(e.id),
    ariaLabel: `link ${e.source} to ${e.target}`,
  }));
  return { nodes, edges: [...edges, ...innerEdges] };
}

/** Flow positions of moved top-level nodes → document positions (the view shift taken off). */
export function docPositions(moved: readonly FlowNode[]): Record<string, Position> {
  return Object.fromEntries(
    moved
      .filter((n) => !n.parentId)
      .map((n) => {
        const s = n.data.shift ?? ZERO;
        return [n.id, { x: Math.round(n.position.x - s.x), y: Math.round(n.position.y - s.y) }];
      }),
  );
}

export { shapeText, si } from '$runtime/format';

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
