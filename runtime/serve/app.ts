/**
 * The HTTP app of `heracles serve` (hono): `POST /predict`, `GET /health`, `GET /` (model card). Built
 * from an already loaded model so tests can call `app.request()` without a socket. Bad requests get a
 * 4xx JSON `{ error, expected }`; anything unexpected a 500 JSON — the server itself keeps running.
 */
import * as tf from '@tensorflow/tfjs';
import { Hono } from 'hono';
import type { LoadedModel } from '../io/model-dir';
import { readBody } from './body';
import { modelCard } from './card';
import { RequestError, acceptedTypes, parseInput } from './inputs';
import { describeOutput } from './outputs';

export interface ServeOptions {
  /** Largest accepted request body; default 8 MiB. */
  bodyLimitBytes?: number;
  /** Most inputs in one JSON request; default 256. */
  maxBatch?: number;
  /** Called with unexpected errors (the client only sees a generic 500). */
  onError?: (e: unknown) => void;
}

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export function createApp(loaded: LoadedModel, opts: ServeOptions = {}): Hono {
  const limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const maxBatch = opts.maxBatch ?? 256;
  const { model, data } = loaded;
  const started = Date.now();
  let served = 0;
  const app = new Hono();

  app.get('/health', (c) =>
    c.json({
      status: 'ok',
      task: data.task,
      inputShape: data.inputShape,
      predictions: served,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    }),
  );

  app.get('/', (c) => c.html(modelCard(loaded, new URL(c.req.url).origin)));

  app.post('/predict', async (c) => {
    const body = await readBody(c.req.raw, limit);
    if (!body.ok)
      return c.json(
        {
          error: `the request body is ${body.received ? `${body.received} bytes, ` : ''}larger than the limit of ${limit} bytes`,
          expected: `a body of at most ${limit} bytes`,
        },
        413,
        body.close ? { Connection: 'close' } : {},
      );
    const input = parseInput(c.req.header('content-type'), body.bytes, data, maxBatch);
    const out = tf.tidy(() => {
      const y = model.predict(tf.tensor(input.values, [input.count, ...data.inputShape]));
      return Array.isArray(y) ? y[0] : y;
    });
    let raw: Float32Array;
    try {
      raw = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    served += input.count;
    return c.json(describeOutput(raw, input.count, data, input.source !== 'json'));
  });

  app.all('/predict', (c) =>
    c.json(
      {
        error: `${c.req.method} is not allowed on /predict`,
        expected: `POST with Content-Type ${acceptedTypes(data).join(', ')}`,
      },
      405,
      { Allow: 'POST' },
    ),
  );

  app.notFound((c) =>
    c.json(
      {
        error: `no route ${c.req.method} ${new URL(c.req.url).pathname}`,
        expected: 'GET /, GET /health or POST /predict',
      },
      404,
    ),
  );

  app.onError((e, c) => {
    if (e instanceof RequestError) return c.json({ error: e.message, expected: e.expected }, e.status);
    opts.onError?.(e);
    return c.json(
      { error: 'the server failed to answer this request', expected: 'a retry; the server keeps running' },
      500,
    );
  });

  return app;
}
