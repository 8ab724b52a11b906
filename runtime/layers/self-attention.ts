/**
 * Multi-head self-attention over all tokens (tfjs-layers exports none). As released: q: Linear(C,C),
 * kv: Linear(C,2C), proj: Linear(C,C), all with bias; no positional embedding, no dropout.
 * Image tokens `[B,H,W,C]` are flattened to `[B,HW,C]` and restored afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { attend, linear } from './ops';

export interface SelfAttentionArgs extends HeraclesLayerArgs {
  heads: number;
  /** Image tokens: attend within each row only (channel-independent series [C, P, D]). */
  rows?: boolean;
}

export class SelfAttention extends HeraclesLayer {
  static className = 'HeraclesSelfAttention';
  readonly heads: number;
  readonly rows: boolean;
  private w: Record<'q' | 'qb' | 'kv' | 'kvb' | 'proj' | 'projb', tf.LayerVariable> = {} as never;

  constructor(args: SelfAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.rows = args.rows ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const c = s[s.length - 1];
    this.w = {
      q: this.linearKernel('q_kernel', [c, c]),
      qb: this.zeros('q_bias', [c]),
      kv: this.linearKernel('kv_kernel', [c, 2 * c]),
      kvb: this.zeros('kv_bias', [2 * c]),
      proj: this.linearKernel('proj_kernel', [c, c]),
      projb: this.zeros('proj_bias', [c]),
    };
    this.built = true;
  }

  /** Attention weights `[B, heads, N, N]` for the inside view. */
  attentionMaps(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const t = tokens(x, this.rows);
      const c = t.shape[2];
      const d = c / this.heads;
      const q = linear(t, this.w.q.read(), this.w.qb.read());
      const kv = linear(t, this.w.kv.read(), this.w.kvb.read());
      const k = tf.slice(kv, [0, 0, 0], [-1, -1, c]);
      const split = (z: tf.Tensor) =>
        tf.transpose(tf.reshape(z, [t.shape[0], t.shape[1], this.heads, d]), [0, 2, 1, 3]);
      return tf.softmax(tf.matMul(tf.mul(split(q), 1 / Math.sqrt(d)), split(k), false, true));
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const t = tokens(x, this.rows);
      const c = t.shape[2];
      const q = linear(t, this.w.q.read(), this.w.qb.read());
      const kv = linear(t, this.w.kv.read(), this.w.kvb.read());
      const [k, v] = tf.split(kv, [c, c], -1);
      const out = linear(attend(q, k, v, this.heads), this.w.proj.read(), this.w.projb.read());
      return tf.reshape(out, x.shape);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, rows: this.rows };
  }
}
tf.serialization.registerClass(SelfAttention);

/** `[B,H,W,C]` or `[B,N,C]` → `[B,N,C]`; with `rows`, `[B,H,W,C]` → `[B·H, W, C]` (each row attends alone). */
const tokens = (x: tf.Tensor, rows = false): tf.Tensor3D =>
  (x.rank === 4
    ? rows
      ? tf.reshape(x, [-1, x.shape[2] as number, x.shape[3] as number])
      : tf.reshape(x, [x.shape[0], -1, x.shape[3] as number])
    : x) as tf.Tensor3D;
