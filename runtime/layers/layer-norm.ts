/**
 * LayerNorm over the channel (last) axis with a learned scale and shift.
 * tfjs-layers has one, but it tiles its statistics, and the gradient of Tile is a loop of thousands of
 * Slice + Add kernels (it made a small model's training step ~10× slower on wasm). This one broadcasts.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { layerNorm } from './ops';

export interface LayerNormArgs extends HeraclesLayerArgs {
  epsilon: number;
}

export class LayerNorm extends HeraclesLayer {
  static className = 'HeraclesLayerNorm';
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: LayerNormArgs) {
    super(args);
    this.epsilon = args.epsilon;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const c = s[s.length - 1];
    this.gamma = this.ones('gamma', [c]);
    this.beta = this.zeros('beta', [c]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => layerNorm(one(inputs), this.gamma.read(), this.beta.read(), this.epsilon));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);
