/** The Hartley (or DCT) global SSM as a tfjs layer: `T⁻¹(W ⊙ T(x))`, W real, shaped like the tokens. */
import * as tf from '@tensorflow/tfjs';
import type { SpectralTransform } from '../spectral/transform';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { spectralFilter } from './ops';

export interface SpectralFilterArgs extends HeraclesLayerArgs {
  transform: SpectralTransform;
}

export class SpectralFilter extends HeraclesLayer {
  static className = 'HeraclesSpectralFilter';
  readonly transform: SpectralTransform;
  private weight!: tf.LayerVariable;

  constructor(args: SpectralFilterArgs) {
    super(args);
    this.transform = args.transform;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    // Sized from the actual token grid: [H, W, C] for images, [L, C] for sequences.
    this.weight = this.normal('weight', inputShapeOf(inputShape), 0.02);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => spectralFilter(one(inputs), this.weight.read(), this.transform));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), transform: this.transform };
  }
}
tf.serialization.registerClass(SpectralFilter);
