import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBlock } from '../../blocks/index';
import { initNodeBackend } from '../backend/node';
import { formatIssue } from '../document/schema';
import { analyzeDocument } from '../graph/analyze';
import { compileDocument } from '../graph/compile';
import { chain, mustLoad } from '../../tests/unit/helpers';
import { CodeError, evaluateCode, registerNotebookCode } from './code-block';
import type { CodeRegistration } from './code-block';

const SILU = `import * as tf from '@tensorflow/tfjs';
import { defineCodeBlock } from 'heracles';

/** x · sigmoid(x), per value. */
export default defineCodeBlock({
  type: 'SiluGate',
  displayName: 'SiLU gate',
  inferShape: ([x]: number[][]) => x,
  forward: ([x]: tf.Tensor[]) => tf.mul(x, tf.sigmoid(x)),
});
`;

/** A small classifier with a SiluGate between two Dense layers, plus the code cell that defines it. */
function notebook(source = SILU) {
  const base = chain(
    [
      { id: 'input', type: 'Input', params: { shape: [4, 8] } },
      { id: 'fc1', type: 'Dense', params: { units: 6 } },
      { id: 'gate', type: 'SiluGate' },
      { id: 'flat', type: 'Flatten' },
      { id: 'fc2', type: 'Dense', params: { units: 3 } },
      { id: 'output', type: 'Output' },
    ],
    { kind: 'classification', inputShape: [4, 8], classes: 3 },
  );
  return mustLoad({
    ...base,
    cells: [...base.cells, { id: 'gate-code', kind: 'code', source, blockType: 'SiluGate' }],
  });
}

/** The (first) tfjs layer of a node: layer names are node paths. */
const layerOf = (model: tf.LayersModel, node: string) =>
  model.layers.find((l) => l.name === node || l.name.startsWith(`${node}/`)) as tf.layers.Layer;

let reg: CodeRegistration | undefined;
afterEach(() => reg?.dispose());
beforeAll(() => initNodeBackend('wasm'));

describe('code blocks', () => {
  it('an untrusted notebook runs no code, and the graph says why the block is missing', () => {
    const doc = notebook();
    reg = registerNotebookCode(doc, { trusted: false });
    expect(reg.blocks).toEqual([]);
    expect(getBlock('SiluGate')).toBeUndefined();
    const issues = analyzeDocument(doc).issues.map(formatIssue);
    expect(issues.join('\n')).toMatch(
      /gate: block type "SiluGate" is defined by code cell "gate-code", which has not run/,
    );
  });

  it('a trusted notebook registers its block, which compiles, trains and computes x·sigmoid(x)', async () => {
    const doc = notebook();
    reg = registerNotebookCode(doc, { trusted: true });
    expect(reg.errors).toEqual([]);
    expect(reg.blocks).toEqual(['SiluGate']);
    expect(analyzeDocument(doc).issues).toEqual([]);
    const { model } = compileDocument(doc);
    const gate = layerOf(model, 'gate');
    const x = tf.tensor3d([[[-2, -0.5, 0, 0.5, 2, 4]]]);
    const y = gate.apply(x) as tf.Tensor;
    const want = [-2, -0.5, 0, 0.5, 2, 4].map((v) => v / (1 + Math.exp(-v)));
    const err = Math.max(...Array.from(await y.data()).map((v, i) => Math.abs(v - want[i])));
    expect(err).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    // Gradients flow through the user's function: one SGD step changes fc1's kernel.
    const before = layerOf(model, 'fc1').getWeights()[0].dataSync().slice();
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const xs = tf.randomNormal([16, 4, 8], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, verbose: 0 });
    const after = layerOf(model, 'fc1').getWeights()[0].dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('names the cell and the line of broken code, and refuses built-in names', () => {
    expect(() => evaluateCode('c1', 'export default {')).toThrow(/code cell "c1", line 1: does not parse/);
    expect(() => evaluateCode('c1', "import fs from 'fs'; fs.readFileSync('/etc/passwd');")).toThrow(
      /cannot import "fs"/,
    );
    expect(() => evaluateCode('c1', 'export const x = 1;')).toThrow(/exports no block/);
    expect(() =>
      evaluateCode('c1', "export default { type: 'lower', inferShape() {}, forward() {} };"),
    ).toThrow(/PascalCase/);
    expect(() => evaluateCode('c1', 'throw new Error("boom")')).toThrow(CodeError);
    reg = registerNotebookCode(notebook(SILU.replace("'SiluGate'", "'Dense'")), { trusted: true });
    expect(reg.blocks).toEqual([]);
    expect(reg.errors[0].message).toMatch(/"Dense" is a built-in block/);
    expect(getBlock('Dense')?.category).toBe('layer');
  });

  it('a bad inferShape becomes a node issue, not a crash', () => {
    reg = registerNotebookCode(notebook(SILU.replace('=> x,', '=> [0, -1],')), { trusted: true });
    const issues = analyzeDocument(notebook()).issues.map(formatIssue).join('\n');
    expect(issues).toMatch(/gate: inferShape returned \[0,-1\], expected a list of positive integers/);
  });

  it('dispose removes the blocks it added', () => {
    reg = registerNotebookCode(notebook(), { trusted: true });
    expect(getBlock('SiluGate')).toBeDefined();
    reg.dispose();
    expect(getBlock('SiluGate')).toBeUndefined();
  });
});
