/**
 * CaiT-style class attention, as in the released Heracles head: a class token initialised as the mean
 * of the tokens attends over [cls, tokens] (queries from the class token only), then a class-token FFN:
 *   cls = mean(x);  u = [cls, x]
 *   cls = cls + proj(attn(q(LN₁(u)[0]), kv(LN₁(u))))
 *   cls = cls + fc₂(GELU(fc₁(LN₂(cls))))
 * Output: the class token `[B, C]`.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { attend, gelu, layerNorm, linear } from './ops';

export interface ClassAttentionArgs extends HeraclesLayerArgs {
  heads: number;
  mlpRatio: number;
  epsilon: number;
}

type W =
  | 'n1g'
  | 'n1b'
  | 'q'
  | 'qb'
  | 'kv'
  | 'kvb'
  | 'proj'
  | 'projb'
  | 'n2g'
  | 'n2b'
  | 'fc1'
  | 'fc1b'
  | 'fc2'
  | 'fc2b';

export class ClassAttention extends HeraclesLayer {
  static className = 'HeraclesClassAttention';
  readonly heads: number;
  readonly mlpRatio: number;
  readonly epsilon: number;
  private w = {} as Record<W, tf.LayerVariable>;

  constructor(args: ClassAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.mlpRatio = args.mlpRatio;
    this.epsilon = args.epsilon;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const c = s[s.length - 1];
    const h = Math.round(c * this.mlpRatio);
    this.w = {
      n1g: this.ones('norm1_gamma', [c]),
      n1b: this.zeros('norm1_beta', [c]),
      q: this.linearKernel('q_kernel', [c, c]),
      qb: this.zeros('q_bias', [c]),
      kv: this.linearKernel('kv_kernel', [c, 2 * c]),
      kvb: this.zeros('kv_bias', [2 * c]),
      proj: this.linearKernel('proj_kernel', [c, c]),
      projb: this.zeros('proj_bias', [c]),
      n2g: this.ones('norm2_gamma', [c]),
      n2b: this.zeros('norm2_beta', [c]),
      fc1: this.linearKernel('fc1_kernel', [c, h]),
      fc1b: this.zeros('fc1_bias', [h]),
      fc2: this.linearKernel('fc2_kernel', [h, c]),
      fc2b: this.zeros('fc2_bias', [c]),
    };
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const t = (x.rank === 4 ? tf.reshape(x, [x.shape[0], -1, x.shape[3] as number]) : x) as tf.Tensor3D;
      const c = t.shape[2];
      const r = (k: W) => this.w[k].read();
      let cls: tf.Tensor = tf.mean(t, 1, true); // [B,1,C]
      const u = layerNorm(tf.concat([cls, t], 1), r('n1g'), r('n1b'), this.epsilon);
      const q = linear(tf.slice(u, [0, 0, 0], [-1, 1, -1]), r('q'), r('qb'));
      const [k, v] = tf.split(linear(u, r('kv'), r('kvb')), [c, c], -1);
      cls = tf.add(cls, linear(attend(q, k, v, this.heads), r('proj'), r('projb')));
      const mlp = linear(
        gelu(linear(layerNorm(cls, r('n2g'), r('n2b'), this.epsilon), r('fc1'), r('fc1b'))),
        r('fc2'),
        r('fc2b'),
      );
      return tf.squeeze(tf.add(cls, mlp), [1]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], s[s.length - 1]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, mlpRatio: this.mlpRatio, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(ClassAttention);
