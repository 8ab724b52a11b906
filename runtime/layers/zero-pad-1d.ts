/** Zero padding along time for sequences `[B,L,C]` (tfjs-layers has only the 2-D one). */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, one } from './base';
import type { HeraclesLayerArgs } from './base';

export interface ZeroPad1DArgs extends HeraclesLayerArgs {
  padding: number;
}

export class ZeroPad1D extends HeraclesLayer {
  static className = 'HeraclesZeroPad1D';
  readonly padding: number;
  constructor(args: ZeroPad1DArgs) {
    super(args);
    this.padding = args.padding;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.pad(one(inputs), [
        [0, 0],
        [this.padding, this.padding],
        [0, 0],
      ]),
    );
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = s as tf.Shape;
    return [shape[0], shape[1] === null ? null : (shape[1] as number) + 2 * this.padding, shape[2]];
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ZeroPad1D);
