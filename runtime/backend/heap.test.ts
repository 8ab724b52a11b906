import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { copyInto, heapView, setVariable } from './heap';
import { initNodeBackend, type NodeBackend } from './node';

describe.each<NodeBackend>(['wasm', 'cpu'])('weights in and out of the backend on %s', (backend) => {
  it('setVariable takes new values, also for a conv filter wasm has already packed', async () => {
    await initNodeBackend(backend);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 1, 'float32', 2)) as tf.Variable<tf.Rank.R4>;
    const conv = () => tf.conv2d(x, f, 1, 'same');
    conv().dispose(); // the first call packs the filter (and caches it, on wasm)
    const next = Float32Array.from({ length: f.size }, (_, i) => Math.sin(i));
    const before = tf.memory().numTensors;
    setVariable(f, next);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(f.dataSync())).toEqual(Array.from(next));
    const got = conv();
    const want = tf.conv2d(x, tf.tensor4d(next, [3, 3, 3, 8]), 1, 'same');
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    expect(() => setVariable(f, new Float32Array(3))).toThrow(/holds 216 values, got 3/);
    tf.dispose([x, f, got, want]);
  });

  it('copyInto writes a tensor at an offset; heapView is a view only on wasm', async () => {
    await initNodeBackend(backend);
    const t = tf.tensor1d([1, 2, 3]);
    const dst = new Float32Array(6);
    copyInto(t, dst, 2);
    expect(Array.from(dst)).toEqual([0, 0, 1, 2, 3, 0]);
    expect(heapView(t) != null).toBe(backend === 'wasm');
    t.dispose();
  });
});
