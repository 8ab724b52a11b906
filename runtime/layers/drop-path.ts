/**
 * Stochastic depth: while training, zeroes a whole sample's branch with probability `rate` and scales the
 * survivors by 1 / (1 − rate); at inference it is the identity. Seeded, so runs repeat exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, one } from './base';
import type { HeraclesLayerArgs } from './base';

export interface DropPathArgs extends HeraclesLayerArgs {
  rate: number;
}

export class DropPath extends HeraclesLayer {
  static className = 'HeraclesDropPath';
  readonly rate: number;
  private calls = 0;

  constructor(args: DropPathArgs) {
    super(args);
    this.rate = args.rate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      if (!kwargs?.training || this.rate <= 0) return tf.clone(x);
      const keep = 1 - this.rate;
      const shape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
      const seed = this.seedOf(`mask${this.calls++}`);
      const mask = tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(DropPath);
