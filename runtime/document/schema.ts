/**
 * The `*.heracles.json` document: schema (valibot), types and the error format.
 *
 * The schema checks the document's *form* (types, required fields, ranges that do not depend on the
 * block). What depends on the block — param names, ranges, ports, shapes — is checked by
 * `runtime/graph/analyze.ts` against the block registry.
 */
import * as v from 'valibot';
import { CellsSchema, defaultCells } from './cells';

/** 1: a graph. 2: a notebook — ordered cells around the graph (`cells.ts`). */
export const CURRENT_SCHEMA_VERSION = 2;

const Id = v.pipe(
  v.string('an id must be a string'),
  v.minLength(1, 'an id must not be empty'),
  v.maxLength(200, 'an id must be at most 200 characters'),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'an id starts with a letter or digit and uses only letters, digits and _ . -',
  ),
);
const PositiveInt = v.pipe(v.number(), v.integer('expected an integer'), v.minValue(1, 'expected ≥ 1'));
const NonNegInt = v.pipe(v.number(), v.integer('expected an integer'), v.minValue(0, 'expected ≥ 0'));

const ParamValue = v.union(
  [v.pipe(v.number(), v.finite('expected a finite number')), v.boolean(), v.string(), v.array(v.number())],
  'expected a number, boolean, string or list of numbers',
);

export const NodeSchema = v.object({
  id: Id,
  type: v.pipe(v.string('expected the block type as a string'), v.minLength(1)),
  params: v.optional(v.record(v.string(), ParamValue), {}),
  position: v.optional(v.object({ x: v.number(), y: v.number() }), { x: 0, y: 0 }),
  label: v.optional(v.string()),
});

export const EdgeSchema = v.object({
  id: Id,
  source: Id,
  sourceHandle: v.optional(v.string(), 'out'),
  target: Id,
  targetHandle: v.optional(v.string(), 'in'),
});

const PortRef = v.object({ node: Id, handle: v.string() });

/** A user-defined group: an inner graph used by `Group` nodes (`params.ref`), optionally repeated. */
export const CompositeSchema = v.object({
  label: v.optional(v.string()),
  description: v.optional(v.string()),
  nodes: v.array(NodeSchema),
  edges: v.array(EdgeSchema),
  /** inputs[i]: the inner ports fed by the group's i-th input. */
  inputs: v.array(v.array(PortRef)),
  /** outputs[i]: the inner port that produces the group's i-th output. */
  outputs: v.array(PortRef),
});

export const ClassificationTask = v.object({
  kind: v.literal('classification'),
  inputShape: v.pipe(v.array(PositiveInt), v.minLength(1), v.maxLength(3)),
  classes: v.pipe(PositiveInt, v.minValue(2, 'a classifier needs at least 2 classes')),
  classNames: v.optional(v.array(v.string())),
});

export const ForecastingTask = v.object({
  kind: v.literal('forecasting'),
  lookback: PositiveInt,
  horizon: PositiveInt,
  /** Number of series; null = take it from the data. */
  channels: v.optional(v.nullable(PositiveInt), null),
  target: v.optional(v.string()),
});

export const TaskSchema = v.variant(
  'kind',
  [ClassificationTask, ForecastingTask],
  'task.kind must be "classification" or "forecasting"',
);

export const TrainingSchema = v.object({
  optimizer: v.optional(v.picklist(['adamw', 'adam', 'sgd']), 'adamw'),
  learningRate: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(10)), 1e-3),
  weightDecay: v.optional(v.pipe(v.number(), v.minValue(0)), 0.05),
  momentum: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.9),
  epochs: v.optional(PositiveInt, 10),
  batchSize: v.optional(PositiveInt, 64),
  schedule: v.optional(v.picklist(['cosine', 'constant']), 'cosine'),
  warmupEpochs: v.optional(v.pipe(v.number(), v.minValue(0)), 0),
  labelSmoothing: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(0.5)), 0),
  gradClip: v.optional(v.pipe(v.number(), v.minValue(0)), 0),
  earlyStoppingPatience: v.optional(NonNegInt, 0),
  seed: v.optional(NonNegInt, 0),
});

export const MetadataSchema = v.object({
  name: v.pipe(v.string(), v.minLength(1, 'the document needs a name')),
  description: v.optional(v.string()),
  author: v.optional(v.string()),
  created: v.optional(v.string()),
  tags: v.optional(v.array(v.string())),
});

export const DocumentSchema = v.object({
  schemaVersion: v.literal(CURRENT_SCHEMA_VERSION),
  metadata: MetadataSchema,
  task: TaskSchema,
  training: v.optional(TrainingSchema, {}),
  nodes: v.array(NodeSchema),
  edges: v.array(EdgeSchema),
  composites: v.optional(v.record(Id, CompositeSchema), {}),
  /** The notebook around the graph; a document without cells gets the default ones. */
  cells: v.optional(CellsSchema, () => defaultCells()),
});

export type HeraclesDocument = v.InferOutput<typeof DocumentSchema>;
export type DocNode = v.InferOutput<typeof NodeSchema>;
export type DocEdge = v.InferOutput<typeof EdgeSchema>;
export type Composite = v.InferOutput<typeof CompositeSchema>;
export type Task = v.InferOutput<typeof TaskSchema>;
export type Training = v.InferOutput<typeof TrainingSchema>;

/**
 * One problem with a document. `where` pins it: a JSON path for form errors, a node or edge id for
 * graph errors. Every message says what was expected; `hint` says how to fix it.
 */
export interface DocumentIssue {
  where:
    | { kind: 'path'; path: string }
    | { kind: 'node'; id: string; param?: string }
    | { kind: 'edge'; id: string };
  code: string;
  message: string;
  hint?: string;
  /** For problems inside a composite: the inner node path (`b0.mixer`) and the inner message. */
  inner?: { path: string; message: string };
}

/** `<node-or-edge id or JSON path>: <message>` — the one-line form the CLI prints. */
export function formatIssue(issue: DocumentIssue): string {
  const at =
    issue.where.kind === 'path'
      ? issue.where.path || '(document)'
      : issue.where.kind === 'node' && issue.where.param
        ? `${issue.where.id}`
        : issue.where.id;
  return `${at}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

/** Converts valibot issues into path-pinned document issues. */
export function schemaIssues(issues: readonly v.BaseIssue<unknown>[]): DocumentIssue[] {
  return issues.map((issue) => {
    const path = jsonPath(issue);
    const got = describeValue(issue.input);
    const expected = issue.expected ? `expected ${issue.expected}` : '';
    const msg = issue.message.startsWith('Invalid')
      ? `${expected || 'invalid value'}, got ${got}`
      : `${issue.message}${issue.kind === 'validation' || !issue.expected ? '' : ''}, got ${got}`;
    return { where: { kind: 'path', path }, code: 'schema', message: msg };
  });
}

function jsonPath(issue: v.BaseIssue<unknown>): string {
  let out = '$';
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return out;
}

function describeValue(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `a list of ${x.length}`;
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x);
  return String(x);
}
