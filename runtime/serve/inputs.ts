/**
 * Request bodies of `POST /predict` → model input. Every problem is a RequestError with the HTTP status,
 * what was wrong (naming the index, row, column or byte) and what was expected, so a client can fix its
 * request from the response alone. Inputs are prepared exactly as training prepared them:
 * - JSON `{ "inputs": [...] }`: model inputs (images as pixel/255); series in the data's original units;
 * - PNG/JPEG bytes: decoded, resized to the input shape, scaled to [0, 1];
 * - a CSV window: the data's columns by header name, the last `lookback` rows, in original units.
 * Series are standardised with the train statistics in data.json.
 */
import Papa from 'papaparse';
import { imageToInput } from '../data/images';
import { DataError } from '../data/types';
import type { DataInfo } from '../io/model-dir';

export class RequestError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 422,
    message: string,
    readonly expected: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ModelInput {
  /** `count × inputShape` values, ready for the model. */
  values: Float32Array;
  count: number;
  /** `csv` windows answer with one forecast rather than a list. */
  source: 'json' | 'image' | 'csv';
}

export const IMAGE_TYPES = ['image/png', 'image/jpeg'];
const JSON_TYPE = 'application/json';
const CSV_TYPE = 'text/csv';

/** The content types this model accepts, for error messages and the model card. */
export function acceptedTypes(data: DataInfo): string[] {
  return data.task === 'classification' && data.inputShape.length === 3
    ? [JSON_TYPE, ...IMAGE_TYPES]
    : [JSON_TYPE, CSV_TYPE];
}

const shapeText = (s: number[]) => `[${s.join(', ')}]`;
const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function parseInput(
  contentType: string | undefined,
  body: Uint8Array,
  data: DataInfo,
  maxBatch: number,
): ModelInput {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const accepted = acceptedTypes(data);
  if (!accepted.includes(type))
    throw new RequestError(
      415,
      type
        ? `Content-Type "${type}" is not accepted by this ${data.task} model`
        : 'the request has no Content-Type',
      `Content-Type: ${accepted.join(', ')}`,
    );
  if (body.byteLength === 0)
    throw new RequestError(400, 'the request body is empty', describeBody(type, data));
  if (type === JSON_TYPE) return fromJson(body, data, maxBatch);
  if (type === CSV_TYPE) return fromCsv(body, data);
  return fromImage(body, data);
}

function describeBody(type: string, data: DataInfo): string {
  if (type === CSV_TYPE)
    return `a CSV with a header naming ${data.columns?.join(', ')} and at least ${data.lookback ?? data.inputShape[0]} rows`;
  if (IMAGE_TYPES.includes(type)) return 'the bytes of one PNG or JPEG image';
  return `{"inputs": [...]} with one input of shape ${shapeText(data.inputShape)}, a list of them, or a flat list of ${product(data.inputShape)}·n numbers`;
}

function fromJson(body: Uint8Array, data: DataInfo, maxBatch: number): ModelInput {
  const expected = describeBody(JSON_TYPE, data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (e) {
    throw new RequestError(400, `the body is not valid JSON (${(e as Error).message})`, expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('inputs' in parsed))
    throw new RequestError(400, 'the JSON body has no "inputs" field', expected);
  const inputs = (parsed as { inputs: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new RequestError(400, '"inputs" must be a non-empty array', expected);
  const shape = data.inputShape;
  const per = product(shape);
  const dims = shapeOf(inputs, 'inputs', shape.length + 1);
  let count: number;
  if (dims.length === 1) {
    // A flat list: a whole number of inputs, in row-major order.
    if (dims[0] % per !== 0)
      throw new RequestError(
        422,
        `"inputs" is a flat list of ${dims[0]} numbers, not a whole number of inputs of shape ${shapeText(shape)} (${per} each)`,
        expected,
      );
    count = dims[0] / per;
  } else if (sameShape(dims, shape)) count = 1;
  else if (sameShape(dims.slice(1), shape)) count = dims[0];
  else
    throw new RequestError(
      422,
      `"inputs" has shape ${shapeText(dims)}; the model takes ${shapeText(shape)} or [n, ${shape.join(', ')}]`,
      expected,
    );
  if (count > maxBatch)
    throw new RequestError(
      413,
      `${count} inputs in one request; at most ${maxBatch} are served per request`,
      expected,
    );
  const values = new Float32Array(count * per);
  let i = 0;
  const fill = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, k) => fill(x, `${at}[${k}]`));
    else if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 3.4e38) values[i++] = v;
    else
      throw new RequestError(
        422,
        `${at} is ${JSON.stringify(v) ?? String(v)}, not a finite number`,
        expected,
      );
  };
  fill(inputs, 'inputs');
  if (data.task === 'forecasting') standardise(values, data);
  return { values, count, source: 'json' };
}

/** The dimensions of a rectangular nested array; a RequestError at the first ragged entry. */
function shapeOf(v: unknown[], at: string, maxDepth: number): number[] {
  const first = v[0];
  if (!Array.isArray(first)) return [v.length];
  // Deeper than [n, ...inputShape] can never fit; stop before a hostile nesting exhausts the stack.
  if (maxDepth <= 1)
    throw new RequestError(
      422,
      `${at}[0] is nested deeper than [n, ...input shape]`,
      'numbers at the innermost level',
    );
  const inner = shapeOf(first, `${at}[0]`, maxDepth - 1);
  v.forEach((x, k) => {
    if (!Array.isArray(x) || x.length !== first.length)
      throw new RequestError(
        422,
        `${at}[${k}] ${Array.isArray(x) ? `has ${x.length} entries` : 'is not a list'}, but ${at}[0] has ${first.length}: nested lists must be rectangular`,
        'nested lists of equal lengths (one input of the model shape, or a list of them)',
      );
  });
  return [v.length, ...inner];
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function standardise(values: Float32Array, data: DataInfo): void {
  const c = data.inputShape[data.inputShape.length - 1];
  for (let i = 0; i < values.length; i++)
    values[i] = (values[i] - (data.mean?.[i % c] ?? 0)) / (data.std?.[i % c] ?? 1);
}

function fromImage(body: Uint8Array, data: DataInfo): ModelInput {
  try {
    const bytes = imageToInput(body, 'the request body', data.inputShape as [number, number, number]);
    return { values: Float32Array.from(bytes, (v) => v / 255), count: 1, source: 'image' };
  } catch (e) {
    // Undecodable, damaged or oversized images: the decoder names the byte or the limit.
    if (e instanceof DataError || e instanceof Error)
      throw new RequestError(422, e.message, describeBody('image/png', data));
    throw e;
  }
}

function fromCsv(body: Uint8Array, data: DataInfo): ModelInput {
  const expected = describeBody(CSV_TYPE, data);
  const columns = data.columns ?? [];
  const lookback = data.lookback ?? data.inputShape[0];
  const text = new TextDecoder().decode(body).replace(/^\ufeff/, '');
  const rows = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  const header = (rows[0] ?? []).map((h) => h.trim());
  const idx = columns.map((c) => header.indexOf(c));
  const missing = columns.filter((_, k) => idx[k] < 0);
  if (missing.length)
    throw new RequestError(
      422,
      `the CSV header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it has ${header.join(', ') || 'nothing'})`,
      expected,
    );
  const body_ = rows.slice(1);
  if (body_.length < lookback)
    throw new RequestError(
      422,
      `the CSV has ${body_.length} data rows; the model needs the last ${lookback}`,
      expected,
    );
  const first = body_.length - lookback;
  const values = new Float32Array(lookback * columns.length);
  for (let t = 0; t < lookback; t++)
    for (let k = 0; k < columns.length; k++) {
      const cell = body_[first + t][idx[k]];
      const v = Number(cell);
      if (cell === undefined || cell.trim() === '' || !Number.isFinite(v))
        throw new RequestError(
          422,
          `row ${first + t + 2}, column "${columns[k]}": expected a number, got ${JSON.stringify(cell ?? '')}`,
          expected,
        );
      values[t * columns.length + k] = v;
    }
  standardise(values, data);
  return { values, count: 1, source: 'csv' };
}
