/** Depthwise k×k (images) or k (sequences) convolution, 'same' padding, stride 1, with bias. */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { depthwise } from './ops';

export interface DepthwiseConvArgs extends HeraclesLayerArgs {
  kernelSize: number;
  /** Image tokens: convolve along each row only (1 × k), for channel-independent series [C, P, D]. */
  rows?: boolean;
}

export class DepthwiseConv extends HeraclesLayer {
  static className = 'HeraclesDepthwiseConv';
  readonly kernelSize: number;
  readonly rows: boolean;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: DepthwiseConvArgs) {
    super(args);
    this.kernelSize = args.kernelSize;
    this.rows = args.rows ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const c = s[s.length - 1];
    const k = this.kernelSize;
    const kh = s.length === 3 && !this.rows ? k : 1;
    // PyTorch's init for a depthwise conv: fan_out = k·k·C / groups = k·k.
    this.kernel = this.normal('kernel', [kh, k, c, 1], Math.sqrt(2 / (kh * k)));
    this.bias = this.zeros('bias', [c]);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => depthwise(one(inputs), this.kernel.read(), this.bias.read()));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize, rows: this.rows };
  }
}
tf.serialization.registerClass(DepthwiseConv);
