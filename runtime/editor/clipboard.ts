/**
 * Copy and paste across documents and browser tabs: the copied blocks travel as JSON text on the system
 * clipboard, with the group definitions they use, and come back through the same checks as a document.
 * Anything else on the clipboard gets a plain message and changes nothing.
 */
import * as v from 'valibot';
import { CompositeSchema, EdgeSchema, NodeSchema } from '../document/schema';
import type { Composite, HeraclesDocument } from '../document/schema';
import { copySelection, freshId, preparePaste } from './commands';
import type { Clipboard, Command } from './commands';

/** Copied blocks plus the user groups (`composites`) their Group nodes refer to. */
export interface BlocksClipboard extends Clipboard {
  composites: Record<string, Composite>;
}

const MARK = 'heraclesBlocks';

const ClipboardSchema = v.object({
  [MARK]: v.literal(1),
  nodes: v.pipe(v.array(NodeSchema), v.minLength(1, 'no blocks')),
  edges: v.array(EdgeSchema),
  composites: v.optional(v.record(v.string(), CompositeSchema), {}),
});

/** Group refs used by `nodes`, following groups inside groups. */
function usedComposites(doc: HeraclesDocument, nodes: Clipboard['nodes']): Record<string, Composite> {
  const out: Record<string, Composite> = {};
  const all = doc.composites ?? {};
  const visit = (ns: Clipboard['nodes']) => {
    for (const n of ns) {
      const ref = n.type === 'Group' ? String(n.params?.ref ?? '') : '';
      if (!ref || out[ref] || !Object.hasOwn(all, ref)) continue;
      out[ref] = structuredClone(all[ref]);
      visit(all[ref].nodes);
    }
  };
  visit(nodes);
  return out;
}

export function copyBlocks(doc: HeraclesDocument, ids: Iterable<string>): BlocksClipboard {
  const clip = copySelection(doc, ids);
  return { ...clip, composites: usedComposites(doc, clip.nodes) };
}

export const clipboardText = (clip: BlocksClipboard): string =>
  JSON.stringify({ [MARK]: 1, nodes: clip.nodes, edges: clip.edges, composites: clip.composites });

/** Reads clipboard text; never throws. */
export function parseClipboardText(
  text: string,
): { ok: true; clip: BlocksClipboard } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      message: 'the clipboard holds text, not Heracles blocks (copy blocks in the studio first)',
    };
  }
  if (typeof raw !== 'object' || raw === null || !(MARK in raw))
    return {
      ok: false,
      message: 'the clipboard holds JSON, but not Heracles blocks (copy blocks in the studio first)',
    };
  const r = v.safeParse(ClipboardSchema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const path = (issue.path ?? []).map((p) =>
      typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`,
    );
    return {
      ok: false,
      message: `the copied blocks are damaged at ${path.join('') || 'the top'}: ${issue.message}`,
    };
  }
  const { nodes, edges, composites } = r.output;
  return { ok: true, clip: { nodes, edges, composites } };
}

/**
 * The command that pastes `clip` into `doc`: the groups it needs are added first (one the document already
 * has with the same content is reused; a different one with the same name is pasted under a new name).
 */
export function pasteCommand(
  doc: HeraclesDocument,
  clip: BlocksClipboard,
): { command: Command; ids: string[] } {
  const have = doc.composites ?? {};
  const rename = new Map<string, string>();
  const taken = new Set(Object.keys(have));
  const added: Command[] = [];
  for (const [name, def] of Object.entries(clip.composites)) {
    if (Object.hasOwn(have, name) && JSON.stringify(have[name]) === JSON.stringify(def)) continue;
    const target = Object.hasOwn(have, name) ? freshId(taken, name) : name;
    taken.add(target);
    rename.set(name, target);
  }
  const retarget = (ns: Clipboard['nodes']) =>
    ns.map((n) =>
      n.type === 'Group' && rename.has(String(n.params?.ref))
        ? { ...n, params: { ...n.params, ref: rename.get(String(n.params?.ref)) as string } }
        : n,
    );
  for (const [name, target] of rename) {
    const def = clip.composites[name];
    added.push({ type: 'setComposite', name: target, value: { ...def, nodes: retarget(def.nodes) } });
  }
  const paste = preparePaste(doc, { nodes: retarget(clip.nodes), edges: clip.edges });
  const command: Command = added.length
    ? { type: 'batch', label: `paste ${paste.nodes.length} blocks`, commands: [...added, paste] }
    : paste;
  return { command, ids: paste.nodes.map((n) => n.id) };
}
