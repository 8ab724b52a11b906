/**
 * BatchNorm over the channel (last) axis. Ours rather than tfjs's for two reasons: tfjs tiles its statistics
 * (a slow gradient on wasm, see layer-norm.ts), and a frozen layer (`trainable = false`, e.g. a frozen
 * backbone stage) must stay fixed — it normalises with its running statistics and does not update them,
 * as Keras does.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';

export interface BatchNormArgs extends HeraclesLayerArgs {
  epsilon: number;
  /** Weight of the old running value in each update (PyTorch's momentum 0.1 = 0.9 here). */
  momentum: number;
}

export class BatchNorm extends HeraclesLayer {
  static className = 'HeraclesBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(args: BatchNormArgs) {
    super(args);
    this.epsilon = args.epsilon;
    this.momentum = args.momentum;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const c = s[s.length - 1];
    this.gamma = this.ones('gamma', [c]);
    this.beta = this.zeros('beta', [c]);
    this.movingMean = this.addWeight(
      'moving_mean',
      [c],
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.movingVariance = this.addWeight(
      'moving_variance',
      [c],
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const g = this.gamma.read();
      const b = this.beta.read();
      if (!kwargs?.training || !this.trainable) {
        const scale = tf.mul(g, tf.rsqrt(tf.add(this.movingVariance.read(), this.epsilon)));
        return tf.add(tf.mul(tf.sub(x, this.movingMean.read()), scale), b);
      }
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      const n = x.size / (x.shape[x.rank - 1] as number);
      // Running statistics, PyTorch style (unbiased variance), outside the gradient.
      tf.tidy(() => {
        const m = this.momentum;
        this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), m), tf.mul(mean, 1 - m)));
        const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
        this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), m), tf.mul(unbiased, 1 - m)));
      });
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon))), g), b);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm);
