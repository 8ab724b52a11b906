/**
 * The exported weights: one float32 little-endian blob (`weights.bin`) and its index (`weights.json`),
 * already in PyTorch layouts, so model.py only copies bytes into the state dict.
 */

/** One entry of weights.json. */
export interface WeightEntry {
  /** The tfjs weight (`stage1/b0/ffn/fc1/kernel`), so a file can be traced back to the studio. */
  name: string;
  /** The PyTorch state-dict key (`stage1.b0.ffn.fc1.weight`). */
  key: string;
  /** PyTorch shape. */
  shape: number[];
  /** Byte offset of the first value in weights.bin. */
  offset: number;
}

export interface WeightIndex {
  format: 'heracles-pytorch-weights';
  version: 1;
  dtype: 'float32';
  byteOrder: 'little';
  file: 'weights.bin';
  weights: WeightEntry[];
}

/** Reorders the axes of a row-major array: result axis i is source axis perm[i]. */
export function permuteArray(
  values: Float32Array,
  shape: number[],
  perm: number[],
): { values: Float32Array; shape: number[] } {
  if (perm.length !== shape.length || [...perm].sort().some((p, i) => p !== i))
    throw new Error(`axis order [${perm.join(', ')}] does not fit shape [${shape.join(', ')}]`);
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= shape[i];
  }
  // Stride in the source for each output axis, then walk the output in order with an odometer.
  const strides = perm.map((p) => srcStrides[p]);
  const out = new Float32Array(values.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = values[src];
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      src += strides[a];
      if (idx[a] < outShape[a]) break;
      src -= strides[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return { values: out, shape: outShape };
}

/** weights.json text: the header on one line, then one weight per line (readable, diff-friendly). */
export function weightIndexJson(index: WeightIndex): string {
  const { weights, ...header } = index;
  const head = JSON.stringify(header).slice(0, -1);
  return `${head},"weights":[\n${weights.map((w) => `  ${JSON.stringify(w)}`).join(',\n')}\n]}\n`;
}

/** Concatenates the arrays into weights.bin (little-endian) and writes their index. */
export function packWeights(list: { name: string; key: string; shape: number[]; values: Float32Array }[]): {
  bin: Uint8Array;
  index: WeightIndex;
} {
  const total = list.reduce((n, w) => n + w.values.length, 0);
  const bin = new Uint8Array(total * 4);
  const view = new DataView(bin.buffer);
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const w of list) {
    weights.push({ name: w.name, key: w.key, shape: w.shape, offset });
    for (let i = 0; i < w.values.length; i++) view.setFloat32(offset + 4 * i, w.values[i], true);
    offset += 4 * w.values.length;
  }
  return {
    bin,
    index: {
      format: 'heracles-pytorch-weights',
      version: 1,
      dtype: 'float32',
      byteOrder: 'little',
      file: 'weights.bin',
      weights,
    },
  };
}
