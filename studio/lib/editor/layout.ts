/** Auto-layout with dagre (loaded on demand): top-to-bottom ranks, positions for a `moveNodes`. */
import type { HeraclesDocument } from '$runtime/document/schema';
import type { Position } from '$runtime/editor/commands';

export async function autoLayout(
  doc: HeraclesDocument,
  sizes: Map<string, { width: number; height: number }>,
): Promise<Record<string, Position>> {
  const { Graph, layout } = await import('@dagrejs/dagre');
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 50 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of doc.nodes) {
    const s = sizes.get(n.id) ?? { width: 220, height: 90 };
    g.setNode(n.id, { width: s.width, height: s.height });
  }
  const ids = new Set(doc.nodes.map((n) => n.id));
  for (const e of doc.edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
  layout(g);
  const out: Record<string, Position> = {};
  for (const n of doc.nodes) {
    const p = g.node(n.id);
    const s = sizes.get(n.id) ?? { width: 220, height: 90 };
    out[n.id] = { x: Math.round(p.x - s.width / 2), y: Math.round(p.y - s.height / 2) };
  }
  return out;
}
