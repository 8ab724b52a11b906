/**
 * Editing the structure inside a user group (`composites[ref]`): add a block, link two blocks, remove
 * blocks or links. Each edit is one `setComposite` command (exact inverse), so every Group node using the
 * group, and every repeat of it, changes at once — the same rule as editing a param inside a group.
 */
import { getBlock } from '../../blocks/index';
import type { Composite, DocNode, HeraclesDocument } from '../document/schema';
import type { GraphAnalysis } from '../graph/analyze';
import { CommandError, freshId, idStem } from './commands';
import type { Command } from './commands';
import { canConnect } from './connect';
import type { ConnectCheck } from './connect';

/** Inner ids of a repeated group are `r<k>.<id>`; the definition knows them as `<id>`. */
export const definitionId = (innerId: string): string => innerId.replace(/^r\d+\./, '');

export function groupDef(doc: HeraclesDocument, ref: string): Composite {
  const all = doc.composites ?? {};
  if (!Object.hasOwn(all, ref)) throw new CommandError(`there is no group "${ref}"`);
  return all[ref];
}

const set = (ref: string, value: Composite): Command => ({ type: 'setComposite', name: ref, value });

/** Adds a block of `type` to the group; returns the command and the new node's id in the definition. */
export function addToGroup(
  doc: HeraclesDocument,
  ref: string,
  type: string,
): { command: Command; id: string } {
  const def = groupDef(doc, ref);
  if (!getBlock(type)) throw new CommandError(`unknown block type "${type}"`);
  const id = freshId(new Set(def.nodes.map((n) => n.id)), idStem(type));
  const bottom = Math.max(0, ...def.nodes.map((n) => (n.position?.y ?? 0) + 130));
  const node: DocNode = { id, type, params: {}, position: { x: 0, y: bottom } };
  return { command: set(ref, { ...def, nodes: [...def.nodes, node] }), id };
}

export interface InnerLink {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/** Whether a link between two blocks of the group can work (ids as in the definition). */
export function checkGroupLink(
  doc: HeraclesDocument,
  ref: string,
  link: InnerLink,
  inner?: GraphAnalysis,
): ConnectCheck {
  let def: Composite;
  try {
    def = groupDef(doc, ref);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const target = def.nodes.find((n) => n.id === link.target);
  const block = target && getBlock(target.type);
  const fedByInput = def.inputs.some((ports) =>
    ports.some((p) => p.node === link.target && p.handle === link.targetHandle),
  );
  if (fedByInput && !block?.variadicInput)
    return { ok: false, reason: `the group's input already feeds "${link.target}"` };
  // The group's graph checked like a document's: ports, free inputs, cycles, tensor kinds.
  return canConnect(
    { ...doc, nodes: def.nodes, edges: def.edges },
    inner,
    link.source,
    link.sourceHandle,
    link.target,
    link.targetHandle,
  );
}

export function connectInGroup(
  doc: HeraclesDocument,
  ref: string,
  link: InnerLink,
  inner?: GraphAnalysis,
): Command {
  const check = checkGroupLink(doc, ref, link, inner);
  if (!check.ok) throw new CommandError(check.reason);
  const def = groupDef(doc, ref);
  const id = freshId(new Set(def.edges.map((e) => e.id)), `${link.source}-${link.target}`);
  return set(ref, { ...def, edges: [...def.edges, { id, ...link }] });
}

/**
 * Removes blocks (with their links) and links from the group. A block where the group's input or output
 * attaches stays: the group would lose a port.
 */
export function removeFromGroup(
  doc: HeraclesDocument,
  ref: string,
  nodeIds: string[],
  links: InnerLink[] = [],
): Command {
  const def = groupDef(doc, ref);
  const gone = new Set(nodeIds);
  for (const id of gone) {
    if (!def.nodes.some((n) => n.id === id)) throw new CommandError(`group "${ref}" has no block "${id}"`);
    const port =
      def.inputs.some((ports) => ports.some((p) => p.node === id)) || def.outputs.some((p) => p.node === id);
    if (port)
      throw new CommandError(
        `"${id}" is where the group's input or output attaches; it stays (change the blocks after it instead)`,
      );
  }
  const same = (e: InnerLink, l: InnerLink) =>
    e.source === l.source &&
    e.target === l.target &&
    e.sourceHandle === l.sourceHandle &&
    e.targetHandle === l.targetHandle;
  for (const l of links)
    if (!def.edges.some((e) => same(e, l)))
      throw new CommandError(`group "${ref}" has no link ${l.source} → ${l.target}`);
  return set(ref, {
    ...def,
    nodes: def.nodes.filter((n) => !gone.has(n.id)),
    edges: def.edges.filter(
      (e) => !gone.has(e.source) && !gone.has(e.target) && !links.some((l) => same(e, l)),
    ),
  });
}
