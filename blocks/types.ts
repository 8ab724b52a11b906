/**
 * What a block is. One file in `blocks/` exports one `BlockDef`; the registry in `blocks/index.ts`
 * lists them. Everything the studio, the CLI, the compiler and the exporters know about a block type
 * comes from here, so adding a block is one file plus one registry line.
 *
 * Shapes never include the batch axis. The rank tells the tensor's kind:
 *   rank 3 `[H, W, C]`  image tokens (a feature map, channels last)
 *   rank 2 `[L, C]`     a sequence (time steps or tokens × channels)
 *   rank 1 `[C]`        a vector (pooled features, logits)
 */
import type * as tf from '@tensorflow/tfjs';

export type Shape = number[];

/** What a port accepts or produces. `any` accepts every kind; `same` (outputs only) = kind of input 0. */
export type PortKind = 'image' | 'sequence' | 'vector' | 'any';

export interface PortSpec {
  /** Handle id used by edges (`sourceHandle` / `targetHandle`). */
  name: string;
  kind: PortKind | 'same';
  /** Axis meaning shown to users, e.g. `[H, W, C]`. */
  axes?: string;
  doc?: string;
}

export type BlockCategory =
  | 'io'
  | 'embedding'
  | 'mixer'
  | 'attention'
  | 'normalization'
  | 'layer'
  | 'regularization'
  | 'shape'
  | 'merge'
  | 'head'
  | 'composite';

interface ParamBase {
  /** Label in the inspector. */
  label: string;
  /** One sentence for non-experts, shown as help text. */
  help: string;
}
export interface IntParam extends ParamBase {
  kind: 'int';
  default: number;
  min?: number;
  max?: number;
}
export interface FloatParam extends ParamBase {
  kind: 'float';
  default: number;
  min?: number;
  max?: number;
}
export interface BoolParam extends ParamBase {
  kind: 'bool';
  default: boolean;
}
export interface EnumParam extends ParamBase {
  kind: 'enum';
  default: string;
  options: readonly string[];
}
/** A list of integers, e.g. a shape or per-stage values. */
export interface IntListParam extends ParamBase {
  kind: 'ints';
  default: number[];
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
}
export interface StringParam extends ParamBase {
  kind: 'string';
  default: string;
}
export type ParamSpec = IntParam | FloatParam | BoolParam | EnumParam | IntListParam | StringParam;

export type ParamValue = number | boolean | string | number[];
export type ParamValues = Record<string, ParamValue>;
export type ParamSpecs = Record<string, ParamSpec>;

/** The value type of one param spec: int/float → number, bool → boolean, enum/string → string, ints → number[]. */
export type ValueOf<S extends ParamSpec> = S extends IntParam | FloatParam
  ? number
  : S extends BoolParam
    ? boolean
    : S extends IntListParam
      ? number[]
      : string;
/** Params as a block's functions receive them, typed from its spec (defaults already filled in). */
export type ValuesOf<S extends ParamSpecs> = { [K in keyof S]: ValueOf<S[K]> };

export interface Cost {
  /** Trainable parameters (what PyTorch's `sum(p.numel())` counts). */
  params: number;
  /** Multiply-accumulates of one forward pass for one sample. */
  macs: number;
}

/** Thrown by `inferShape` / `checkParams`: a plain-language message and a hint to fix it. */
export class BlockError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    /** Name of the offending param, if one is to blame. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'BlockError';
  }
}

export interface BuildContext {
  /** Unique, stable name prefix for the layers of this node (its node id, path-qualified in composites). */
  name: string;
  /** Shapes of the node's inputs (no batch axis), as inferred. */
  inputShapes: Shape[];
  /** Seed for initialisers, derived from the document seed and the node id. */
  seed?: number;
}

/** A graph inside a composite block: same node/edge form as the document. */
export interface SubGraph {
  nodes: { id: string; type: string; params: ParamValues; label?: string }[];
  edges: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
  /** Which inner node port each composite input feeds: `inputs[i] = [{node, handle}, ...]`. */
  inputs: { node: string; handle: string }[][];
  /** Which inner node port produces each composite output. */
  outputs: { node: string; handle: string }[];
}

export interface BlockDef<S extends ParamSpecs = ParamSpecs, P = ValuesOf<S>> {
  /** Stable type id stored in documents, e.g. `HartleySSM`. */
  type: string;
  /** Name shown in the palette, e.g. "Hartley SSM". */
  displayName: string;
  category: BlockCategory;
  /** One line for the palette. */
  summary: string;
  /** Longer text for non-experts: what it does, when to use it. Markdown. */
  docs: string;
  /** Version of the params schema; `migrations[v]` upgrades params from version v to v + 1. */
  version: number;
  migrations?: Record<number, (params: ParamValues) => ParamValues>;
  inputs: PortSpec[];
  /** When true the single input port accepts several edges (Add, Concat). */
  variadicInput?: boolean;
  outputs: PortSpec[];
  params: S;
  /** Cross-field checks beyond what the param specs express; throw `BlockError`. */
  checkParams?(params: P): void;
  /** Output shapes from input shapes; throw `BlockError` with a fix hint when they do not fit. */
  inferShape(inputs: Shape[], params: P): Shape[];
  cost(inputs: Shape[], params: P): Cost;
  /** Applies the block's tfjs layers to symbolic inputs (functional API). Composites omit this. */
  build?(params: P, ctx: BuildContext): (inputs: tf.SymbolicTensor[]) => tf.SymbolicTensor[];
  /** Composites: the inner graph for these params and input shapes. */
  expand?(params: P, inputs: Shape[]): SubGraph;
}

/** Helper so each block file gets its params typed from its own spec. */
export function defineBlock<const S extends ParamSpecs>(def: BlockDef<S>): BlockDef<S> {
  return def;
}

export const kindOfShape = (shape: Shape): PortKind =>
  shape.length === 3 ? 'image' : shape.length === 2 ? 'sequence' : shape.length === 1 ? 'vector' : 'any';

export const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
