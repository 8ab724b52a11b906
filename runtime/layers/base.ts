/**
 * Base for the project's custom tfjs layers: a repeatable per-layer seed and initialiser helpers
 * matching the released Heracles code (Linear: trunc-normal 0.02; conv: normal(0, sqrt(2 / fan_out))).
 */
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from './ops';

export interface HeraclesLayerArgs {
  name?: string;
  trainable?: boolean;
  /** Base seed for this layer's initialisers; absent = random. */
  seed?: number;
}

export abstract class HeraclesLayer extends tf.layers.Layer {
  readonly seed?: number;

  constructor(args: HeraclesLayerArgs) {
    super(args);
    this.seed = args.seed;
  }

  /** A seed for one weight of this layer. */
  protected seedOf(part: string): number | undefined {
    return seedFrom(this.seed, `${this.name}/${part}`);
  }

  protected linearKernel(name: string, shape: number[]): tf.LayerVariable {
    return this.addWeight(
      name,
      shape,
      'float32',
      tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seedOf(name) }),
    );
  }

  protected zeros(name: string, shape: number[]): tf.LayerVariable {
    return this.addWeight(name, shape, 'float32', tf.initializers.zeros());
  }

  protected ones(name: string, shape: number[]): tf.LayerVariable {
    return this.addWeight(name, shape, 'float32', tf.initializers.ones());
  }

  protected normal(name: string, shape: number[], stddev: number): tf.LayerVariable {
    return this.addWeight(
      name,
      shape,
      'float32',
      tf.initializers.randomNormal({ mean: 0, stddev, seed: this.seedOf(name) }),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

/** Drops the batch axis of a layer's input shape. */
export const inputShapeOf = (s: tf.Shape | tf.Shape[]): number[] =>
  ((Array.isArray(s[0]) ? s[0] : s) as (number | null)[]).slice(1).map((d) => d ?? -1);

export const one = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor =>
  Array.isArray(inputs) ? inputs[0] : inputs;
