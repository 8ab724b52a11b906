/**
 * Reading and writing float32 tensors where the wasm backend keeps them, for the gradient helpers
 * (`runtime/train/helpers`), which move every weight and gradient between threads each step: on wasm a
 * tensor's data is a range of the module's memory, so it can be copied straight to or from shared memory
 * instead of through `data()` (a copy of its own) and `tf.tensor()` of a copied array.
 * Other backends take the ordinary route.
 */
import * as tf from '@tensorflow/tfjs';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const wasmBackend = (): HeapBackend | null =>
  tf.getBackend() === 'wasm' ? (tf.backend() as unknown as HeapBackend) : null;

/**
 * A view of float32 `t`'s data in wasm memory, or null on other backends. The view is only valid until
 * the backend allocates again (a growing memory detaches it): copy from it at once.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  const be = wasmBackend();
  return be && t.dtype === 'float32' ? (be.typedArrayFromHeap(t) as Float32Array) : null;
}

/**
 * Sets variable `v` to `values` (v.size floats). On wasm the values are copied once, into a new buffer
 * (never into the old one: wasm's XNNPACK kernels cache packed weights by buffer).
 */
export function setVariable(v: tf.Variable, values: Float32Array): void {
  if (values.length !== v.size)
    throw new Error(`setVariable: ${v.name} holds ${v.size} values, got ${values.length}.`);
  const be = wasmBackend();
  if (be && v.dtype === 'float32') {
    const info = be.makeOutput(v.shape, 'float32');
    be.typedArrayFromHeap(info).set(values);
    const t = tf.engine().makeTensorFromTensorInfo(info);
    v.assign(t);
    t.dispose();
    return;
  }
  // A copy: the cpu backend keeps the array it is given, and `values` may be reused by the caller.
  tf.tidy(() => v.assign(tf.tensor(values.slice(), v.shape, 'float32')));
}

/** Copies float32 `t`'s values into `dst` at `offset`: straight from wasm memory there, else via dataSync. */
export function copyInto(t: tf.Tensor, dst: Float32Array, offset: number): void {
  dst.set(heapView(t) ?? (t.dataSync() as Float32Array), offset);
}
