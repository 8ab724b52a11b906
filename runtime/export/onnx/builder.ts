/**
 * A small ONNX graph builder: collects nodes and initializers under unique names, then encodes a
 * `ModelProto` with the `onnx-proto` protobufjs classes.
 *
 * Values are plain strings (ONNX value names). Every layer rule receives the names of its inputs and
 * returns the name of its output; intermediate names are `<layer path>/<op>_<n>` so a node in a viewer
 * (Netron) points back to the studio node it came from.
 */
import * as onnxModule from 'onnx-proto';

// onnx-proto is CommonJS whose namespace Node's ESM loader exposes only as `default`; bundlers (Vite)
// expose the named export as well. Take whichever is there.
const { onnx } = (onnxModule as unknown as { default?: typeof onnxModule }).default ?? onnxModule;
export { onnx };
export type OnnxModel = InstanceType<typeof onnx.ModelProto>;

/** A float attribute that stays FLOAT even when its value is integral (e.g. `alpha = 1`). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const floatAttr = (v: number): FloatAttr => new FloatAttr(v);

/** Integer numbers become INT, other numbers FLOAT, strings STRING, arrays INTS. */
export type AttrValue = number | string | number[] | FloatAttr;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

/** The bytes of a typed array. ONNX raw_data is little-endian, as typed arrays are on every platform we run on. */
function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  if (v instanceof FloatAttr) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: v.value });
  if (typeof v === 'string')
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
  return Number.isInteger(v)
    ? onnx.AttributeProto.create({ name, type: A.INT, i: v })
    : onnx.AttributeProto.create({ name, type: A.FLOAT, f: v });
}

export class OnnxBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly used = new Set<string>();
  /** Names of the shared constants already stored. */
  private readonly constants = new Set<string>();
  /** Layer path that new intermediate names and node names are prefixed with. */
  scope = '';

  constructor(readonly opset: number) {}

  /** Reserves `name` (throws if it is taken: two values must never share a name). */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name "${name}" is used twice`);
    this.used.add(name);
    return name;
  }

  /** A fresh name `<scope>/<base>_<n>`. */
  fresh(base: string): string {
    const stem = this.scope ? `${this.scope}/${base}` : base;
    let i = 0;
    while (this.used.has(`${stem}_${i}`)) i++;
    return this.claim(`${stem}_${i}`);
  }

  /**
   * Adds a node. `outputs` are names to use (claimed here) or a count of fresh ones. Attributes with
   * value `undefined` are left out. Returns the output names.
   */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue | undefined> = {},
    outputs: string[] | number = 1,
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
        : outputs.map((o) => this.claim(o));
    const attribute_ = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => attribute(k, v));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outs,
        name: `${this.scope || 'graph'}/${opType}_${this.nodes.length}`,
        attribute: attribute_,
      }),
    );
    return outs;
  }

  /** One-output node. */
  op1(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue | undefined> = {},
    out?: string,
  ): string {
    return this.op(opType, inputs, attrs, out === undefined ? 1 : [out])[0];
  }

  /** A float32 initializer under an exact name (weights: `<layer path>/<weight>`). */
  weight(name: string, shape: number[], values: Float32Array | Float64Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length !== shape.reduce((a, b) => a * b, 1))
      throw new Error(`initializer ${name}: ${data.length} values do not fill shape [${shape.join(', ')}]`);
    this.initializers.push(
      onnx.TensorProto.create({
        name: this.claim(name),
        dims: shape,
        dataType: FLOAT,
        rawData: bytesOf(data),
      }),
    );
    return name;
  }

  /**
   * A float32 constant shared by every user with the same `key` (transform matrices, scalars): built
   * once by `make`, stored once in the file.
   */
  sharedFloat(key: string, shape: number[], make: () => ArrayLike<number>): string {
    const name = `const/${key}`;
    if (!this.constants.has(name)) {
      this.weight(name, shape, Float32Array.from(make()));
      this.constants.add(name);
    }
    return name;
  }

  /** A float32 scalar constant. */
  scalar(v: number): string {
    return this.sharedFloat(`f32/${v}`, [], () => [v]);
  }

  /** An int64 vector constant (shapes, axes, pads, split sizes), shared by value. */
  ints(values: number[]): string {
    const key = `const/i64/${values.join('_')}`;
    if (!this.constants.has(key)) {
      this.initializers.push(
        onnx.TensorProto.create({
          name: this.claim(key),
          dims: [values.length],
          dataType: INT64,
          rawData: bytesOf(BigInt64Array.from(values.map((v) => BigInt(v)))),
        }),
      );
      this.constants.add(key);
    }
    return key;
  }

  // ---- ops whose spelling changes between opsets ------------------------------------------

  /** ReduceMean / ReduceMax over `axes` (opset 18 moved `axes` from an attribute to an input). */
  reduce(opType: 'ReduceMean' | 'ReduceMax', x: string, axes: number[], keepdims: boolean): string {
    const k = keepdims ? 1 : 0;
    if (this.opset >= 18) return this.op1(opType, [x, this.ints(axes)], { keepdims: k });
    return this.op1(opType, [x], { axes, keepdims: k });
  }

  reshape(x: string, shape: number[]): string {
    return this.op1('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.op1('Transpose', [x], { perm });
  }

  /** Splits `x` along `axis` into pieces of the given sizes. */
  split(x: string, axis: number, sizes: number[]): string[] {
    return this.op('Split', [x, this.ints(sizes)], { axis }, sizes.length);
  }
}

/** A float32 tensor type with the leading dimension symbolic (`batch`). */
export function valueInfo(name: string, shape: number[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: [{ dimParam: 'batch' }, ...shape.map((d) => (d < 0 ? { dimParam: '?' } : { dimValue: d }))],
        },
      },
    },
  });
}
