/**
 * `npm run bench:serve` — `heracles serve` under load and under attack, on loopback. Starts the real
 * command (its own process) on heracles-tiny (28×28×1, 10 classes, seeded weights), then:
 * 1. load: N `POST /predict` requests (one JSON input each, every 4th a PNG) at fixed concurrency —
 *    p50/p99 latency, throughput, errors (anything but 200);
 * 2. fuzz: malformed and truncated JSON, wrong shapes, hostile nesting, oversized bodies (declared and
 *    chunked), wrong content types, damaged images, seeded random byte mutations of a valid body — each
 *    must get a 4xx (mutations may stay valid: 200 is allowed there), never a 5xx or a dropped
 *    connection, and `GET /health` must answer after every one.
 * Target: 0 errors under load, every bad request 4xx, the server up throughout.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { initNodeBackend } from '../runtime/backend/node';
import { mulberry32 } from '../runtime/data/bytes';
import { loadDocument } from '../runtime/document/load';
import { compileDocument } from '../runtime/graph/compile';
import { saveModel } from '../runtime/io/model-dir';
import { readFileSync } from 'node:fs';
import { ROOT, fmt, isMain, log, median, runStandalone, type BenchResult } from './util';

const REQUESTS = Number(process.env.HERACLES_BENCH_SERVE_REQUESTS ?? 2000);
const CONCURRENCY = 16;
const MUTATIONS = 200;

async function writeModel(dir: string): Promise<void> {
  await initNodeBackend('wasm');
  const r = loadDocument(readFileSync(path.join(ROOT, 'templates/heracles-tiny.heracles.json'), 'utf8'));
  if (!r.ok) throw new Error('heracles-tiny does not load');
  const { model } = compileDocument(r.doc, { seed: 1 });
  const classNames = Array.from({ length: 10 }, (_, i) => `class ${i}`);
  await saveModel(dir, model, {
    document: r.doc,
    data: { task: 'classification', source: 'bench', inputShape: [28, 28, 1], classNames },
    run: {
      config: {},
      history: [],
      stop: 'bench',
      seconds: 0,
      backend: 'wasm',
      startedAt: new Date().toISOString(),
    },
  });
  model.dispose();
}

/** Starts `heracles serve` on a free port; resolves with its URL once it listens. */
function startServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/heracles.js'), 'serve', dir, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => log(`server: ${d.toString().trim()}`));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`heracles serve exited with ${code} before listening`)));
  });
}

interface Outcome {
  status: number | 'dropped';
  ms: number;
}

async function send(
  url: string,
  body: BodyInit | undefined,
  type: string | undefined,
  method = 'POST',
): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      body,
      headers: type ? { 'Content-Type': type } : {},
    };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(url, init);
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch {
    return { status: 'dropped', ms: performance.now() - t0 };
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** A chunked body (no Content-Length) of `bytes` bytes, for the streaming size limit. */
function chunked(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= bytes) return ctl.close();
      const n = Math.min(1 << 16, bytes - sent);
      sent += n;
      ctl.enqueue(new Uint8Array(n).fill(0x5b));
    },
  });
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const work = mkdtempSync(path.join(os.tmpdir(), 'heracles-bench-serve-'));
  const dir = path.join(work, 'model');
  await writeModel(dir);
  const { url, child } = await startServer(dir);
  const rand = mulberry32(42);
  try {
    // 1. Load.
    const sample = () => Array.from({ length: 784 }, () => Math.round(rand() * 1000) / 1000);
    const jsonBodies = Array.from({ length: 8 }, () => JSON.stringify({ inputs: sample() }));
    const pngBodies = Array.from(
      { length: 4 },
      () =>
        new Uint8Array(
          encodePng({
            width: 28,
            height: 28,
            data: Uint8Array.from({ length: 784 }, () => rand() * 256),
            channels: 1,
            depth: 8,
          }),
        ),
    );
    // Warm-up, then one request at a time: the latency without queueing, for comparison.
    for (let i = 0; i < 10; i++) await send(`${url}/predict`, jsonBodies[i % 8], 'application/json');
    const sequential: number[] = [];
    for (let i = 0; i < 30; i++)
      sequential.push((await send(`${url}/predict`, jsonBodies[i % 8], 'application/json')).ms);
    const lat: Record<'json' | 'png', number[]> = { json: [], png: [] };
    const errors: Record<string, number> = {};
    let next = 0;
    const loadStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const png = i % 4 === 3;
          const o = png
            ? await send(`${url}/predict`, pngBodies[i % 4], 'image/png')
            : await send(`${url}/predict`, jsonBodies[i % 8], 'application/json');
          if (o.status === 200) lat[png ? 'png' : 'json'].push(o.ms);
          else errors[String(o.status)] = (errors[String(o.status)] ?? 0) + 1;
        }
      }),
    );
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const all = [...lat.json, ...lat.png];
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
    log(
      `load: ${REQUESTS} requests in ${fmt(loadSeconds)} s, p50 ${fmt(median(all))} ms, errors ${errorCount}`,
    );

    // 2. Fuzz: [name, body, content type, allowed statuses].
    const valid = jsonBodies[0];
    const BIG = 9 * 1024 * 1024; // over the default 8 MiB limit
    const cases: [string, () => BodyInit | undefined, string?, string?][] = [
      ['malformed JSON', () => '{"inputs": [1, 2', 'application/json'],
      ['truncated JSON', () => valid.slice(0, valid.length / 2), 'application/json'],
      ['not UTF-8', () => new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), 'application/json'],
      ['empty body', () => '', 'application/json'],
      ['JSON without inputs', () => '{"x": 1}', 'application/json'],
      ['JSON null', () => 'null', 'application/json'],
      [
        'wrong shape [27, 28, 1]',
        () => JSON.stringify({ inputs: Array(27).fill(Array(28).fill([0])) }),
        'application/json',
      ],
      ['ragged nested lists', () => JSON.stringify({ inputs: [[1, 2], [3]] }), 'application/json'],
      ['flat list of 785', () => JSON.stringify({ inputs: Array(785).fill(0) }), 'application/json'],
      [
        'a string among numbers',
        () => JSON.stringify({ inputs: [...Array(783).fill(0), '1'] }),
        'application/json',
      ],
      ['1e999 (→ Infinity)', () => `{"inputs": [1e999${',0'.repeat(783)}]}`, 'application/json'],
      [
        '1,000,000-deep nesting',
        () => '{"inputs": ' + '['.repeat(1e6) + ']'.repeat(1e6) + '}',
        'application/json',
      ],
      [
        '300 inputs in one request',
        () => JSON.stringify({ inputs: Array(784 * 300).fill(0) }),
        'application/json',
      ],
      ['9 MiB body (Content-Length)', () => new Uint8Array(BIG).fill(0x20), 'application/json'],
      ['9 MiB body (chunked)', () => chunked(BIG), 'application/json'],
      ['text/plain', () => valid, 'text/plain'],
      ['no Content-Type', () => new Uint8Array([1, 2, 3])],
      ['multipart/form-data', () => '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'],
      ['CSV to an image model', () => 'a,b\n1,2\n', 'text/csv'],
      ['random bytes as PNG', () => Uint8Array.from({ length: 4096 }, () => rand() * 256), 'image/png'],
      ['truncated PNG', () => pngBodies[0].subarray(0, 60), 'image/png'],
      ['PNG claiming 60000×60000', () => hugePngHeader(), 'image/png'],
      ['GET /predict', () => undefined, undefined, 'GET'],
    ];
    const fuzzRows: (string | number)[][] = [];
    let fuzzBad = 0;
    let healthFailures = 0;
    const health = async () => {
      const h = await send(`${url}/health`, undefined, undefined, 'GET');
      if (h.status !== 200) healthFailures++;
    };
    for (const [name, body, type, method] of cases) {
      const o = await send(`${url}/predict`, body(), type, method ?? 'POST');
      const ok = typeof o.status === 'number' && o.status >= 400 && o.status < 500;
      if (!ok) fuzzBad++;
      fuzzRows.push([name, String(o.status), fmt(o.ms), ok ? 'ok' : 'FAIL']);
      await health();
    }
    // Seeded mutations of a valid body: flip, delete or insert bytes, or cut it short.
    const mutated: Record<string, number> = {};
    for (let i = 0; i < MUTATIONS; i++) {
      const bytes = Array.from(new TextEncoder().encode(valid));
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * bytes.length);
        const op = Math.floor(rand() * 4);
        if (op === 0) bytes[at] = Math.floor(rand() * 256);
        else if (op === 1) bytes.splice(at, 1);
        else if (op === 2) bytes.splice(at, 0, '[]{},"-.e0'.charCodeAt(Math.floor(rand() * 10)));
        else bytes.length = at;
      }
      const o = await send(`${url}/predict`, new Uint8Array(bytes), 'application/json');
      mutated[String(o.status)] = (mutated[String(o.status)] ?? 0) + 1;
      if (!(o.status === 200 || (typeof o.status === 'number' && o.status >= 400 && o.status < 500)))
        fuzzBad++;
      await health();
    }
    const alive =
      (await send(`${url}/health`, undefined, undefined, 'GET')).status === 200 && child.exitCode === null;
    const pass = errorCount === 0 && fuzzBad === 0 && healthFailures === 0 && alive;
    const p50 = median(all);
    const p99 = percentile(all, 99);
    const rps = REQUESTS / loadSeconds;
    return {
      name: 'serve',
      title: '`heracles serve`: load and malformed requests on loopback',
      date: new Date().toISOString(),
      description:
        `The real \`heracles serve\` process (wasm backend) with heracles-tiny (28×28×1, 10 classes, 1.37 M parameters). ` +
        `Load: ${REQUESTS} \`POST /predict\` requests of one input each (3 of 4 JSON, 1 of 4 a 28×28 PNG) from ${CONCURRENCY} concurrent ` +
        `keep-alive clients in another process on loopback; latency is from send to the last byte of the answer. ` +
        `Then ${cases.length} malformed requests and ${MUTATIONS} seeded byte mutations of a valid body, each followed by \`GET /health\`.`,
      target:
        'no errors under load; every malformed request answered 4xx; the server answers /health throughout',
      headline: `${fmt(rps)} req/s, p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms, ${errorCount} errors; ${cases.length + MUTATIONS - fuzzBad}/${cases.length + MUTATIONS} bad requests handled, server ${alive ? 'up' : 'DOWN'}`,
      pass,
      tables: [
        {
          caption: `load: ${REQUESTS} requests, concurrency ${CONCURRENCY}`,
          headers: ['requests', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
          rows: (['json', 'png'] as const)
            .map((k): (string | number)[] => [
              k === 'json' ? 'JSON (784 numbers)' : 'PNG 28×28',
              lat[k].length,
              fmt(median(lat[k])),
              fmt(percentile(lat[k], 90)),
              fmt(percentile(lat[k], 99)),
              fmt(Math.max(...lat[k])),
            ])
            .concat([
              ['all', all.length, fmt(p50), fmt(percentile(all, 90)), fmt(p99), fmt(Math.max(...all))],
            ]),
        },
        { caption: 'malformed requests', headers: ['request', 'status', 'ms', 'verdict'], rows: fuzzRows },
      ],
      notes: [
        `Throughput ${fmt(rps)} requests/s over ${fmt(loadSeconds)} s; errors by status: ${errorCount ? JSON.stringify(errors) : 'none'}. One request at a time (no queue), a JSON prediction takes ${fmt(median(sequential))} ms (median of ${sequential.length}).`,
        `Byte mutations of a valid JSON body, answers by status: ${Object.entries(mutated)
          .map(([s, n]) => `${s} × ${n}`)
          .join(
            ', ',
          )} (a mutation that still parses as a valid input is answered 200). /health failures: ${healthFailures}.`,
        'Predictions run one at a time on the single wasm thread: concurrency raises latency, not throughput; the p50 is about the model time × the number of requests queued.',
      ],
      data: {
        sequential,
        requests: REQUESTS,
        concurrency: CONCURRENCY,
        loadSeconds,
        rps,
        latency: lat,
        errors,
        mutated,
        fuzzBad,
        healthFailures,
      },
      seconds: Math.round((performance.now() - t0) / 1000),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

/** A valid PNG signature + IHDR claiming 60000×60000 pixels (a decompression bomb's header). */
function hugePngHeader(): Uint8Array<ArrayBuffer> {
  const png = new Uint8Array(
    encodePng({ width: 1, height: 1, data: new Uint8Array([0]), channels: 1, depth: 8 }),
  );
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  view.setUint32(16, 60000);
  view.setUint32(20, 60000);
  return png;
}

if (isMain(import.meta.url)) await runStandalone(run);
