import * as tf from '@tensorflow/tfjs';
import { transform } from 'sucrase';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../backend/node';
import { compileDocument } from '../graph/compile';
import * as ourLayers from '../layers/index';
import { preset, randomArray } from '../../tests/unit/helpers';
import { factoryName, tfjsCode } from './tfjs-code';

beforeAll(() => initNodeBackend('wasm'));

/** Runs generated code the way a user would (TypeScript stripped), with our layers as `./heracles-layers.js`. */
function run(code: string): tf.LayersModel {
  const js = transform(code, { transforms: ['typescript', 'imports'] }).code;
  const module: { exports: { buildModel?: () => tf.LayersModel } } = { exports: {} };
  const modules: Record<string, unknown> = { '@tensorflow/tfjs': tf, './heracles-layers.js': ourLayers };
  new Function('module', 'exports', 'require', js)(module, module.exports, (n: string) => modules[n]);
  return (module.exports.buildModel as () => tf.LayersModel)();
}

describe('generated tfjs code', () => {
  it('maps class names to tfjs factories', () => {
    expect(factoryName('Conv2D')).toBe('conv2d');
    expect(factoryName('ZeroPadding2D')).toBe('zeroPadding2d');
    expect(factoryName('ReLU')).toBe('reLU');
    expect(factoryName('Dense')).toBe('dense');
  });

  for (const name of ['heracles-tiny', 'heracles-ts']) {
    it(`${name}: the code rebuilds the same model (same layers, and with the same weights the same outputs)`, async () => {
      const { model } = compileDocument(preset(name));
      const code = tfjsCode(model, name);
      expect(code).toMatch(/new heracles\.\w+\(/);
      const rebuilt = run(code);
      expect(rebuilt.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(rebuilt.countParams()).toBe(model.countParams());
      rebuilt.setWeights(model.getWeights());
      const shape = model.inputs[0].shape.slice(1) as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(randomArray(2 * size, 5), [2, ...shape]);
      const a = model.predict(x) as tf.Tensor;
      const b = rebuilt.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      tf.dispose([x, a, b]);
      model.dispose();
      rebuilt.dispose();
    });
  }
});
