/**
 * The layer behind a code block: a user's forward function, written in a notebook code cell. The
 * function itself is never stored in model.json (only the block type is): a model that uses a code
 * block loads only where the notebook's code has been registered, i.e. after the user trusted it.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesLayer } from './base';
import type { HeraclesLayerArgs } from './base';

export type CodeForward = (inputs: tf.Tensor[], training: boolean) => tf.Tensor;
export type CodeShape = (inputs: number[][]) => number[];

/** Forward functions of the registered code blocks, by block type. */
const FORWARDS = new Map<string, { forward: CodeForward; inferShape: CodeShape }>();

export function setCodeForward(
  blockType: string,
  fns: { forward: CodeForward; inferShape: CodeShape },
): void {
  FORWARDS.set(blockType, fns);
}
export function deleteCodeForward(blockType: string): void {
  FORWARDS.delete(blockType);
}

export interface CodeLayerArgs extends HeraclesLayerArgs {
  blockType: string;
}

export class CodeLayer extends HeraclesLayer {
  static className = 'HeraclesCode';
  readonly blockType: string;

  constructor(args: CodeLayerArgs) {
    super(args);
    this.blockType = args.blockType;
  }

  private fns() {
    const fns = FORWARDS.get(this.blockType);
    if (!fns)
      throw new Error(
        `${this.name}: the code of block "${this.blockType}" is not loaded (open its notebook and trust it)`,
      );
    return fns;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => this.fns().forward(xs, kwargs?.training ?? false));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    const out = this.fns().inferShape(shapes.map((s) => s.slice(1).map((d) => d ?? -1)));
    return [null, ...out];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), blockType: this.blockType };
  }
}
tf.serialization.registerClass(CodeLayer);
