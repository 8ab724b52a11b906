/**
 * `heracles predict <DIR> --input <file>`: a JSON array, a CSV window or an image file in, the model's
 * output out. Series windows are given in the data's original units and forecasts come back in them.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { initNodeBackend } from '../backend/node';
import type { NodeBackend } from '../backend/node';
import { imageToInput } from '../data/images';
import type { Io } from './io';
import { UsageError, loadDir } from './train';

export async function predictCommand(
  args: { dir: string; input?: string; backend: NodeBackend; json: boolean },
  io: Io,
): Promise<number> {
  if (!args.input)
    throw new UsageError([
      'heracles predict: --input is required: a .json array, a .csv window or an image (.png/.jpg)',
    ]);
  if (!existsSync(args.input)) throw new UsageError([`${args.input}: no such file`]);
  await initNodeBackend(args.backend);
  const { model, data } = await loadDir(args.dir);
  const shape = data.inputShape;
  const per = shape.reduce((a, b) => a * b, 1);
  const ext = path.extname(args.input).toLowerCase();
  const bytes = readFileSync(args.input);
  let values: Float32Array;
  if (ext === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new UsageError([`${args.input}: not valid JSON (${(e as Error).message})`]);
    }
    const flat = [parsed].flat(Infinity as 1) as unknown[];
    if (flat.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      throw new UsageError([`${args.input}: expected nested arrays of finite numbers`]);
    values = Float32Array.from(flat as number[]);
    // Series windows come in the data's units; the model works on standardised values.
    if (data.task === 'forecasting')
      values = values.map((v, i) => (v - (data.mean?.[i % shape[1]] ?? 0)) / (data.std?.[i % shape[1]] ?? 1));
  } else if (ext === '.csv') {
    const rows = Papa.parse<string[]>(bytes.toString('utf8').replace(/^\ufeff/, ''), {
      skipEmptyLines: true,
    }).data;
    const cols = data.columns ?? [];
    const header = rows[0];
    const idx = cols.map((c) => header.indexOf(c));
    if (idx.some((i) => i < 0))
      throw new UsageError([
        `${args.input}: expected the columns ${cols.join(', ')} in the header, got ${header.join(', ')}`,
      ]);
    const body = rows.slice(1).slice(-(data.lookback ?? shape[0]));
    if (body.length < (data.lookback ?? shape[0]))
      throw new UsageError([
        `${args.input}: needs at least ${data.lookback} rows (the lookback), has ${body.length}`,
      ]);
    values = new Float32Array(body.length * cols.length);
    body.forEach((r, t) =>
      idx.forEach((i, c) => {
        const v = Number(r[i]);
        if (!Number.isFinite(v))
          throw new UsageError([
            `${args.input}: row ${t + 2}, column "${cols[c]}": expected a number, got "${r[i]}"`,
          ]);
        values[t * cols.length + c] = (v - (data.mean?.[c] ?? 0)) / (data.std?.[c] ?? 1);
      }),
    );
  } else {
    values = Float32Array.from(
      imageToInput(new Uint8Array(bytes), args.input, shape as [number, number, number]),
      (v) => v / 255,
    );
  }
  if (values.length % per !== 0)
    throw new UsageError([
      `${args.input}: got ${values.length} numbers, which is not a whole number of inputs of shape [${shape.join(', ')}] (${per} each)`,
    ]);
  const n = values.length / per;
  const out = tf.tidy(() => model.predict(tf.tensor(values, [n, ...shape])) as tf.Tensor);
  const raw = Array.from(await out.data());
  out.dispose();
  if (data.task === 'classification') {
    const classes = data.classNames ?? [];
    const k = classes.length;
    const predictions = Array.from({ length: n }, (_, i) => {
      const logits = raw.slice(i * k, (i + 1) * k);
      const m = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      const probs = e.map((v) => v / s);
      const best = probs.indexOf(Math.max(...probs));
      return { class: best, label: classes[best], probabilities: probs };
    });
    if (args.json) io.out(JSON.stringify({ task: 'classification', predictions }));
    else for (const p of predictions) io.out(`${p.label} (${(p.probabilities[p.class] * 100).toFixed(1)}%)`);
  } else {
    const c = shape[1];
    const horizon = raw.length / n / c;
    const forecast = Array.from({ length: n }, (_, i) =>
      Array.from({ length: horizon }, (_, t) =>
        Array.from(
          { length: c },
          (_, j) => raw[(i * horizon + t) * c + j] * (data.std?.[j] ?? 1) + (data.mean?.[j] ?? 0),
        ),
      ),
    );
    if (args.json)
      io.out(
        JSON.stringify({
          task: 'forecasting',
          columns: data.columns,
          forecast: ext === '.csv' ? forecast[0] : forecast,
        }),
      );
    else io.out(Papa.unparse({ fields: data.columns ?? [], data: forecast[0] }));
  }
  model.dispose();
  return 0;
}
