/**
 * The Heracles token mixer of the early stages, exactly as released: split channels in half,
 * local SSM (depthwise conv) on the first half, global SSM (spectral filter) on the second,
 * recombine interleaved (channel 2i from the local branch, 2i+1 from the global one). Nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import type { SpectralTransform } from '../spectral/transform';
import { HeraclesLayer, inputShapeOf, one } from './base';
import type { HeraclesLayerArgs } from './base';
import { depthwise, interleaveChannels, spectralFilter, splitChannels } from './ops';

export interface HeraclesMixerArgs extends HeraclesLayerArgs {
  transform: SpectralTransform;
  kernelSize: number;
  /** Channel-independent series [C, P, D]: local conv along rows only (use with the dht1d transform). */
  rows?: boolean;
}

export class HeraclesMixer extends HeraclesLayer {
  static className = 'HeraclesMixer';
  readonly transform: SpectralTransform;
  readonly kernelSize: number;
  readonly rows: boolean;
  private localKernel!: tf.LayerVariable;
  private localBias!: tf.LayerVariable;
  private spectralWeight!: tf.LayerVariable;

  constructor(args: HeraclesMixerArgs) {
    super(args);
    this.transform = args.transform;
    this.kernelSize = args.kernelSize;
    this.rows = args.rows ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShapeOf(inputShape);
    const half = s[s.length - 1] / 2;
    const k = this.kernelSize;
    const kh = s.length === 3 && !this.rows ? k : 1;
    this.localKernel = this.normal('local_kernel', [kh, k, half, 1], Math.sqrt(2 / (kh * k)));
    this.localBias = this.zeros('local_bias', [half]);
    this.spectralWeight = this.normal('spectral_weight', [...s.slice(0, -1), half], 0.02);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [local, global] = splitChannels(one(inputs));
      return interleaveChannels(
        depthwise(local, this.localKernel.read(), this.localBias.read()),
        spectralFilter(global, this.spectralWeight.read(), this.transform),
      );
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), transform: this.transform, kernelSize: this.kernelSize, rows: this.rows };
  }
}
tf.serialization.registerClass(HeraclesMixer);
