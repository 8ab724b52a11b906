/**
 * ONNX spellings of the tensor functions in `runtime/layers/ops.ts`, op for op, so the exported graph
 * computes what tfjs computes (same order of operations where it matters for float32 round-off).
 * Tensors are channels-last, batch first; the batch is symbolic, so reshapes copy it with `0` or infer
 * it with `-1`.
 */
import type { OnnxBuilder } from './builder';

/** `x @ kernel + bias` over the last axis (MatMul broadcasts over the leading axes). */
export function linear(b: OnnxBuilder, x: string, kernel: string, bias?: string): string {
  const y = b.op1('MatMul', [x, kernel]);
  return bias ? b.op1('Add', [y, bias]) : y;
}

/** LayerNorm over the last axis: tfjs `moments` (mean, then mean of squared deviations), then scale. */
export function layerNorm(b: OnnxBuilder, x: string, gamma: string, beta: string, epsilon: number): string {
  const mean = b.reduce('ReduceMean', x, [-1], true);
  const d = b.op1('Sub', [x, mean]);
  const variance = b.reduce('ReduceMean', b.op1('Mul', [d, d]), [-1], true);
  const inv = b.op1('Reciprocal', [b.op1('Sqrt', [b.op1('Add', [variance, b.scalar(epsilon)])])]);
  return b.op1('Add', [b.op1('Mul', [b.op1('Mul', [d, inv]), gamma]), beta]);
}

/** Exact GELU as tfjs computes it: x · 0.5 · (1 + erf(x / √2)). */
export function gelu(b: OnnxBuilder, x: string): string {
  const e = b.op1('Erf', [b.op1('Div', [x, b.scalar(Math.SQRT2)])]);
  return b.op1('Mul', [x, b.op1('Mul', [b.scalar(0.5), b.op1('Add', [b.scalar(1), e])])]);
}

/**
 * Multi-head attention of `q` `[B,Nq,C]` over `k`, `v` `[B,N,C]` (as `attend` in runtime/layers/ops.ts):
 * heads split as `[B, heads, N, d]`, queries scaled by 1/√d, softmax over keys, heads merged back.
 */
export function attend(b: OnnxBuilder, q: string, k: string, v: string, heads: number, c: number): string {
  const d = c / heads;
  const split = (t: string, perm: number[]) => b.transpose(b.reshape(t, [0, 0, heads, d]), perm);
  const qh = b.op1('Mul', [split(q, [0, 2, 1, 3]), b.scalar(1 / Math.sqrt(d))]);
  const scores = b.op1('MatMul', [qh, split(k, [0, 2, 3, 1])]); // k as [B, heads, d, N]
  const attn = b.op1('Softmax', [scores], { axis: -1 });
  const out = b.op1('MatMul', [attn, split(v, [0, 2, 1, 3])]);
  return b.reshape(b.transpose(out, [0, 2, 1, 3]), [0, 0, c]);
}

/** Columns `[from, to)` of a row-major `[rows, cols]` matrix (to split a fused kv kernel into k and v). */
export function columns(
  values: Float32Array,
  rows: number,
  cols: number,
  from: number,
  to: number,
): Float32Array {
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}
