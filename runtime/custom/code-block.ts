/**
 * Code blocks: a notebook code cell, written in TypeScript, defines a block whose forward pass is a tfjs
 * function. The cell's source is transpiled (sucrase: types and imports stripped, nothing else) and run
 * only when the user has trusted the notebook; the result becomes a block in the registry like any other.
 *
 *   import * as tf from '@tensorflow/tfjs';
 *   import { defineCodeBlock } from 'heracles';
 *
 *   export default defineCodeBlock({
 *     type: 'SiluGate',
 *     displayName: 'SiLU gate',
 *     summary: 'x · sigmoid(x) on every value',
 *     inferShape: ([x]) => x,
 *     forward: ([x]) => tf.mul(x, tf.sigmoid(x)),
 *   });
 *
 * Code blocks have no weights (use the built-in blocks around them) and no ONNX/PyTorch translation: the
 * exporters name them and say so.
 */
import * as tf from '@tensorflow/tfjs';
import { transform } from 'sucrase';
import { BlockError, defineBlock, isBuiltinBlock, registerBlock, unregisterBlock } from '../../blocks/index';
import type { BlockDef, Shape } from '../../blocks/types';
import type { HeraclesDocument } from '../document/schema';
import { CodeLayer, deleteCodeForward, setCodeForward } from '../layers/code-layer';

export interface CodeBlockSpec {
  type: string;
  displayName?: string;
  summary?: string;
  docs?: string;
  /** Output shape (no batch axis) from the input shapes; throw an Error to say why they do not fit. */
  inferShape(inputs: Shape[]): Shape;
  /** The forward pass on batched tensors; `training` is true while training. */
  forward(inputs: tf.Tensor[], training: boolean): tf.Tensor;
}

/** A problem in a code cell, naming the cell and (when known) the line. */
export class CodeError extends Error {
  constructor(
    readonly cell: string,
    message: string,
    readonly line?: number,
  ) {
    super(`code cell "${cell}"${line ? `, line ${line}` : ''}: ${message}`);
    this.name = 'CodeError';
  }
}

/** TypeScript → CommonJS JavaScript (types and imports only; no type checking). */
export function transpileCode(cell: string, source: string): string {
  try {
    return transform(source, { transforms: ['typescript', 'imports'], production: true }).code;
  } catch (e) {
    const m = /\((\d+):(\d+)\)/.exec(String((e as Error).message));
    throw new CodeError(cell, `does not parse: ${(e as Error).message}`, m ? Number(m[1]) : undefined);
  }
}

const MODULES: Record<string, unknown> = {
  '@tensorflow/tfjs': tf,
  heracles: { defineCodeBlock: (spec: CodeBlockSpec) => spec },
};

/** Runs a cell's code and returns the block spec it exports. Only call this for trusted notebooks. */
export function evaluateCode(cell: string, source: string): CodeBlockSpec {
  const js = transpileCode(cell, source);
  const module: { exports: Record<string, unknown> } = { exports: {} };
  const require = (name: string) => {
    if (!(name in MODULES))
      throw new CodeError(cell, `cannot import "${name}" (available: ${Object.keys(MODULES).join(', ')})`);
    return MODULES[name];
  };
  try {
    new Function('module', 'exports', 'require', js)(module, module.exports, require);
  } catch (e) {
    if (e instanceof CodeError) throw e;
    throw new CodeError(cell, `failed while running: ${(e as Error).message}`);
  }
  const spec = (module.exports.default ?? module.exports.block) as Partial<CodeBlockSpec> | undefined;
  if (!spec || typeof spec !== 'object')
    throw new CodeError(cell, 'exports no block (end with `export default defineCodeBlock({ ... })`)');
  if (typeof spec.type !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(spec.type))
    throw new CodeError(cell, `the block needs a PascalCase "type", got ${JSON.stringify(spec.type)}`);
  for (const fn of ['inferShape', 'forward'] as const)
    if (typeof spec[fn] !== 'function') throw new CodeError(cell, `the block needs a "${fn}" function`);
  return spec as CodeBlockSpec;
}

/** The block a spec defines: one input (several edges allowed), one output, no weights. */
export function codeBlock(cell: string, spec: CodeBlockSpec): BlockDef {
  const inferShape = (inputs: Shape[]): Shape => {
    let out: unknown;
    try {
      out = spec.inferShape(inputs);
    } catch (e) {
      throw new BlockError((e as Error).message, `see code cell "${cell}"`);
    }
    if (!Array.isArray(out) || out.some((d) => !Number.isInteger(d) || d < 1))
      throw new BlockError(
        `inferShape returned ${JSON.stringify(out)}, expected a list of positive integers`,
        `fix code cell "${cell}"`,
      );
    return out as Shape;
  };
  return defineBlock({
    type: spec.type,
    displayName: spec.displayName ?? spec.type,
    category: 'layer',
    summary: spec.summary ?? `Custom code from cell "${cell}".`,
    docs: spec.docs ?? `Defined by the notebook's code cell "${cell}".`,
    version: 1,
    inputs: [{ name: 'in', kind: 'any' }],
    variadicInput: true,
    outputs: [{ name: 'out', kind: 'any' }],
    params: {},
    inferShape: (inputs) => [inferShape(inputs)],
    cost: () => ({ params: 0, macs: 0 }),
    build: (_p, ctx) => (xs) => [
      new CodeLayer({ name: ctx.name, blockType: spec.type }).apply(xs) as tf.SymbolicTensor,
    ],
  }) as unknown as BlockDef;
}

export interface CodeRegistration {
  /** Block types now registered from this notebook. */
  blocks: string[];
  errors: CodeError[];
  /** Removes what this registration added. */
  dispose(): void;
}

/**
 * Registers the blocks a notebook's code cells define. Untrusted notebooks register nothing: their code is
 * never run. A block type that a built-in block already uses is refused.
 */
export function registerNotebookCode(doc: HeraclesDocument, opts: { trusted: boolean }): CodeRegistration {
  const blocks: string[] = [];
  const errors: CodeError[] = [];
  const dispose = () => {
    for (const t of blocks) {
      unregisterBlock(t);
      deleteCodeForward(t);
    }
  };
  if (!opts.trusted) return { blocks, errors, dispose };
  for (const cell of doc.cells) {
    if (cell.kind !== 'code') continue;
    try {
      const spec = evaluateCode(cell.id, cell.source);
      if (isBuiltinBlock(spec.type))
        throw new CodeError(cell.id, `"${spec.type}" is a built-in block; choose another type name`);
      if (blocks.includes(spec.type))
        throw new CodeError(cell.id, `another code cell already defines "${spec.type}"`);
      setCodeForward(spec.type, { forward: spec.forward, inferShape: (s) => spec.inferShape(s) });
      registerBlock(codeBlock(cell.id, spec));
      blocks.push(spec.type);
    } catch (e) {
      errors.push(e instanceof CodeError ? e : new CodeError(cell.id, (e as Error).message));
    }
  }
  return { blocks, errors, dispose };
}
