/**
 * Composites shown in place: an expanded Stage / Heracles Block / Group becomes a container node whose
 * children are its inner graph (from the analysis' `expanded` SubGraph and `inner` analysis), laid out
 * automatically, one level per expansion. Expansion is view state: flow ids of inner nodes are paths
 * (`stage1/b0/ffn`), never document ids, and nothing here changes the document.
 */
import { getBlock } from '$blocks';
import type { ParamValues, Shape, SubGraph } from '$blocks';
import type { DocumentIssue } from '$runtime/document/schema';
import type { GraphAnalysis, NodeInfo } from '$runtime/graph/analyze';

export const SEP = '/';
export const isInnerId = (id: string): boolean => id.includes(SEP);
export const rootId = (id: string): string => id.split(SEP)[0];

/** Geometry of cards and containers (px, flow units). */
export const CARD_W = 220;
/** Height the layout reserves for a collapsed card (cards are about 80–120 px tall). */
export const CARD_H = 116;
/** Header of a container: title, cost, note and buttons. */
export const HEAD = 120;
const GAP_X = 40;
/** Vertical room between rows, for the edge and its shape label. */
const GAP_Y = 52;
const PAD = 16;
/** Narrowest inner area, so the header's note stays readable. */
const MIN_INNER_W = 290;
/** A node on a residual branch moves right by this much, so the skip link passes beside it. */
const INDENT = CARD_W / 2 + 36;
/** Where a container's ports sit, from its left edge: over the centre of the unindented column. */
export const PORT_X = PAD + CARD_W / 2;

/** What an inner node is, looked up in the analysis by its path. */
export interface InnerNode {
  path: string;
  /** Id inside the parent's expanded graph (`b0`, `r2.ffn`). */
  id: string;
  node: SubGraph['nodes'][number];
  info?: NodeInfo;
  parentPath: string;
  /** The composite that contains it. */
  parent: NodeInfo;
  /** Inside a user group: the definition to edit (`composites[ref].nodes[id]`). */
  edit?: { ref: string; id: string; repeat: number };
}

/** Which group definition node an inner node of a Group stands for (repeats share one). */
export function groupTarget(parent: NodeInfo, innerId: string): InnerNode['edit'] {
  if (parent.type !== 'Group' || !parent.params) return undefined;
  const repeat = Number(parent.params.repeat);
  const m = repeat > 1 ? /^r\d+\.(.+)$/.exec(innerId) : null;
  return { ref: String(parent.params.ref), id: m ? m[1] : innerId, repeat };
}

export function resolveInner(analysis: GraphAnalysis, path: string): InnerNode | undefined {
  const parts = path.split(SEP);
  if (parts.length < 2) return undefined;
  let info: NodeInfo | undefined = analysis.nodes[parts[0]];
  let parentPath = parts[0];
  for (let k = 1; k < parts.length; k++) {
    if (!info?.expanded || !info.inner) return undefined;
    const id = parts[k];
    const node = info.expanded.nodes.find((n) => n.id === id);
    if (!node) return undefined;
    const child: NodeInfo | undefined = info.inner.nodes[id];
    if (k === parts.length - 1)
      return { path, id, node, info: child, parentPath, parent: info, edit: groupTarget(info, id) };
    info = child;
    parentPath = `${parentPath}${SEP}${id}`;
  }
  return undefined;
}

/** The composites a node can show in place (analysed, with an inner graph). */
export const canExpand = (info: NodeInfo | undefined): boolean => !!(info?.expanded && info.inner);

/** One laid-out item of a container: an inner node (card or nested container) at its place. */
export interface Placed {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface InnerLayout {
  width: number;
  height: number;
  placed: Map<string, Placed>;
}

/**
 * Top-to-bottom layered layout of an inner graph: ranks by longest path from the composite's input
 * (a virtual node above everything), rows stacked, nodes on a residual branch (strictly between the two
 * ends of a link that skips ranks) indented so the skip link runs beside them.
 */
export function layoutInner(
  sub: SubGraph,
  sizeOf: (id: string) => { width: number; height: number },
): InnerLayout {
  const IN = '\u0000in';
  const ids = sub.nodes.map((n) => n.id);
  const edges: [string, string][] = sub.edges.map((e) => [e.source, e.target]);
  for (const ports of sub.inputs) for (const p of ports) edges.push([IN, p.node]);
  const known = new Set([IN, ...ids]);
  const usable = edges.filter(([a, b]) => known.has(a) && known.has(b) && a !== b);

  const rank = new Map<string, number>([[IN, -1], ...ids.map((id): [string, number] => [id, 0])]);
  for (let round = 0; round <= ids.length; round++) {
    let changed = false;
    for (const [a, b] of usable) {
      const r = (rank.get(a) ?? 0) + 1;
      if (r > (rank.get(b) ?? 0)) {
        rank.set(b, r);
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Residual branches: w sits on a branch of the skip link a → b when a reaches w and w reaches b.
  const next = new Map<string, string[]>();
  for (const [a, b] of usable) next.set(a, [...(next.get(a) ?? []), b]);
  const reachCache = new Map<string, Set<string>>();
  const reach = (from: string): Set<string> => {
    let seen = reachCache.get(from);
    if (seen) return seen;
    seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const id = stack.pop() as string;
      for (const t of next.get(id) ?? [])
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
    }
    reachCache.set(from, seen);
    return seen;
  };
  const indent = new Set<string>();
  for (const [a, b] of usable) {
    const ra = rank.get(a) ?? 0;
    const rb = rank.get(b) ?? 0;
    if (rb - ra < 2) continue;
    const fromA = reach(a);
    for (const w of ids) {
      const rw = rank.get(w) ?? 0;
      if (rw > ra && rw < rb && fromA.has(w) && reach(w).has(b)) indent.add(w);
    }
  }

  const rows = new Map<number, string[]>();
  for (const id of ids) {
    const r = rank.get(id) ?? 0;
    rows.set(r, [...(rows.get(r) ?? []), id]);
  }
  const placed = new Map<string, Placed>();
  let y = HEAD + GAP_Y;
  let width = MIN_INNER_W;
  for (const r of [...rows.keys()].sort((a, b) => a - b)) {
    const row = rows.get(r) as string[];
    let x = PAD + (row.every((id) => indent.has(id)) ? INDENT : 0);
    let rowHeight = 0;
    for (const id of row) {
      const s = sizeOf(id);
      placed.set(id, { id, x, y, width: s.width, height: s.height });
      x += s.width + GAP_X;
      rowHeight = Math.max(rowHeight, s.height);
    }
    width = Math.max(width, x - GAP_X - PAD);
    y += rowHeight + GAP_Y;
  }
  return { width: width + 2 * PAD, height: y + PAD, placed };
}

/** Kind-coloured output ports of an inner node, from its analysed shapes. */
export function shapeOf(info: NodeInfo | undefined, index: number): Shape | undefined {
  return info?.status === 'ok' ? info.outputShapes?.[index] : undefined;
}

/** The params an inner node was analysed with (defaults filled), else the ones it was given. */
export const innerParams = (inner: InnerNode): ParamValues => inner.info?.params ?? inner.node.params;

/** The note over a composite's inner graph: what can be edited there, and where. */
export function containerNote(info: NodeInfo, root: NodeInfo): string {
  if (info.type === 'Group') {
    const ref = String(info.params?.ref ?? '');
    const repeat = Number(info.params?.repeat ?? 1);
    return `Group "${ref}"${repeat > 1 ? ` ×${repeat}` : ''}: edit its blocks and links here (drop a palette block in to add one, Delete removes); every repeat and every Group using "${ref}" changes.`;
  }
  const own = getBlock(info.type)?.displayName ?? info.type;
  if (info.type === 'PretrainedBackbone')
    return `Read-only: the ${own}'s inner graph comes from its source model.`;
  if (root.type === 'Stage' || root.type === 'HeraclesBlock') {
    const owner = getBlock(root.type)?.displayName ?? root.type;
    return `Read-only, generated from params: edit the ${owner}'s params, or 'Convert to group' to edit its blocks.`;
  }
  return `Read-only, generated from the ${own}'s params: select the ${own} to edit them.`;
}

export type { DocumentIssue };
