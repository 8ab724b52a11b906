/**
 * What a layer rule sees: the builder, the layer (class, config, shapes, weights), the ONNX names of its
 * inputs, and helpers to turn its weights into initializers or to refuse the layer with a clear error.
 */
import { ExportError } from '../errors';
import type { GraphLayer, GraphWeight } from '../model-graph';
import type { OnnxBuilder } from './builder';

export class LayerContext {
  constructor(
    readonly b: OnnxBuilder,
    readonly layer: GraphLayer,
    /** ONNX value names of the layer's inputs, in order. */
    readonly inputs: string[],
  ) {}

  get config(): Record<string, unknown> {
    return this.layer.config;
  }

  /** Input shape `i` without the batch axis. */
  inShape(i = 0): number[] {
    return this.layer.inputShapes[i];
  }

  /** Output shape without the batch axis. */
  get outShape(): number[] {
    return this.layer.outputShapes[0];
  }

  /**
   * The weight called `name`. tfjs makes variable names unique per process by appending `_1`, `_2`, …
   * when a name was used before (a second model with the same node paths), so those suffixes match too.
   */
  w(name: string): GraphWeight {
    const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(_\\d+)?$`);
    const found = this.layer.weights.find((x) => re.test(x.name));
    if (!found)
      this.fail(
        `has no weight "${name}" (it has ${this.layer.weights.map((x) => x.name).join(', ') || 'none'})`,
        'the model does not match its layer class; re-compile it from its document',
      );
    return found;
  }

  /**
   * Adds weight `name` as a float32 initializer `<layer path>/<name>` and returns its name. `values`
   * and `shape` replace the stored ones when the ONNX op wants another layout (e.g. conv kernels).
   */
  init(name: string, shape?: number[], values?: Float32Array): string {
    const w = values ? undefined : this.w(name);
    return this.b.weight(
      `${this.layer.name}/${name}`,
      shape ?? (w as GraphWeight).shape,
      values ?? (w as GraphWeight).values,
    );
  }

  /** Refuses the layer: names it (studio node path) and its class, says why. */
  fail(why: string, hint?: string): never {
    throw new ExportError(`${this.layer.className} ${why}`, this.layer.name, hint);
  }
}

/** A translation rule: emits the ONNX nodes of one layer and returns the name of its output. */
export type LayerRule = (ctx: LayerContext) => string;
