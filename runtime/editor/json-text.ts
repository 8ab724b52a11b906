/**
 * The document as JSON text, for the code view: text → document (or issues pinned to line and column),
 * so an invalid edit shows where it is wrong and leaves the graph as it was.
 */
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import type { Node as JsonNode } from 'jsonc-parser';
import { loadDocument, serializeDocument } from '../document/load';
import type { DocumentIssue, HeraclesDocument } from '../document/schema';
import { formatIssue } from '../document/schema';

export interface TextMarker {
  /** 1-based, as editors count. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

export type TextEdit =
  { ok: true; doc: HeraclesDocument } | { ok: false; issues: DocumentIssue[]; markers: TextMarker[] };

export const documentText = serializeDocument;

/** `$.nodes[3].params` → `['nodes', 3, 'params']`. */
export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/g;
  for (let m = re.exec(path); m; m = re.exec(path)) out.push(m[1] ?? Number(m[2]));
  return out;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Where an issue points in the text: its JSON path, or the node/edge object with that id. */
function locate(text: string, root: JsonNode | undefined, issue: DocumentIssue): JsonNode | undefined {
  if (!root) return undefined;
  const w = issue.where;
  if (w.kind === 'path') {
    // The deepest existing prefix of the path (a missing key points at its parent object).
    const segs = pathSegments(w.path);
    for (let n = segs.length; n >= 0; n--) {
      const found = findNodeAtLocation(root, segs.slice(0, n));
      if (found) return found;
    }
    return root;
  }
  const list = findNodeAtLocation(root, [w.kind === 'node' ? 'nodes' : 'edges']);
  const item = list?.children?.find((c) => findNodeAtLocation(c, ['id'])?.value === w.id);
  if (!item) return root;
  if (w.kind === 'node' && w.param) return findNodeAtLocation(item, ['params', w.param]) ?? item;
  return item;
}

/** Parses an edit of the document's JSON text. Never throws. */
export function parseDocumentText(text: string): TextEdit {
  const r = loadDocument(text);
  if (r.ok) return { ok: true, doc: r.doc };
  const root = parseTree(text);
  const markers = r.issues.map((issue) => {
    const m = /at line (\d+), column (\d+)/.exec(issue.message);
    if (m) {
      const line = Number(m[1]);
      const column = Number(m[2]);
      return { line, column, endLine: line, endColumn: column + 1, message: formatIssue(issue) };
    }
    const node = locate(text, root, issue);
    const start = positionOf(text, node?.offset ?? 0);
    const end = positionOf(text, (node?.offset ?? 0) + Math.min(node?.length ?? 1, 200));
    return {
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      message: formatIssue(issue),
    };
  });
  return { ok: false, issues: r.issues, markers };
}
