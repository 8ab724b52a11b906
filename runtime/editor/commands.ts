/**
 * Editing commands over a `HeraclesDocument`, framework-free.
 *
 * Every change the editor makes is a small command. `apply(doc, cmd)` returns a new document (the old
 * one is never mutated; untouched nodes and edges keep their object identity), and
 * `invert(cmd, docBefore)` returns the command that undoes it exactly: applying `cmd` then its inverse
 * gives a document deep-equal to `docBefore` (same array order, same key order). History keeps
 * `(cmd, inverse)` pairs — deltas, never snapshots of the whole graph.
 */
import type { Composite, DocEdge, DocNode, HeraclesDocument, Task, Training } from '../document/schema';
import type { ParamValue, ParamValues, SubGraph } from '../../blocks/types';
import { getBlock } from '../../blocks/index';
import { heraclesBlockGraph } from '../../blocks/heracles-block';
import { resolveParams } from '../graph/params';
import { applyCell, describeCell, invertCell } from './cells';
import type { CellCommand } from './cells';

export type Position = { x: number; y: number };

export type Command =
  | { type: 'addNode'; node: DocNode }
  /** Removes the nodes, every edge touching them, and the extra edges listed in `edgeIds`. */
  | { type: 'removeNodes'; ids: string[]; edgeIds?: string[] }
  | { type: 'moveNodes'; positions: Record<string, Position> }
  | { type: 'connect'; edge: DocEdge }
  | { type: 'disconnect'; ids: string[] }
  /** `value: undefined` removes the param (the block's default applies). */
  | { type: 'setParam'; id: string; name: string; value: ParamValue | undefined }
  /** `label: undefined` (or '') removes the label. */
  | { type: 'setLabel'; id: string; label: string | undefined }
  /** Appends nodes and edges (ids must be fresh: see `preparePaste`). */
  | { type: 'paste'; nodes: DocNode[]; edges: DocEdge[] }
  /** Inverse of removals: puts nodes and edges back at their former indices (ascending). */
  | {
      type: 'insert';
      nodes: { index: number; node: DocNode }[];
      edges: { index: number; edge: DocEdge }[];
    }
  /** Removes exactly these nodes and edges (inverse of additions; edges touching the nodes stay). */
  | { type: 'remove'; nodeIds: string[]; edgeIds: string[] }
  /** Inverse of in-place node edits: puts these exact node objects back (matched by id). */
  | { type: 'restoreNodes'; nodes: DocNode[] }
  /**
   * Defines, replaces (in place) or — `value: undefined` — deletes the user group `composites[name]`.
   * A new group goes at `index` (default: last). `dropEmpty` (inverses only) removes `composites`
   * altogether when it ends up empty, for documents that had none.
   */
  | { type: 'setComposite'; name: string; value: Composite | undefined; index?: number; dropEmpty?: boolean }
  /** Sets (or, `value: undefined`, removes) a param of node `id` inside the group `composites[ref]`:
   *  every Group node using it, and every repeat, changes. */
  | { type: 'setCompositeParam'; ref: string; id: string; name: string; value: ParamValue | undefined }
  /** Replaces the document's `task` section (the Data panel makes it follow the loaded data). */
  | { type: 'setTask'; task: Task }
  /** Replaces the document's `training` section (the Train panel's hyper-parameters). */
  | { type: 'setTraining'; training: Training }
  /** Replaces the whole document (an edit of the document as JSON text); its inverse restores the old one. */
  | { type: 'setDocument'; doc: HeraclesDocument; label?: string }
  /** Notebook cells: see `cells.ts`. */
  | CellCommand
  | { type: 'batch'; label?: string; commands: Command[] };

export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

const nodeIndex = (doc: HeraclesDocument, id: string): number => {
  const i = doc.nodes.findIndex((n) => n.id === id);
  if (i < 0) throw new CommandError(`there is no node "${id}"`);
  return i;
};

function replaceNodes(doc: HeraclesDocument, byId: Map<string, DocNode>): HeraclesDocument {
  for (const id of byId.keys()) nodeIndex(doc, id);
  return { ...doc, nodes: doc.nodes.map((n) => byId.get(n.id) ?? n) };
}

function checkFreshIds(doc: HeraclesDocument, nodes: DocNode[], edges: DocEdge[], checkEnds = true): void {
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  for (const n of nodes) {
    if (nodeIds.has(n.id)) throw new CommandError(`a node with the id "${n.id}" already exists`);
    nodeIds.add(n.id);
  }
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  for (const e of edges) {
    if (edgeIds.has(e.id)) throw new CommandError(`an edge with the id "${e.id}" already exists`);
    edgeIds.add(e.id);
    if (!checkEnds) continue;
    if (!nodeIds.has(e.source))
      throw new CommandError(`edge "${e.id}" starts at a missing node "${e.source}"`);
    if (!nodeIds.has(e.target)) throw new CommandError(`edge "${e.id}" ends at a missing node "${e.target}"`);
  }
}

/** Applies one command; throws `CommandError` when it does not fit the document. */
export function apply(doc: HeraclesDocument, cmd: Command): HeraclesDocument {
  switch (cmd.type) {
    case 'addNode':
      checkFreshIds(doc, [cmd.node], []);
      return { ...doc, nodes: [...doc.nodes, cmd.node] };
    case 'paste':
      checkFreshIds(doc, cmd.nodes, cmd.edges);
      return { ...doc, nodes: [...doc.nodes, ...cmd.nodes], edges: [...doc.edges, ...cmd.edges] };
    case 'removeNodes': {
      const ids = new Set(cmd.ids);
      for (const id of ids) nodeIndex(doc, id);
      const edgeIds = new Set(cmd.edgeIds ?? []);
      for (const id of edgeIds)
        if (!doc.edges.some((e) => e.id === id)) throw new CommandError(`there is no edge "${id}"`);
      return {
        ...doc,
        nodes: doc.nodes.filter((n) => !ids.has(n.id)),
        edges: doc.edges.filter((e) => !edgeIds.has(e.id) && !ids.has(e.source) && !ids.has(e.target)),
      };
    }
    case 'disconnect':
      return apply(doc, { type: 'removeNodes', ids: [], edgeIds: cmd.ids });
    case 'remove': {
      const ids = new Set(cmd.nodeIds);
      for (const id of ids) nodeIndex(doc, id);
      const edgeIds = new Set(cmd.edgeIds);
      for (const id of edgeIds)
        if (!doc.edges.some((e) => e.id === id)) throw new CommandError(`there is no edge "${id}"`);
      return {
        ...doc,
        nodes: doc.nodes.filter((n) => !ids.has(n.id)),
        edges: doc.edges.filter((e) => !edgeIds.has(e.id)),
      };
    }
    case 'connect':
      checkFreshIds(doc, [], [cmd.edge]);
      return { ...doc, edges: [...doc.edges, cmd.edge] };
    case 'moveNodes': {
      const byId = new Map<string, DocNode>();
      for (const [id, p] of Object.entries(cmd.positions)) {
        const node = doc.nodes[nodeIndex(doc, id)];
        byId.set(id, { ...node, position: { x: p.x, y: p.y } });
      }
      return replaceNodes(doc, byId);
    }
    case 'setParam': {
      const node = doc.nodes[nodeIndex(doc, cmd.id)];
      const params = { ...node.params };
      if (cmd.value === undefined) delete params[cmd.name];
      else params[cmd.name] = structuredClone(cmd.value);
      return replaceNodes(doc, new Map([[cmd.id, { ...node, params }]]));
    }
    case 'setLabel': {
      const node = { ...doc.nodes[nodeIndex(doc, cmd.id)] };
      if (cmd.label === undefined || cmd.label === '') delete node.label;
      else node.label = cmd.label;
      return replaceNodes(doc, new Map([[cmd.id, node]]));
    }
    case 'restoreNodes':
      return replaceNodes(doc, new Map(cmd.nodes.map((n) => [n.id, n])));
    case 'insert': {
      const nodes = [...doc.nodes];
      const edges = [...doc.edges];
      checkFreshIds(
        doc,
        cmd.nodes.map((x) => x.node),
        cmd.edges.map((x) => x.edge),
        false,
      );
      for (const { index, node } of [...cmd.nodes].sort((a, b) => a.index - b.index))
        nodes.splice(Math.min(index, nodes.length), 0, node);
      for (const { index, edge } of [...cmd.edges].sort((a, b) => a.index - b.index))
        edges.splice(Math.min(index, edges.length), 0, edge);
      return { ...doc, nodes, edges };
    }
    case 'setComposite': {
      const entries = Object.entries(doc.composites ?? {});
      const at = entries.findIndex(([k]) => k === cmd.name);
      if (cmd.value === undefined) {
        if (at < 0) throw new CommandError(`there is no group "${cmd.name}"`);
        entries.splice(at, 1);
      } else if (at >= 0) entries[at] = [cmd.name, cmd.value];
      else entries.splice(Math.min(cmd.index ?? entries.length, entries.length), 0, [cmd.name, cmd.value]);
      if (entries.length === 0 && cmd.dropEmpty) {
        const rest: Partial<HeraclesDocument> = { ...doc };
        delete rest.composites;
        return rest as HeraclesDocument;
      }
      return { ...doc, composites: Object.fromEntries(entries) };
    }
    case 'setCompositeParam': {
      const def = compositeOf(doc, cmd.ref);
      const i = def.nodes.findIndex((n) => n.id === cmd.id);
      if (i < 0) throw new CommandError(`group "${cmd.ref}" has no node "${cmd.id}"`);
      const node = def.nodes[i];
      const params = { ...node.params };
      if (cmd.value === undefined) delete params[cmd.name];
      else params[cmd.name] = structuredClone(cmd.value);
      const nodes = def.nodes.map((n, k) => (k === i ? { ...node, params } : n));
      return apply(doc, { type: 'setComposite', name: cmd.ref, value: { ...def, nodes } });
    }
    case 'setTask':
      return { ...doc, task: structuredClone(cmd.task) };
    case 'setTraining':
      return { ...doc, training: structuredClone(cmd.training) };
    case 'setDocument':
      return cmd.doc;
    case 'addCell':
    case 'removeCell':
    case 'moveCell':
    case 'updateCell':
      return applyCell(doc, cmd);
    case 'batch':
      return cmd.commands.reduce(apply, doc);
  }
}

function compositeOf(doc: HeraclesDocument, ref: string): Composite {
  const all = doc.composites ?? {};
  // Object.hasOwn: a ref like "toString" must not find Object.prototype's property.
  if (!Object.hasOwn(all, ref)) throw new CommandError(`there is no group "${ref}"`);
  return all[ref];
}

/** The command that undoes `cmd` when applied to `apply(docBefore, cmd)`. */
export function invert(cmd: Command, docBefore: HeraclesDocument): Command {
  switch (cmd.type) {
    case 'addNode':
      return { type: 'remove', nodeIds: [cmd.node.id], edgeIds: [] };
    case 'paste':
      return { type: 'remove', nodeIds: cmd.nodes.map((n) => n.id), edgeIds: cmd.edges.map((e) => e.id) };
    case 'connect':
      return { type: 'remove', nodeIds: [], edgeIds: [cmd.edge.id] };
    case 'remove': {
      const ids = new Set(cmd.nodeIds);
      const edgeIds = new Set(cmd.edgeIds);
      return {
        type: 'insert',
        nodes: docBefore.nodes.flatMap((node, index) => (ids.has(node.id) ? [{ index, node }] : [])),
        edges: docBefore.edges.flatMap((edge, index) => (edgeIds.has(edge.id) ? [{ index, edge }] : [])),
      };
    }
    case 'removeNodes':
    case 'disconnect': {
      const ids = new Set(cmd.type === 'removeNodes' ? cmd.ids : []);
      const edgeIds = new Set(cmd.type === 'removeNodes' ? (cmd.edgeIds ?? []) : cmd.ids);
      return {
        type: 'insert',
        nodes: docBefore.nodes.flatMap((node, index) => (ids.has(node.id) ? [{ index, node }] : [])),
        edges: docBefore.edges.flatMap((edge, index) =>
          edgeIds.has(edge.id) || ids.has(edge.source) || ids.has(edge.target) ? [{ index, edge }] : [],
        ),
      };
    }
    case 'insert':
      return {
        type: 'remove',
        nodeIds: cmd.nodes.map((x) => x.node.id),
        edgeIds: cmd.edges.map((x) => x.edge.id),
      };
    case 'moveNodes':
    case 'setParam':
    case 'setLabel':
    case 'restoreNodes': {
      const ids =
        cmd.type === 'moveNodes'
          ? Object.keys(cmd.positions)
          : cmd.type === 'restoreNodes'
            ? cmd.nodes.map((n) => n.id)
            : [cmd.id];
      return { type: 'restoreNodes', nodes: ids.map((id) => docBefore.nodes[nodeIndex(docBefore, id)]) };
    }
    case 'setComposite': {
      const before = docBefore.composites;
      if (before !== undefined && Object.hasOwn(before, cmd.name))
        return {
          type: 'setComposite',
          name: cmd.name,
          value: before[cmd.name],
          index: Object.keys(before).indexOf(cmd.name),
        };
      return { type: 'setComposite', name: cmd.name, value: undefined, dropEmpty: before === undefined };
    }
    case 'setCompositeParam':
      return { type: 'setComposite', name: cmd.ref, value: compositeOf(docBefore, cmd.ref) };
    case 'setTask':
      return { type: 'setTask', task: docBefore.task };
    case 'setTraining':
      return { type: 'setTraining', training: docBefore.training };
    case 'setDocument':
      return { type: 'setDocument', doc: docBefore, label: cmd.label };
    case 'addCell':
    case 'removeCell':
    case 'moveCell':
    case 'updateCell':
      return invertCell(cmd, docBefore);
    case 'batch': {
      const inverses: Command[] = [];
      let doc = docBefore;
      for (const c of cmd.commands) {
        inverses.push(invert(c, doc));
        doc = apply(doc, c);
      }
      return { type: 'batch', label: cmd.label, commands: inverses.reverse() };
    }
  }
}

/** A short phrase for menus and status lines: "Undo add node". */
export function describe(cmd: Command): string {
  switch (cmd.type) {
    case 'addNode':
      return `add ${cmd.node.label ?? cmd.node.type}`;
    case 'removeNodes':
      return cmd.ids.length
        ? `delete ${cmd.ids.length === 1 ? cmd.ids[0] : `${cmd.ids.length} nodes`}`
        : 'delete';
    case 'moveNodes':
      return 'move';
    case 'connect':
      return `connect ${cmd.edge.source} → ${cmd.edge.target}`;
    case 'disconnect':
      return 'disconnect';
    case 'setParam':
      return `set ${cmd.id}.${cmd.name}`;
    case 'setLabel':
      return `rename ${cmd.id}`;
    case 'paste':
      return `paste ${cmd.nodes.length} node${cmd.nodes.length === 1 ? '' : 's'}`;
    case 'remove':
      return 'delete';
    case 'insert':
      return 'restore';
    case 'restoreNodes':
      return 'restore';
    case 'setComposite':
      return cmd.value === undefined ? `delete group ${cmd.name}` : `define group ${cmd.name}`;
    case 'setCompositeParam':
      return `set ${cmd.ref}/${cmd.id}.${cmd.name}`;
    case 'setTask':
      return `set task to ${cmd.task.kind}`;
    case 'setTraining':
      return 'change the training settings';
    case 'setDocument':
      return cmd.label ?? 'edit the document';
    case 'addCell':
    case 'removeCell':
    case 'moveCell':
    case 'updateCell':
      return describeCell(cmd);
    case 'batch':
      return cmd.label ?? 'edit';
  }
}

/** Undo/redo over deltas. `doc` is the current document; stacks hold `(cmd, inverse)` pairs. */
export class History {
  private undos: { cmd: Command; inverse: Command }[] = [];
  private redos: { cmd: Command; inverse: Command }[] = [];

  constructor(
    public doc: HeraclesDocument,
    readonly limit = 500,
  ) {}

  get canUndo(): boolean {
    return this.undos.length > 0;
  }
  get canRedo(): boolean {
    return this.redos.length > 0;
  }
  get undoLabel(): string | undefined {
    const top = this.undos[this.undos.length - 1];
    return top && describe(top.cmd);
  }
  get redoLabel(): string | undefined {
    const top = this.redos[this.redos.length - 1];
    return top && describe(top.cmd);
  }

  /** Applies `cmd` and records it; throws `CommandError` (and changes nothing) when it does not fit. */
  do(cmd: Command): HeraclesDocument {
    const inverse = invert(cmd, this.doc);
    this.doc = apply(this.doc, cmd);
    this.undos.push({ cmd, inverse });
    if (this.undos.length > this.limit) this.undos.shift();
    this.redos = [];
    return this.doc;
  }

  undo(): HeraclesDocument | undefined {
    const entry = this.undos.pop();
    if (!entry) return undefined;
    this.doc = apply(this.doc, entry.inverse);
    this.redos.push(entry);
    return this.doc;
  }

  redo(): HeraclesDocument | undefined {
    const entry = this.redos.pop();
    if (!entry) return undefined;
    this.doc = apply(this.doc, entry.cmd);
    this.undos.push(entry);
    return this.doc;
  }

  /** Starts over with another document (open, new from template): the stacks are cleared. */
  reset(doc: HeraclesDocument): void {
    this.doc = doc;
    this.undos = [];
    this.redos = [];
  }
}

// ── ids, copy and paste ────────────────────────────────────────────────────────────────────────

/** `base`, or `base-2`, `base-3`… — the first id not in `taken`. Ids keep the schema's character set. */
export function freshId(taken: ReadonlySet<string>, base: string): string {
  let stem = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'n';
  stem = stem.slice(0, 180);
  if (!taken.has(stem)) return stem;
  const m = /^(.*?)-(\d+)$/.exec(stem);
  const root = m ? m[1] : stem;
  for (let i = m ? Number(m[2]) + 1 : 2; ; i++) {
    const id = `${root}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** A lower-camel node id stem for a block type: `HartleySSM` → `hartleySSM`. */
export const idStem = (type: string): string => type.charAt(0).toLowerCase() + type.slice(1);

export interface Clipboard {
  nodes: DocNode[];
  /** Only edges between copied nodes. */
  edges: DocEdge[];
}

/** The selected nodes and the edges between them, deep-copied. */
export function copySelection(doc: HeraclesDocument, ids: Iterable<string>): Clipboard {
  const set = new Set(ids);
  return structuredClone({
    nodes: doc.nodes.filter((n) => set.has(n.id)),
    edges: doc.edges.filter((e) => set.has(e.source) && set.has(e.target)),
  });
}

/** A `paste` command for `clip` with fresh node and edge ids, moved by `offset`. */
export function preparePaste(
  doc: HeraclesDocument,
  clip: Clipboard,
  offset: Position = { x: 40, y: 40 },
): Extract<Command, { type: 'paste' }> {
  const takenNodes = new Set(doc.nodes.map((n) => n.id));
  const takenEdges = new Set(doc.edges.map((e) => e.id));
  const rename = new Map<string, string>();
  const nodes = clip.nodes.map((n) => {
    const id = freshId(takenNodes, n.id);
    takenNodes.add(id);
    rename.set(n.id, id);
    const p = n.position ?? { x: 0, y: 0 };
    return { ...structuredClone(n), id, position: { x: p.x + offset.x, y: p.y + offset.y } };
  });
  const edges = clip.edges
    .filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => {
      const source = rename.get(e.source) as string;
      const target = rename.get(e.target) as string;
      const id = freshId(takenEdges, `${source}-${target}`);
      takenEdges.add(id);
      return { ...structuredClone(e), id, source, target };
    });
  return { type: 'paste', nodes, edges };
}

/** An edge id for a new link between two nodes. */
export function newEdgeId(doc: HeraclesDocument, source: string, target: string): string {
  return freshId(new Set(doc.edges.map((e) => e.id)), `${source}-${target}`);
}

// ── composites ─────────────────────────────────────────────────────────────────────────────────

/** Block types that "Convert to group" turns into a user group. */
export const CONVERTIBLE = new Set(['Stage', 'HeraclesBlock']);

/** Longest-path ranks of a small DAG (inner graphs), for a top-to-bottom placement. */
function ranks(sub: SubGraph): Map<string, number> {
  const rank = new Map(sub.nodes.map((n) => [n.id, 0]));
  // Relaxation is enough for the few nodes of a block; stops on cycles after |V| rounds.
  for (let round = 0; round < sub.nodes.length; round++) {
    let changed = false;
    for (const e of sub.edges) {
      const r = (rank.get(e.source) ?? 0) + 1;
      if (r > (rank.get(e.target) ?? 0)) {
        rank.set(e.target, r);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return rank;
}

/** A document group from an inner graph: ids kept, edges named `source-target`, nodes placed in ranks. */
export function compositeFromGraph(sub: SubGraph, label?: string, description?: string): Composite {
  const rank = ranks(sub);
  const perRank = new Map<number, number>();
  const taken = new Set<string>();
  return {
    ...(label !== undefined ? { label } : {}),
    ...(description !== undefined ? { description } : {}),
    nodes: sub.nodes.map((n) => {
      const r = rank.get(n.id) ?? 0;
      const k = perRank.get(r) ?? 0;
      perRank.set(r, k + 1);
      return {
        id: n.id,
        type: n.type,
        params: structuredClone(n.params),
        position: { x: k * 260, y: r * 130 },
        ...(n.label !== undefined ? { label: n.label } : {}),
      };
    }),
    edges: sub.edges.map((e) => {
      const id = freshId(taken, `${e.source}-${e.target}`);
      taken.add(id);
      return {
        id,
        source: e.source,
        sourceHandle: e.sourceHandle,
        target: e.target,
        targetHandle: e.targetHandle,
      };
    }),
    inputs: structuredClone(sub.inputs),
    outputs: structuredClone(sub.outputs),
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * "Convert to group": a Stage becomes [Downsample →] Group{ref, repeat: depth} over a new user group
 * holding one Heracles Block's inner graph (LayerNorm, mixer, FFN, Adds); a Heracles Block becomes
 * Group{ref, repeat: 1}. The Group keeps the node's id, label and place, so its links stay; the
 * Downsample (when the stage has one) is inserted before it. Every repeat of a group is the same
 * graph, so a stage's drop-path ramp becomes one rate, the mean of its first and last (said in `note`).
 * Returns one undoable `batch` command (its inverse restores the node, its links and the groups).
 */
export function convertToGroup(
  doc: HeraclesDocument,
  id: string,
  name?: string,
): { command: Extract<Command, { type: 'batch' }>; ref: string; note?: string } {
  const index = nodeIndex(doc, id);
  const node = doc.nodes[index];
  const block = getBlock(node.type);
  if (!block || !CONVERTIBLE.has(node.type))
    throw new CommandError(
      `only a Stage or a Heracles Block can be converted to a group, not ${block?.displayName ?? node.type}`,
    );
  const { values, problems } = resolveParams(block, node.params);
  if (problems.length) throw new CommandError(`fix its params first: ${problems[0].message}`);

  let blockParams: ParamValues = values;
  let down: SubGraph['nodes'][number] | undefined;
  let repeat = 1;
  let note: string | undefined;
  if (node.type === 'Stage') {
    const sub = (block.expand as NonNullable<typeof block.expand>)(values, []);
    down = sub.nodes.find((n) => n.type === 'Downsample');
    const first = sub.nodes.find((n) => n.type === 'HeraclesBlock');
    if (!first) throw new CommandError('the stage has no blocks');
    const start = Number(values.dropPathStart);
    const end = Number(values.dropPathEnd);
    const rate = round6((start + end) / 2);
    blockParams = { ...first.params, dropPath: rate };
    repeat = Number(values.depth);
    if (start !== end)
      note = `every repeat of a group is the same, so the drop-path ramp ${start} → ${end} became one rate, ${rate}`;
  }
  const ref = name ?? freshId(new Set(Object.keys(doc.composites ?? {})), `${id}-block`);
  if (Object.hasOwn(doc.composites ?? {}, ref)) throw new CommandError(`a group "${ref}" already exists`);
  const what = node.label ?? id;
  const composite = compositeFromGraph(
    heraclesBlockGraph(blockParams),
    node.type === 'Stage' ? `${what}: one block` : what,
    `Converted from ${block.displayName} "${id}".`,
  );
  const group: DocNode = { ...node, type: 'Group', params: { ref, repeat } };
  const commands: Command[] = [
    { type: 'setComposite', name: ref, value: composite },
    { type: 'restoreNodes', nodes: [group] },
  ];
  if (down) {
    const downId = freshId(new Set(doc.nodes.map((n) => n.id)), `${id}-down`);
    const p = node.position ?? { x: 0, y: 0 };
    const downNode: DocNode = {
      id: downId,
      type: 'Downsample',
      params: structuredClone(down.params),
      position: { x: p.x - 260, y: p.y - 40 },
    };
    const incoming = doc.edges.flatMap((edge, i) => (edge.target === id ? [{ index: i, edge }] : []));
    const takenEdges = new Set(doc.edges.map((e) => e.id));
    const link: DocEdge = {
      id: freshId(takenEdges, `${downId}-${id}`),
      source: downId,
      sourceHandle: 'out',
      target: id,
      targetHandle: 'in',
    };
    commands.push(
      { type: 'remove', nodeIds: [], edgeIds: incoming.map((x) => x.edge.id) },
      {
        type: 'insert',
        nodes: [{ index, node: downNode }],
        edges: [
          ...incoming.map(({ index: i, edge }) => ({ index: i, edge: { ...edge, target: downId } })),
          { index: doc.edges.length, edge: link },
        ],
      },
    );
  }
  return { command: { type: 'batch', label: `convert ${id} to a group`, commands }, ref, note };
}
