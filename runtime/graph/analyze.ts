/**
 * Validation and shape/cost inference over a whole graph, "up to the first error": nodes upstream of a
 * problem keep their shapes and costs, nodes downstream are `unknown`, so an editor can show partial
 * results. Every problem is pinned to a node or edge id, in plain language, with a hint.
 *
 * Composite nodes (Heracles block, Stage, user groups) are expanded and analysed recursively; their inner
 * analysis is kept on the node (`inner`) for the editor's expanded view.
 */
import { getBlock } from '../../blocks/index';
import { BlockError, kindOfShape } from '../../blocks/types';
import type { BlockDef, Cost, ParamValues, PortKind, Shape, SubGraph } from '../../blocks/types';
import type { Composite, DocumentIssue, HeraclesDocument } from '../document/schema';
import { expandBackbone } from './backbone';
import { expandGroup } from './composite';
import { resolveParams } from './params';

export interface GraphNodeLike {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  label?: string;
}
export interface GraphEdgeLike {
  id?: string;
  source: string;
  sourceHandle?: string;
  target: string;
  targetHandle?: string;
}
export interface GraphLike {
  nodes: readonly GraphNodeLike[];
  edges: readonly GraphEdgeLike[];
}

export type NodeStatus = 'ok' | 'error' | 'unknown';

export interface NodeInfo {
  id: string;
  type: string;
  status: NodeStatus;
  /** Params with defaults filled in (absent when the block type is unknown). */
  params?: ParamValues;
  inputShapes?: Shape[];
  outputShapes?: Shape[];
  cost?: Cost;
  /** Composites: the analysis of the expanded inner graph. */
  inner?: GraphAnalysis;
  /** Composites: the inner graph that was analysed. */
  expanded?: SubGraph;
}

export interface GraphAnalysis {
  issues: DocumentIssue[];
  nodes: Record<string, NodeInfo>;
  /** Shape carried by each edge (by edge id), when known. */
  edgeShapes: Record<string, Shape | undefined>;
  /** Node ids in a topological order (nodes in cycles are left out). */
  order: string[];
  totals: Cost;
}

export interface AnalyzeOptions {
  composites?: Record<string, Composite>;
  /** Shapes fed into inner ports from outside (composite inputs), keyed `node\0handle`. */
  external?: Map<string, Shape>;
  depth?: number;
}

export const edgeIdOf = (e: GraphEdgeLike, i: number): string => e.id ?? `e${i}`;
const portKey = (node: string, handle: string) => `${node}\u0000${handle}`;
const MAX_DEPTH = 16;

const KIND_WORDS: Record<PortKind, string> = {
  image: 'image tokens [H, W, C]',
  sequence: 'a sequence [L, C]',
  vector: 'a vector [C]',
  any: 'any tensor',
};
export const describeShape = (s: Shape): string =>
  `${KIND_WORDS[kindOfShape(s)].split(' [')[0]} [${s.join(', ')}]`;

/** Analyses a bare graph (document top level or a composite's inner graph). */
export function analyzeGraph(graph: GraphLike, opts: AnalyzeOptions = {}): GraphAnalysis {
  const issues: DocumentIssue[] = [];
  const nodeIssue = (id: string, code: string, message: string, hint?: string, param?: string) =>
    issues.push({ where: { kind: 'node', id, ...(param ? { param } : {}) }, code, message, hint });
  const edgeIssue = (id: string, code: string, message: string, hint?: string) =>
    issues.push({ where: { kind: 'edge', id }, code, message, hint });

  const nodes: Record<string, NodeInfo> = {};
  const blocks = new Map<string, BlockDef>();
  const broken = new Set<string>(); // nodes with their own problems

  // 1. Nodes: unique ids, known types, valid params.
  for (const n of graph.nodes) {
    // Object.hasOwn: an id like "constructor" must not find Object.prototype's property.
    if (Object.hasOwn(nodes, n.id)) {
      nodeIssue(n.id, 'duplicate-id', `two nodes have the id "${n.id}"`, 'give each node its own id');
      broken.add(n.id);
      continue;
    }
    const info: NodeInfo = { id: n.id, type: n.type, status: 'unknown' };
    nodes[n.id] = info;
    const block = getBlock(n.type);
    if (!block) {
      nodeIssue(n.id, 'unknown-type', `unknown block type "${n.type}"`, 'pick a block from the palette');
      broken.add(n.id);
      continue;
    }
    blocks.set(n.id, block);
    const { values, problems } = resolveParams(block, n.params);
    info.params = values;
    for (const p of problems) nodeIssue(n.id, 'param', p.message, p.hint, p.param);
    if (problems.length) broken.add(n.id);
  }

  // 2. Edges: endpoints and handles exist, one edge per non-variadic input.
  const incoming = new Map<string, { edgeId: string; source: string; handle: string }[]>();
  const outgoing = new Map<string, string[]>();
  const seenEdgeIds = new Set<string>();
  graph.edges.forEach((e, i) => {
    const id = edgeIdOf(e, i);
    const sourceHandle = e.sourceHandle ?? 'out';
    const targetHandle = e.targetHandle ?? 'in';
    if (seenEdgeIds.has(id)) return edgeIssue(id, 'duplicate-id', `two edges have the id "${id}"`);
    seenEdgeIds.add(id);
    const src = blocks.get(e.source);
    const dst = blocks.get(e.target);
    if (!Object.hasOwn(nodes, e.source))
      return edgeIssue(id, 'missing-node', `starts at node "${e.source}", which does not exist`);
    if (!Object.hasOwn(nodes, e.target))
      return edgeIssue(id, 'missing-node', `ends at node "${e.target}", which does not exist`);
    if (src && !src.outputs.some((p) => p.name === sourceHandle))
      return edgeIssue(
        id,
        'missing-port',
        `${src.displayName} "${e.source}" has no output "${sourceHandle}"`,
        `its outputs are ${src.outputs.map((p) => p.name).join(', ') || 'none'}`,
      );
    if (dst && !dst.inputs.some((p) => p.name === targetHandle))
      return edgeIssue(
        id,
        'missing-port',
        `${dst.displayName} "${e.target}" has no input "${targetHandle}"`,
        `its inputs are ${dst.inputs.map((p) => p.name).join(', ') || 'none'}`,
      );
    const key = portKey(e.target, targetHandle);
    const list = incoming.get(key) ?? [];
    if (list.length > 0 && dst && !dst.variadicInput)
      return edgeIssue(
        id,
        'port-taken',
        `input "${targetHandle}" of "${e.target}" already has a connection`,
        'remove the other edge first, or use an Add / Concat block to merge',
      );
    list.push({ edgeId: id, source: e.source, handle: sourceHandle });
    incoming.set(key, list);
    outgoing.set(e.source, [...(outgoing.get(e.source) ?? []), e.target]);
  });

  // 3. Topological order (Kahn); what remains sits on a cycle.
  const indeg = new Map<string, number>(Object.keys(nodes).map((id) => [id, 0]));
  for (const targets of outgoing.values()) for (const t of targets) indeg.set(t, (indeg.get(t) ?? 0) + 1);
  const queue = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift() as string;
    order.push(id);
    for (const t of outgoing.get(id) ?? []) {
      indeg.set(t, (indeg.get(t) as number) - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }
  if (order.length < Object.keys(nodes).length) {
    const inCycle = Object.keys(nodes).filter((id) => !order.includes(id));
    for (const id of inCycle) {
      nodeIssue(
        id,
        'cycle',
        `is part of a cycle (${inCycle.join(' → ')})`,
        'models must flow one way: remove one edge of the loop',
      );
      broken.add(id);
    }
  }

  // 4. Shapes and costs in order; stop at the first error on each path.
  const edgeShapes: Record<string, Shape | undefined> = {};
  const depth = opts.depth ?? 0;
  for (const id of order) {
    const info = nodes[id];
    const block = blocks.get(id);
    if (!block || broken.has(id)) {
      info.status = broken.has(id) ? 'error' : 'unknown';
      continue;
    }
    const inputShapes: Shape[] = [];
    let ready = true;
    for (const port of block.inputs) {
      const ext = opts.external?.get(portKey(id, port.name));
      const feeds = incoming.get(portKey(id, port.name)) ?? [];
      if (ext) inputShapes.push(ext);
      if (feeds.length === 0 && !ext) {
        nodeIssue(
          id,
          'unconnected',
          `input "${port.name}" of ${block.displayName} is not connected`,
          `connect a block that produces ${KIND_WORDS[port.kind === 'same' ? 'any' : port.kind]}`,
        );
        info.status = 'error';
        ready = false;
        break;
      }
      for (const f of feeds) {
        const srcInfo = nodes[f.source];
        const srcBlock = blocks.get(f.source);
        const idx = srcBlock ? srcBlock.outputs.findIndex((p) => p.name === f.handle) : -1;
        const shape = srcInfo.status === 'ok' ? srcInfo.outputShapes?.[idx] : undefined;
        edgeShapes[f.edgeId] = shape;
        if (!shape) {
          ready = false;
          continue;
        }
        const want = port.kind;
        if (want !== 'any' && want !== 'same' && kindOfShape(shape) !== want) {
          edgeIssue(
            f.edgeId,
            'kind',
            `${block.displayName} "${id}" expects ${KIND_WORDS[want]} on "${port.name}", but gets ${describeShape(shape)}`,
            want === 'vector'
              ? 'pool the tokens first (Global Pool)'
              : 'insert a Reshape, or use the matching 1-D / 2-D block',
          );
          info.status = 'error';
          ready = false;
          continue;
        }
        inputShapes.push(shape);
      }
    }
    if (!ready) continue;
    info.inputShapes = inputShapes;
    const params = info.params as ParamValues;
    try {
      if (block.expand || block.type === 'Group' || block.type === 'PretrainedBackbone') {
        if (depth >= MAX_DEPTH)
          throw new BlockError(
            `groups are nested more than ${MAX_DEPTH} deep`,
            'a group may not contain itself',
          );
        const sub =
          block.type === 'Group'
            ? expandGroup(params, opts.composites ?? {})
            : block.type === 'PretrainedBackbone'
              ? expandBackbone(params)
              : (block.expand as NonNullable<BlockDef['expand']>)(params, inputShapes);
        const external = new Map<string, Shape>();
        sub.inputs.forEach((ports, i) =>
          ports.forEach((p) => external.set(portKey(p.node, p.handle), inputShapes[i])),
        );
        const inner = analyzeGraph(sub, { composites: opts.composites, external, depth: depth + 1 });
        info.inner = inner;
        info.expanded = sub;
        if (inner.issues.length) {
          const first = inner.issues[0];
          const where = first.where.kind === 'path' ? first.where.path : first.where.id;
          const innerPath = first.inner ? `${where}.${first.inner.path}` : where;
          const innerMessage = first.inner?.message ?? first.message;
          issues.push({
            where: { kind: 'node', id },
            code: 'inner',
            message: `inside, at "${innerPath}": ${innerMessage}`,
            hint: first.hint,
            inner: { path: innerPath, message: innerMessage },
          });
          info.status = 'error';
          continue;
        }
        info.outputShapes = sub.outputs.map((o) => {
          const innerNode = inner.nodes[o.node];
          const innerBlock = getBlock(innerNode.type) as BlockDef;
          return (innerNode.outputShapes as Shape[])[
            innerBlock.outputs.findIndex((p) => p.name === o.handle)
          ];
        });
        info.cost = inner.totals;
      } else {
        info.outputShapes = block.inferShape(inputShapes, params);
        info.cost = block.cost(inputShapes, params);
      }
      info.status = 'ok';
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
      nodeIssue(id, 'shape', e.message, e.hint, e.param);
      info.status = 'error';
    }
  }
  // Edges whose source is fine but whose target could not be reached still show their shape.
  graph.edges.forEach((e, i) => {
    const id = edgeIdOf(e, i);
    if (edgeShapes[id] !== undefined) return;
    const src = nodes[e.source];
    const srcBlock = blocks.get(e.source);
    if (src?.status === 'ok' && srcBlock) {
      const idx = srcBlock.outputs.findIndex((p) => p.name === (e.sourceHandle ?? 'out'));
      edgeShapes[id] = src.outputShapes?.[idx];
    }
  });

  const totals = { params: 0, macs: 0 };
  for (const info of Object.values(nodes))
    if (info.cost) {
      totals.params += info.cost.params;
      totals.macs += info.cost.macs;
    }
  return { issues, nodes, edgeShapes, order, totals };
}

/** Analyses a whole document: the graph, its Input/Output blocks and the task they must match. */
/** An unknown type that a code cell defines is not a typo: say that the code has not run yet. */
function explainCodeBlocks(doc: HeraclesDocument, a: GraphAnalysis): void {
  const byType = new Map(
    (doc.cells ?? []).flatMap((c) => (c.kind === 'code' && c.blockType ? [[c.blockType, c.id]] : [])),
  );
  for (const issue of a.issues) {
    if (issue.code !== 'unknown-type' || issue.where.kind !== 'node') continue;
    const type = a.nodes[issue.where.id]?.type;
    const cell = type && byType.get(type);
    if (!cell) continue;
    issue.message = `block type "${type}" is defined by code cell "${cell}", which has not run`;
    issue.hint = 'trust the notebook to run its code (only if you trust where it came from)';
  }
}

export function analyzeDocument(doc: HeraclesDocument): GraphAnalysis {
  const a = analyzeGraph(doc, { composites: doc.composites });
  explainCodeBlocks(doc, a);
  const inputs = doc.nodes.filter((n) => n.type === 'Input');
  const outputs = doc.nodes.filter((n) => n.type === 'Output');
  const docIssue = (code: string, message: string, hint: string) =>
    a.issues.push({ where: { kind: 'path', path: '$.nodes' }, code, message, hint });
  if (inputs.length === 0)
    docIssue('no-input', 'the graph has no Input block', 'add an Input block from the palette');
  if (outputs.length === 0)
    docIssue('no-output', 'the graph has no Output block', 'add an Output block after the head');
  if (outputs.length > 1)
    docIssue(
      'many-outputs',
      `the graph has ${outputs.length} Output blocks; a model has one`,
      'remove the extra Output blocks',
    );
  const task = doc.task;
  const expectIn = task.kind === 'classification' ? task.inputShape : [task.lookback, task.channels ?? -1];
  for (const n of inputs) {
    const shape = a.nodes[n.id]?.outputShapes?.[0];
    if (shape && !sameShape(shape, expectIn))
      a.issues.push({
        where: { kind: 'node', id: n.id, param: 'shape' },
        code: 'task',
        message: `the Input shape [${shape}] does not match the task, which expects [${showExpected(expectIn)}]`,
        hint: 'set the Input shape to match, or change the task',
      });
  }
  const expectOut = task.kind === 'classification' ? [task.classes] : [task.horizon, task.channels ?? -1];
  for (const n of outputs) {
    const shape = a.nodes[n.id]?.outputShapes?.[0];
    if (shape && !sameShape(shape, expectOut))
      a.issues.push({
        where: { kind: 'node', id: n.id },
        code: 'task',
        message: `the model produces [${shape}] but the ${task.kind} task expects [${showExpected(expectOut)}]`,
        hint:
          task.kind === 'classification'
            ? `set the head's classes to ${task.classes}`
            : `set the forecast head's horizon to ${task.horizon}`,
      });
  }
  return a;
}

/** -1 in `expected` matches any size (e.g. channels taken from the data). */
const sameShape = (s: Shape, expected: readonly number[]) =>
  s.length === expected.length && s.every((d, i) => expected[i] === -1 || d === expected[i]);
const showExpected = (s: readonly number[]) => s.map((d) => (d === -1 ? 'C' : String(d))).join(', ');
