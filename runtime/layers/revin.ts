/**
 * Reversible instance normalisation for forecasting (Kim et al., 2022), without the affine part:
 * `RevIN` standardises each series of each sample over time; `RevINDenorm` takes the forecast and the
 * original input, recomputes the same statistics and maps the forecast back to the input's scale.
 * Recomputing instead of stashing keeps the graph pure (no hidden state between layers).
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, one } from './base';
import type { HeraclesLayerArgs } from './base';

export interface RevINArgs extends HeraclesLayerArgs {
  epsilon: number;
}

/** Mean and standard deviation over time (axis 1) of `[B,L,C]`, kept as `[B,1,C]`. */
function stats(x: tf.Tensor, epsilon: number): { mean: tf.Tensor; std: tf.Tensor } {
  const { mean, variance } = tf.moments(x, 1, true);
  return { mean, std: tf.sqrt(tf.add(variance, epsilon)) };
}

export class RevIN extends HeraclesLayer {
  static className = 'HeraclesRevIN';
  readonly epsilon: number;
  constructor(args: RevINArgs) {
    super(args);
    this.epsilon = args.epsilon;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const { mean, std } = stats(x, this.epsilon);
      return tf.div(tf.sub(x, mean), std);
    });
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return s;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(RevIN);

export class RevINDenorm extends HeraclesLayer {
  static className = 'HeraclesRevINDenorm';
  readonly epsilon: number;
  constructor(args: RevINArgs) {
    super(args);
    this.epsilon = args.epsilon;
  }
  /** inputs: [forecast `[B,T,C]`, original input `[B,L,C]`]. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [y, x] = inputs as tf.Tensor[];
      const { mean, std } = stats(x, this.epsilon);
      return tf.add(tf.mul(y, std), mean);
    });
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (s as tf.Shape[])[0];
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(RevINDenorm);
