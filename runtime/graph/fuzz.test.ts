/**
 * Property tests of the document → analysis → model pipeline (fast-check).
 *
 *   a. Random *valid* graphs built from the registry (chains with residual Add / Concat branches, image
 *      or sequence inputs, a classifier or forecast head) analyse without issues, compile, and the model
 *      has the inferred output shape, the analysed parameter count and finite outputs.
 *   b. Random *corruptions* of valid documents (structural edits, bad params, bad JSON text, random
 *      JSON) never make `loadDocument` / `analyzeDocument` throw; structural errors are reported on an
 *      involved node / edge / path; `compileDocument` throws nothing but `GraphError`.
 *
 * A failing property prints its seed and the shrunk counterexample; rerun one with
 * `fc.assert(..., { seed, path })`. Run: npx vitest run runtime/graph/fuzz.test.ts
 * For a deeper search, scale every property's run count: FUZZ_SCALE=20 npx vitest run runtime/graph/fuzz.test.ts
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBlock } from '../../blocks/index';
import { BlockError, kindOfShape, product } from '../../blocks/types';
import type { BlockDef, ParamSpec, ParamValues, Shape } from '../../blocks/types';
import { ROOT } from '../../tests/unit/helpers';
import { initNodeBackend } from '../backend/node';
import { loadDocument } from '../document/load';
import type { DocumentIssue, HeraclesDocument } from '../document/schema';
import { analyzeDocument } from './analyze';
import { GraphError, compileDocument } from './compile';
import { resolveParams } from './params';

// ------------------------------------------------------------------------------------------
// Raw documents (plain JSON objects, as written to disk)
// ------------------------------------------------------------------------------------------

interface RawNode {
  id: string;
  type: string;
  params: Record<string, unknown>;
  position?: { x: number; y: number };
}
interface RawEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}
interface RawDoc {
  schemaVersion: number;
  metadata: { name: string };
  task: Record<string, unknown>;
  training?: Record<string, unknown>;
  nodes: RawNode[];
  edges: RawEdge[];
}

const FIXTURE_TEXT = readFileSync(path.join(ROOT, 'tests/fixtures/small-image.heracles.json'), 'utf8');
const fixtureRaw = (): RawDoc => JSON.parse(FIXTURE_TEXT);

/** Multiplies every property's numRuns (env FUZZ_SCALE, default 1). */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });
const TIMEOUT = 60_000 * SCALE;

const block = (type: string): BlockDef => {
  const b = getBlock(type);
  if (!b) throw new Error(`no block ${type}`);
  return b;
};

// ------------------------------------------------------------------------------------------
// a. Random valid graphs
// ------------------------------------------------------------------------------------------

/** One step of the chain: a block with shape-agnostic params (finalised against the current shape). */
interface Step {
  type: string;
  params: Record<string, unknown>;
  /** Also feed the step's input into an Add / Concat with its output (a DAG, not just a chain). */
  merge: 'none' | 'add' | 'concat';
}

interface GraphSpec {
  task: 'image' | 'sequence' | 'forecast';
  dims: number[];
  steps: Step[];
  pool: 'none' | 'GlobalPool' | 'ClassAttention' | 'Flatten';
  classes: number;
  headNorm: boolean;
  horizon: number;
  revin: boolean;
  denorm: boolean;
}

const transformArb = fc.constantFrom('dht2d', 'dct', 'dht1d');
const mixerArb = fc.constantFrom('ssm', 'attention', 'hartley', 'local');
const headsArb = fc.constantFrom(1, 2, 4);
const dimArb = fc.constantFrom(4, 8);
const kernelArb = fc.integer({ min: 1, max: 5 });
const ratioArb = fc.constantFrom(0.5, 1, 2);
const rateArb = fc.constantFrom(0, 0.1, 0.5);

const stepBlockArb: fc.Arbitrary<Omit<Step, 'merge'>> = fc.oneof(
  fc.record({
    type: fc.constant('ConvStem'),
    params: fc.record({ dim: dimArb, width: dimArb, stride: fc.constantFrom(1, 2, 4) }),
  }),
  fc.record({
    type: fc.constant('PatchEmbed'),
    params: fc.record({
      patchSize: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 0, max: 3 }),
      dim: dimArb,
      mode: fc.constantFrom('mixed', 'channel-independent'),
      norm: fc.boolean(),
    }),
  }),
  fc.record({ type: fc.constant('Downsample'), params: fc.record({ dim: dimArb, preNorm: fc.boolean() }) }),
  fc.record({ type: fc.constant('HartleySSM'), params: fc.record({ transform: transformArb }) }),
  fc.record({ type: fc.constant('LocalConvSSM'), params: fc.record({ kernelSize: kernelArb }) }),
  fc.record({
    type: fc.constant('HeraclesMixer'),
    params: fc.record({ transform: transformArb, kernelSize: kernelArb }),
  }),
  fc.record({ type: fc.constant('MultiHeadAttention'), params: fc.record({ heads: headsArb }) }),
  fc.record({
    type: fc.constant('FFN'),
    params: fc.record({ mlpRatio: ratioArb, depthwise: fc.boolean(), kernelSize: kernelArb }),
  }),
  fc.record({
    type: fc.constant('Dense'),
    params: fc.record({
      units: fc.constantFrom(2, 4, 8),
      bias: fc.boolean(),
      activation: fc.constantFrom('linear', 'relu', 'gelu', 'swish', 'tanh', 'sigmoid'),
    }),
  }),
  fc.record({
    type: fc.constant('Activation'),
    params: fc.record({ fn: fc.constantFrom('relu', 'gelu', 'swish', 'tanh', 'sigmoid', 'softmax') }),
  }),
  fc.record({ type: fc.constant('LayerNorm'), params: fc.record({ epsilon: fc.constantFrom(1e-6, 1e-3) }) }),
  fc.record({ type: fc.constant('BatchNorm'), params: fc.record({ momentum: fc.constantFrom(0.1, 0.5) }) }),
  fc.record({ type: fc.constant('Dropout'), params: fc.record({ rate: rateArb }) }),
  fc.record({ type: fc.constant('DropPath'), params: fc.record({ rate: rateArb }) }),
  fc.record({
    type: fc.constant('Reshape'),
    params: fc.record({ _to: fc.constantFrom('flat', 'tokens', 'row') }),
  }),
  fc.record({
    type: fc.constant('HeraclesBlock'),
    params: fc.record({
      mixer: mixerArb,
      heads: headsArb,
      mlpRatio: ratioArb,
      transform: transformArb,
      kernelSize: fc.constantFrom(1, 3),
      dropPath: rateArb,
    }),
  }),
  fc.record({
    type: fc.constant('Stage'),
    params: fc.record({
      depth: fc.integer({ min: 1, max: 2 }),
      _dim: dimArb,
      downsample: fc.boolean(),
      mixer: mixerArb,
      heads: headsArb,
      mlpRatio: ratioArb,
      transform: transformArb,
      kernelSize: fc.constantFrom(1, 3),
      dropPathStart: rateArb,
      dropPathEnd: rateArb,
    }),
  }),
);

const stepArb: fc.Arbitrary<Step> = fc
  .tuple(stepBlockArb, fc.constantFrom<Step['merge']>('none', 'none', 'add', 'concat'))
  .map(([s, merge]) => ({ ...s, merge }));

const specArb: fc.Arbitrary<GraphSpec> = fc
  .record({
    task: fc.constantFrom<GraphSpec['task']>('image', 'sequence', 'forecast'),
    h: fc.integer({ min: 4, max: 12 }),
    w: fc.integer({ min: 4, max: 12 }),
    l: fc.integer({ min: 4, max: 16 }),
    c: fc.constantFrom(4, 8),
    steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
    pool: fc.constantFrom<GraphSpec['pool']>('none', 'GlobalPool', 'ClassAttention', 'Flatten'),
    classes: fc.integer({ min: 2, max: 6 }),
    headNorm: fc.boolean(),
    horizon: fc.integer({ min: 1, max: 6 }),
    revin: fc.boolean(),
    denorm: fc.boolean(),
  })
  .map(({ h, w, l, c, ...rest }) => ({ ...rest, dims: rest.task === 'image' ? [h, w, c] : [l, c] }));

const MAX_CHANNELS = 16;

/** Output shapes of a block on these inputs, or null when it does not accept them (by its own rules). */
function tryBlock(type: string, params: Record<string, unknown>, inputs: Shape[]): Shape | null {
  const b = block(type);
  const r = resolveParams(b, params);
  if (r.problems.length) return null;
  for (const [i, port] of b.inputs.entries()) {
    const s = inputs[i];
    if (s && port.kind !== 'any' && port.kind !== 'same' && kindOfShape(s) !== port.kind) return null;
  }
  const p = r.values;
  try {
    if (type === 'HeraclesBlock' || type === 'Stage') {
      // Composites: the rules of their inner blocks (the mixer's channel split / heads).
      const [s] = inputs;
      if (s.length !== 2 && s.length !== 3) return null;
      const out = type === 'Stage' && p.downsample ? tryBlock('Downsample', { dim: p.dim }, [s]) : s;
      if (!out) return null;
      if (type === 'Stage' && !p.downsample && out[out.length - 1] !== p.dim) return null;
      const c = out[out.length - 1];
      if (p.mixer === 'ssm' && c % 2 !== 0) return null;
      if (p.mixer === 'attention' && c % (p.heads as number) !== 0) return null;
      return out;
    }
    return b.inferShape(inputs, p as ParamValues)[0];
  } catch (e) {
    if (e instanceof BlockError) return null;
    throw e;
  }
}

/** Finalises params that depend on the current shape (Stage channels, Reshape targets). */
function finalParams(step: Step, s: Shape): Record<string, unknown> {
  const { _dim, _to, ...params } = step.params as Record<string, unknown>;
  if (step.type === 'Stage') params.dim = params.downsample ? _dim : s[s.length - 1];
  if (step.type === 'Reshape') {
    const c = s[s.length - 1];
    params.targetShape = _to === 'flat' ? [-1] : _to === 'tokens' ? [-1, c] : [1, -1, c];
  }
  return params;
}

interface Built {
  raw: RawDoc;
  inputShape: Shape;
  outShape: Shape;
  /** Node ids by role, for the corruptions. */
  inputId: string;
  outputId: string;
}

/** Builds a valid document from a spec: steps that do not fit the current shape are skipped. */
function buildDoc(spec: GraphSpec): Built {
  const nodes: RawNode[] = [];
  const edges: RawEdge[] = [];
  const add = (id: string, type: string, params: Record<string, unknown> = {}) =>
    nodes.push({ id, type, params, position: { x: 0, y: nodes.length * 100 } });
  const link = (source: string, target: string, targetHandle = 'in') =>
    edges.push({ id: `e${edges.length}`, source, sourceHandle: 'out', target, targetHandle });

  const inputShape = spec.dims;
  add('in', 'Input', { shape: [...inputShape] });
  let last = 'in';
  let shape: Shape = inputShape;
  const forecast = spec.task === 'forecast';
  const channels = inputShape[inputShape.length - 1];

  const apply = (id: string, type: string, params: Record<string, unknown>, out: Shape) => {
    add(id, type, params);
    link(last, id);
    last = id;
    shape = out;
  };

  if (forecast && spec.revin) apply('revin', 'RevIN', { epsilon: 1e-5 }, shape);
  spec.steps.forEach((step, i) => {
    const params = finalParams(step, shape);
    const out = tryBlock(step.type, params, [shape]);
    if (!out || product(out) > 4096 || out[out.length - 1] > MAX_CHANNELS) return;
    const before = last;
    const inShape = shape;
    apply(`n${i}`, step.type, params, out);
    if (step.merge === 'add' && tryBlock('Add', {}, [inShape, out])) {
      add(`m${i}`, 'Add');
      link(before, `m${i}`);
      link(last, `m${i}`);
      last = `m${i}`;
    } else if (step.merge === 'concat') {
      const joined = tryBlock('Concat', {}, [inShape, out]);
      if (joined && joined[joined.length - 1] <= MAX_CHANNELS) {
        add(`m${i}`, 'Concat');
        link(before, `m${i}`);
        link(last, `m${i}`);
        last = `m${i}`;
        shape = joined;
      }
    }
  });

  // At least one block between the input and the head, even when no step fitted.
  if (!nodes.some((n) => /^n\d/.test(n.id))) apply('n_ln', 'LayerNorm', {}, shape);

  let outShape: Shape;
  if (!forecast) {
    if (spec.pool !== 'none') {
      const params = spec.pool === 'ClassAttention' ? { heads: 2, mlpRatio: 1 } : {};
      const out = tryBlock(spec.pool, params, [shape]);
      if (out) apply('pool', spec.pool, params, out);
    }
    apply('head', 'ClassifierHead', { classes: spec.classes, norm: spec.headNorm }, [spec.classes]);
    outShape = [spec.classes];
  } else {
    // Channel-independent tokens [C, P, D] keep their series; anything else is mapped to C series.
    if (shape.length === 3 && shape[0] !== channels) apply('flat', 'Flatten', {}, [product(shape)]);
    apply('head', 'ForecastHead', { horizon: spec.horizon, channels }, [spec.horizon, channels]);
    if (spec.denorm) {
      apply('denorm', 'RevINDenorm', { epsilon: 1e-5 }, shape);
      link('in', 'denorm', 'reference');
    }
    outShape = [spec.horizon, channels];
  }
  add('out', 'Output');
  link(last, 'out');

  const task =
    spec.task === 'forecast'
      ? { kind: 'forecasting', lookback: inputShape[0], horizon: spec.horizon, channels }
      : { kind: 'classification', inputShape: [...inputShape], classes: spec.classes };
  return {
    raw: { schemaVersion: 1, metadata: { name: 'fuzz' }, task, training: { seed: 3 }, nodes, edges },
    inputShape,
    outShape,
    inputId: 'in',
    outputId: 'out',
  };
}

const builtArb = specArb.map(buildDoc);

const mustLoad = (raw: unknown): HeraclesDocument => {
  const r = loadDocument(raw);
  if (!r.ok) throw new Error(`generated document does not load: ${JSON.stringify(r.issues)}`);
  return r.doc;
};

const trainableCount = (model: tf.LayersModel): number =>
  model.trainableWeights.reduce((n, w) => n + product(w.shape as number[]), 0);

const allFinite = (t: tf.Tensor): boolean => t.dataSync().every((v) => Number.isFinite(v));

// ------------------------------------------------------------------------------------------
// b. Corruptions
// ------------------------------------------------------------------------------------------

/** Which issue locations count as "involved" in a corruption. */
interface Involved {
  ids: Set<string>;
  paths: Set<string>;
}

type Corruption =
  | { kind: 'deleteNode'; i: number }
  | { kind: 'duplicateNodeId'; i: number; j: number }
  | { kind: 'duplicateEdgeId'; i: number; j: number }
  | { kind: 'edgeToMissingNode'; i: number; end: 'source' | 'target'; name: string }
  | { kind: 'edgeToMissingPort'; i: number; end: 'source' | 'target'; name: string }
  | { kind: 'paramWrongType'; i: number; p: number; pick: number }
  | { kind: 'paramOutOfRange'; i: number; p: number; pick: number }
  | { kind: 'unknownParam'; i: number; name: string; value: unknown }
  | { kind: 'unknownType'; i: number; type: string }
  | { kind: 'cycleEdge'; i: number; j: number }
  | { kind: 'removeOutput' }
  | { kind: 'taskOutput'; delta: number }
  | { kind: 'taskInput'; delta: number };

/** Names that look like ids but are inherited properties of plain objects, plus ordinary ones. */
const trickyName = fc.oneof(
  fc.constantFrom('ghost', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,12}$/),
);

const corruptionArb: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant('deleteNode' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateNodeId' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateEdgeId' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({
    kind: fc.constant('edgeToMissingNode' as const),
    i: fc.nat(),
    end: fc.constantFrom('source' as const, 'target' as const),
    name: trickyName,
  }),
  fc.record({
    kind: fc.constant('edgeToMissingPort' as const),
    i: fc.nat(),
    end: fc.constantFrom('source' as const, 'target' as const),
    name: fc.oneof(
      fc.constantFrom('nope', 'constructor', 'toString', 'Out', 'IN', ''),
      fc.string({ maxLength: 8 }),
    ),
  }),
  fc.record({ kind: fc.constant('paramWrongType' as const), i: fc.nat(), p: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('paramOutOfRange' as const), i: fc.nat(), p: fc.nat(), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('unknownParam' as const),
    i: fc.nat(),
    name: fc.oneof(
      fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'Dim', 'patchsize'),
      fc.string({ maxLength: 10 }),
    ),
    value: fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.string({ maxLength: 5 }),
      fc.array(fc.integer(), { maxLength: 3 }),
    ),
  }),
  fc.record({
    kind: fc.constant('unknownType' as const),
    i: fc.nat(),
    type: fc.oneof(
      fc.constantFrom('NoSuchBlock', 'hartleySSM', 'constructor', 'toString', ' Dense', 'Dense '),
      fc.string({ minLength: 1, maxLength: 10 }),
    ),
  }),
  fc.record({ kind: fc.constant('cycleEdge' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('removeOutput' as const) }),
  fc.record({ kind: fc.constant('taskOutput' as const), delta: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('taskInput' as const), delta: fc.integer({ min: 1, max: 5 }) }),
);

const WRONG_TYPE: Record<ParamSpec['kind'], unknown[]> = {
  int: ['3', true, [1], 2.5],
  float: ['0.1', false, [0.1]],
  bool: [1, 'true', [0]],
  enum: [7, true, 'not-an-option', ''],
  ints: ['1,2', true, 5, [1.5, 2]],
  string: [5, true, [1]],
};

/** A value the spec rejects for its range (or length), or undefined when it has none. */
function outOfRange(spec: ParamSpec, pick: number): unknown {
  const options: unknown[] = [];
  if (spec.kind === 'int' || spec.kind === 'float') {
    if (spec.min !== undefined) options.push(spec.min - 1);
    if (spec.max !== undefined) options.push(spec.max + 1);
    if (spec.kind === 'int') options.push(spec.default + 0.5);
  }
  if (spec.kind === 'ints') {
    const len = Math.max(spec.minLength ?? 1, spec.default.length);
    if (spec.min !== undefined) options.push(Array.from({ length: len }, () => (spec.min as number) - 1));
    if (spec.max !== undefined) options.push(Array.from({ length: len }, () => (spec.max as number) + 1));
    if (spec.maxLength !== undefined) options.push(Array.from({ length: spec.maxLength + 1 }, () => 1));
    if (spec.minLength !== undefined && spec.minLength > 0) options.push([]);
  }
  return options.length ? options[pick % options.length] : undefined;
}

/** Node ids on a path from `from` to `to` (both included when such a path exists). */
function between(raw: RawDoc, from: string, to: string): string[] {
  const next = (id: string) => raw.edges.filter((e) => e.source === id).map((e) => e.target);
  const prev = (id: string) => raw.edges.filter((e) => e.target === id).map((e) => e.source);
  const reach = (start: string, step: (id: string) => string[]) => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length)
      for (const n of step(stack.pop() as string))
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
    return seen;
  };
  const down = reach(from, next);
  const up = reach(to, prev);
  return [...down].filter((id) => up.has(id));
}

/**
 * Applies a corruption to a copy of `raw`. Returns the corrupted document and where an issue must be
 * reported; indices are taken modulo the list lengths, and a corruption that does not apply to this
 * document falls back to renaming a node's type.
 */
function corrupt(input: RawDoc, c: Corruption): { raw: RawDoc; involved: Involved } {
  const raw: RawDoc = structuredClone(input);
  const ids = new Set<string>();
  const paths = new Set<string>();
  const N = raw.nodes.length;
  const E = raw.edges.length;
  const unknownType = (i: number, type = 'NoSuchBlock') => {
    const n = raw.nodes[i % N];
    n.type = type;
    ids.add(n.id);
  };
  switch (c.kind) {
    case 'deleteNode': {
      const [gone] = raw.nodes.splice(c.i % N, 1);
      for (const e of raw.edges) if (e.source === gone.id || e.target === gone.id) ids.add(e.id);
      if (gone.type === 'Input' || gone.type === 'Output') paths.add('$.nodes');
      break;
    }
    case 'duplicateNodeId': {
      const i = c.i % N;
      const j = (i + 1 + (c.j % (N - 1))) % N;
      raw.nodes[j].id = raw.nodes[i].id;
      ids.add(raw.nodes[i].id);
      break;
    }
    case 'duplicateEdgeId': {
      const i = c.i % E;
      const j = (i + 1 + (c.j % (E - 1))) % E;
      raw.edges[j].id = raw.edges[i].id;
      ids.add(raw.edges[i].id);
      break;
    }
    case 'edgeToMissingNode': {
      const e = raw.edges[c.i % E];
      let name = c.name;
      while (raw.nodes.some((n) => n.id === name)) name = `${name}x`;
      e[c.end] = name;
      ids.add(e.id);
      break;
    }
    case 'edgeToMissingPort': {
      const e = raw.edges[c.i % E];
      const node = raw.nodes.find((n) => n.id === e[c.end]) as RawNode;
      const b = block(node.type);
      const ports = (c.end === 'source' ? b.outputs : b.inputs).map((p) => p.name);
      let name = c.name;
      while (ports.includes(name)) name = `${name}x`;
      if (c.end === 'source') e.sourceHandle = name;
      else e.targetHandle = name;
      ids.add(e.id);
      break;
    }
    case 'paramWrongType':
    case 'paramOutOfRange': {
      // Nodes whose block has params (of a range-checked kind, for out-of-range).
      const candidates = raw.nodes.flatMap((n) => {
        const specs = Object.entries(block(n.type).params as Record<string, ParamSpec>).filter(
          ([, spec]) => c.kind === 'paramWrongType' || outOfRange(spec, 0) !== undefined,
        );
        return specs.length ? [{ n, specs }] : [];
      });
      if (!candidates.length) {
        unknownType(c.i);
        break;
      }
      const { n, specs } = candidates[c.i % candidates.length];
      const [name, spec] = specs[c.p % specs.length];
      const wrong = WRONG_TYPE[spec.kind];
      n.params[name] = c.kind === 'paramWrongType' ? wrong[c.pick % wrong.length] : outOfRange(spec, c.pick);
      ids.add(n.id);
      break;
    }
    case 'unknownParam': {
      const n = raw.nodes[c.i % N];
      let name = c.name;
      // valibot's record drops "__proto__", "prototype" and "constructor" keys on load (by design).
      while (
        Object.hasOwn(block(n.type).params, name) ||
        ['__proto__', 'prototype', 'constructor'].includes(name)
      )
        name = `${name}_x`;
      n.params[name] = c.value;
      ids.add(n.id);
      break;
    }
    case 'unknownType': {
      let type = c.type;
      while (getBlock(type)) type = `${type}_x`;
      unknownType(c.i, type);
      break;
    }
    case 'cycleEdge': {
      // An edge from a node back to itself or to an earlier node: either a cycle or, when that input
      // is already taken, a refused edge; both reported on the new edge or on the nodes of the loop.
      const to = raw.nodes[c.j % N];
      const downstream = raw.nodes.filter((n) => n.type !== 'Output' && between(raw, to.id, n.id).length > 0);
      if (to.type === 'Input' || downstream.length === 0) {
        unknownType(c.i);
        break;
      }
      const from = downstream[c.i % downstream.length];
      const id = 'cycle-edge';
      const toBlock = block(to.type);
      raw.edges.push({
        id,
        source: from.id,
        sourceHandle: 'out',
        target: to.id,
        targetHandle: toBlock.inputs[0].name,
      });
      ids.add(id);
      for (const n of between(raw, to.id, from.id)) ids.add(n);
      break;
    }
    case 'removeOutput': {
      const out = raw.nodes.find((n) => n.type === 'Output') as RawNode;
      raw.nodes = raw.nodes.filter((n) => n !== out);
      raw.edges = raw.edges.filter((e) => e.target !== out.id);
      paths.add('$.nodes');
      break;
    }
    case 'taskOutput': {
      if (raw.task.kind === 'classification') raw.task.classes = (raw.task.classes as number) + c.delta;
      else raw.task.horizon = (raw.task.horizon as number) + c.delta;
      ids.add((raw.nodes.find((n) => n.type === 'Output') as RawNode).id);
      break;
    }
    case 'taskInput': {
      if (raw.task.kind === 'classification') {
        const s = raw.task.inputShape as number[];
        s[c.delta % s.length] += c.delta;
      } else raw.task.lookback = (raw.task.lookback as number) + c.delta;
      ids.add((raw.nodes.find((n) => n.type === 'Input') as RawNode).id);
      break;
    }
  }
  return { raw, involved: { ids, paths } };
}

/** Every issue is well formed and points at something that exists in the document. */
function expectWellFormedIssues(doc: HeraclesDocument, issues: DocumentIssue[]): void {
  const nodeIds = new Set(doc.nodes.map((n) => n.id));
  const edgeIds = new Set(doc.edges.map((e) => e.id));
  for (const issue of issues) {
    expect(issue.message.trim(), JSON.stringify(issue)).not.toBe('');
    expect(issue.code, JSON.stringify(issue)).not.toBe('');
    const w = issue.where;
    if (w.kind === 'node')
      expect(nodeIds.has(w.id), `node issue on an unknown id: ${JSON.stringify(issue)}`).toBe(true);
    else if (w.kind === 'edge')
      expect(edgeIds.has(w.id), `edge issue on an unknown id: ${JSON.stringify(issue)}`).toBe(true);
    else expect(w.path, JSON.stringify(issue)).toMatch(/^\$/);
  }
}

const isInvolved = (issue: DocumentIssue, involved: Involved): boolean =>
  issue.where.kind === 'path' ? involved.paths.has(issue.where.path) : involved.ids.has(issue.where.id);

/** Models bigger than this are not built by the never-throws properties (a flipped digit can make one huge). */
const MAX_PARAMS = 2_000_000;
const MAX_MACS = 200_000_000;

/**
 * The contract for any input: load never throws; when it loads, analysis never throws and its issues are
 * well formed; compile either succeeds (no issues) or throws a `GraphError`, never anything else.
 * Returns the analysis issues (undefined when the document did not load).
 */
function checkPipeline(input: unknown, compile = true): DocumentIssue[] | undefined {
  const r = loadDocument(input);
  if (!r.ok) {
    expect(r.issues.length).toBeGreaterThan(0);
    for (const issue of r.issues) {
      expect(issue.message.trim()).not.toBe('');
      expect(issue.where.kind).toBe('path');
      if (issue.where.kind === 'path') expect(issue.where.path).toMatch(/^\$/);
    }
    return undefined;
  }
  const a = analyzeDocument(r.doc);
  expectWellFormedIssues(r.doc, a.issues);
  if (!compile) return a.issues;
  if (a.issues.length) {
    let thrown: unknown;
    try {
      compileDocument(r.doc).model.dispose();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GraphError);
    expect((thrown as GraphError).issues.length).toBe(a.issues.length);
  } else if (a.totals.params <= MAX_PARAMS && a.totals.macs <= MAX_MACS) {
    try {
      compileDocument(r.doc).model.dispose();
    } catch (e) {
      throw new Error(
        `a document without issues failed to compile: ${e instanceof Error ? e.stack : String(e)}`,
        { cause: e },
      );
    }
  }
  return a.issues;
}

// ------------------------------------------------------------------------------------------

beforeAll(async () => {
  await initNodeBackend('cpu');
});

afterAll(() => {
  tf.disposeVariables();
});

describe('random valid graphs', () => {
  it('generates documents that load, with a fair mix of blocks', () => {
    // A cheap sanity check of the generator itself: many distinct block types show up.
    const seen = new Set<string>();
    for (const b of fc.sample(builtArb, { numRuns: 300, seed: 42 })) {
      mustLoad(b.raw);
      for (const n of b.raw.nodes) seen.add(n.type);
    }
    for (const t of [
      'ConvStem',
      'PatchEmbed',
      'Downsample',
      'HeraclesMixer',
      'MultiHeadAttention',
      'Stage',
      'HeraclesBlock',
      'Add',
      'Concat',
      'Reshape',
      'RevIN',
      'RevINDenorm',
      'ForecastHead',
      'ClassAttention',
      'Flatten',
    ])
      expect(seen, t).toContain(t);
  });

  it(
    'analyse without issues, compile, and run with the inferred shape and parameter count',
    () => {
      fc.assert(
        fc.property(builtArb, (b) => {
          const doc = mustLoad(JSON.parse(JSON.stringify(b.raw)));
          const a = analyzeDocument(doc);
          expect(a.issues).toEqual([]);
          expect(a.nodes[b.outputId].outputShapes?.[0]).toEqual(b.outShape);
          const { model } = compileDocument(doc);
          const x = tf.randomNormal([2, ...b.inputShape], 0, 1, 'float32', 5);
          try {
            expect(model.outputs[0].shape).toEqual([null, ...b.outShape]);
            expect(trainableCount(model)).toBe(a.totals.params);
            const y = model.predict(x) as tf.Tensor;
            expect(y.shape).toEqual([2, ...b.outShape]);
            expect(allFinite(y), 'finite outputs (inference)').toBe(true);
            y.dispose();
            // Training mode takes the other paths of Dropout / DropPath / BatchNorm.
            const yt = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
            expect(yt.shape).toEqual([2, ...b.outShape]);
            expect(allFinite(yt), 'finite outputs (training)').toBe(true);
            yt.dispose();
          } finally {
            x.dispose();
            model.dispose();
          }
        }),
        runs(25),
      );
    },
    TIMEOUT,
  );
});

describe('random corruptions', () => {
  const baseArb: fc.Arbitrary<RawDoc> = fc.oneof(
    fc.constant(null).map(fixtureRaw),
    builtArb.map((b) => b.raw),
  );

  it(
    'structural corruptions are reported on an involved node, edge or path',
    () => {
      fc.assert(
        fc.property(baseArb, corruptionArb, (base, c) => {
          const { raw, involved } = corrupt(base, c);
          const r = loadDocument(JSON.stringify(raw));
          // These corruptions keep the document's form: only the graph is wrong.
          if (!r.ok) throw new Error(`corruption ${c.kind} broke the schema: ${JSON.stringify(r.issues)}`);
          const a = analyzeDocument(r.doc);
          expectWellFormedIssues(r.doc, a.issues);
          expect(a.issues.length, `${c.kind}: no issue`).toBeGreaterThan(0);
          expect(
            a.issues.some((i) => isInvolved(i, involved)),
            `${c.kind}: no issue at ${JSON.stringify({ ids: [...involved.ids], paths: [...involved.paths] })}; got ${JSON.stringify(a.issues)}`,
          ).toBe(true);
          // compile refuses it, with a GraphError (it throws before building anything).
          expect(() => compileDocument(r.doc)).toThrow(GraphError);
        }),
        runs(200),
      );
    },
    TIMEOUT,
  );

  it(
    'several corruptions at once: nothing but GraphError escapes',
    () => {
      fc.assert(
        fc.property(baseArb, fc.array(corruptionArb, { minLength: 1, maxLength: 4 }), (base, cs) => {
          let raw = base;
          for (const c of cs) {
            // Later corruptions index into what earlier ones left; skip those that no longer apply.
            if (raw.nodes.length < 2 || raw.edges.length < 2) break;
            try {
              raw = corrupt(raw, c).raw;
            } catch {
              continue; // e.g. an edge whose endpoint an earlier corruption deleted
            }
          }
          checkPipeline(JSON.stringify(raw));
        }),
        runs(150),
      );
    },
    TIMEOUT,
  );

  it(
    'truncated JSON text is refused with a JSON issue, never thrown',
    () => {
      fc.assert(
        fc.property(baseArb, fc.double({ min: 0, max: 1, noNaN: true }), (base, f) => {
          const text = JSON.stringify(base, null, 2);
          const cut = text.slice(0, Math.floor(f * (text.length - 1)));
          const r = loadDocument(cut);
          expect(r.ok).toBe(false);
          if (r.ok) return;
          expect(r.issues[0].where).toEqual({ kind: 'path', path: '$' });
          expect(r.issues[0].message).toMatch(/^not valid JSON: ./);
        }),
        runs(200),
      );
    },
    TIMEOUT,
  );

  it(
    'random character flips in the JSON text never throw',
    () => {
      const flip = fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        ch: fc.oneof(
          fc.constantFrom(
            '{',
            '}',
            '[',
            ']',
            ',',
            ':',
            '"',
            '0',
            '1',
            '9',
            '-',
            '.',
            'e',
            'x',
            ' ',
            '\\',
            '\u0000',
            '\ufeff',
          ),
          fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
        ),
      });
      fc.assert(
        fc.property(baseArb, fc.array(flip, { minLength: 1, maxLength: 5 }), (base, flips) => {
          const chars = [...JSON.stringify(base)];
          for (const { at, ch } of flips) chars[Math.floor(at * chars.length)] = ch;
          checkPipeline(chars.join(''));
        }),
        runs(200),
      );
    },
    TIMEOUT,
  );

  it(
    'random JSON values as whole documents never throw',
    () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          checkPipeline(value, false);
          checkPipeline(JSON.stringify(value) ?? '', false);
        }),
        runs(200),
      );
    },
    TIMEOUT,
  );

  it(
    'a random part of a valid document replaced by a random JSON value never throws',
    () => {
      /** Every [container, key] in a JSON value, depth first. */
      const slots = (v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) => {
        if (Array.isArray(v))
          v.forEach((x, i) => {
            out.push([v, i]);
            slots(x, out);
          });
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            out.push([v as Record<string, unknown>, k]);
            slots(x, out);
          }
        return out;
      };
      fc.assert(
        fc.property(
          baseArb,
          fc.nat(),
          fc.jsonValue({ maxDepth: 2 }),
          fc.boolean(),
          (base, pick, value, drop) => {
            const raw = structuredClone(base) as unknown;
            const all = slots(raw);
            const [holder, key] = all[pick % all.length];
            if (drop && !Array.isArray(holder)) delete (holder as Record<string, unknown>)[key as string];
            else (holder as Record<string | number, unknown>)[key] = value;
            checkPipeline(JSON.stringify(raw));
          },
        ),
        runs(150),
      );
    },
    TIMEOUT,
  );

  it('ids and refs named like Object.prototype members are ordinary names', () => {
    // Regression: `nodes[id]` on a plain object found Object.prototype.constructor (a false duplicate id),
    // and a Group ref "toString" made the analysis throw a TypeError.
    const raw = fixtureRaw();
    raw.nodes[1].id = 'constructor';
    for (const e of raw.edges)
      for (const end of ['source', 'target'] as const) if (e[end] === 'stem') e[end] = 'constructor';
    expect(checkPipeline(JSON.stringify(raw))).toEqual([]);

    const group = fixtureRaw();
    group.nodes[2] = { id: 'stage1', type: 'Group', params: { ref: 'toString' } };
    const issues = checkPipeline(JSON.stringify(group)) ?? [];
    expect(issues.map((i) => [i.where, i.message])).toEqual([
      [
        { kind: 'node', id: 'stage1', param: 'ref' },
        expect.stringMatching(/refers to group "toString", which this document does not define/),
      ],
    ]);

    const param = fixtureRaw();
    Object.assign(param.nodes[1].params, { toString: 1 });
    expect((checkPipeline(JSON.stringify(param), false) ?? []).map((i) => i.message)).toEqual([
      'Conv Stem has no param "toString"',
    ]);
  });
});
