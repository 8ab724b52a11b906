/** `heracles info <document-or-preset> [--json]`: per-node shapes, params and MACs, plus totals. */
import { analyzeDocument } from '../graph/analyze';
import { formatIssue } from '../document/schema';
import { resolveDocument } from './documents';
import { shapeText, si, table } from '../format';
import type { Io } from './io';

export async function info(args: { ref: string; json: boolean }, io: Io): Promise<number> {
  const r = resolveDocument(args.ref);
  if (!r.ok) {
    for (const issue of r.issues) io.err(formatIssue(issue));
    return 2;
  }
  const a = analyzeDocument(r.doc);
  if (a.issues.length) {
    for (const issue of a.issues) io.err(formatIssue(issue));
    return 2;
  }
  const nodes = r.doc.nodes.map((n) => {
    const i = a.nodes[n.id];
    return {
      id: n.id,
      type: n.type,
      outputShape: i.outputShapes?.[0] ?? null,
      params: i.cost?.params ?? 0,
      macs: i.cost?.macs ?? 0,
    };
  });
  if (args.json) {
    io.out(JSON.stringify({ nodes, totals: a.totals }, null, 2));
    return 0;
  }
  const rows = [['node', 'type', 'output', 'params', 'MACs']];
  for (const n of nodes)
    rows.push([n.id, n.type, shapeText(n.outputShape ?? undefined), si(n.params), si(n.macs)]);
  rows.push(['total', '', '', si(a.totals.params), si(a.totals.macs)]);
  io.out(`${r.doc.metadata.name} (${r.file})`);
  io.out(table(rows, [3, 4]));
  io.out(
    `\n${a.totals.params.toLocaleString('en-US')} parameters, ${(a.totals.macs / 1e9).toFixed(3)} GMACs per sample`,
  );
  return 0;
}
