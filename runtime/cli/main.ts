/**
 * The `heracles` command line: a thin front over the runtime. Exit codes: 0 ok, 2 bad input (a message
 * per problem on stderr, no stack trace), 1 an unexpected failure.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { NODE_BACKENDS } from '../backend/node';
import type { NodeBackend } from '../backend/node';
import { presetNames } from './documents';
import { registerNodeBackbones } from '../io/model-dir';
import { info } from './info';
import { processIo } from './io';
import type { Io } from './io';

const USAGE = `Usage: heracles <command> [options]

Commands:
  info <document-or-preset> [--json]
      shapes, parameters and MACs of every node, plus totals
  train <document-or-preset> --data <path> [--epochs N] [--batch-size B] [--lr X] [--seed S]
        [--max-minutes M] [--split a,b,c] [--lookback L] [--horizon T] [--backend wasm|cpu]
        [--threads N] [--out DIR] [--resume DIR] [--json]
      trains on a folder of IDX files, an image folder or .zip, or a .csv / .csv.gz series;
      writes DIR with model.json + weights, the document, data.json and run.json;
      --threads: how many threads share each batch (default: one per core, up to 4, for long runs)
  eval <DIR> --data <path> [--split test|val|train] [--json]
      metrics of a trained model on a split of the data
  predict <DIR> --input <file> [--json]
      the model's output for a .json array, a .csv window or an image
  export <DIR> --format tfjs|onnx|pytorch [--out <path>] [--json]
      the trained model as a tfjs zip (with a loader for our layers), an .onnx file or a PyTorch folder
  serve <DIR> [--port 8080] [--host 127.0.0.1] [--body-limit-mb 8]
      an HTTP server: POST /predict (JSON, image bytes or a CSV window), GET /health, GET / model card

A document is a path to a .heracles.json file or a preset name (${presetNames().join(', ') || 'none found'}).`;

const common = {
  json: { type: 'boolean', default: false },
  backend: { type: 'string', default: 'wasm' },
} as const satisfies ParseArgsConfig['options'];

function num(name: string, v: string | undefined, int = true): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n <= 0)
    throw new CliError(`--${name} expects a positive ${int ? 'whole ' : ''}number, got "${v}"`);
  return n;
}

class CliError extends Error {}

function backendOf(v: string): NodeBackend {
  if (!(NODE_BACKENDS as readonly string[]).includes(v))
    throw new CliError(`--backend must be ${NODE_BACKENDS.join(' or ')}, got "${v}"`);
  return v as NodeBackend;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  registerNodeBackbones();
  try {
    switch (command) {
      case 'info': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { json: common.json },
          allowPositionals: true,
        });
        if (positionals.length !== 1) throw new CliError('info: expected one document or preset name');
        return await info({ ref: positionals[0], json: Boolean(values.json) }, io);
      }
      case 'train': {
        const { values: v, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            ...common,
            data: { type: 'string' },
            epochs: { type: 'string' },
            'batch-size': { type: 'string' },
            lr: { type: 'string' },
            seed: { type: 'string' },
            'max-minutes': { type: 'string' },
            threads: { type: 'string' },
            split: { type: 'string' },
            lookback: { type: 'string' },
            horizon: { type: 'string' },
            out: { type: 'string' },
            resume: { type: 'string' },
          },
        });
        if (positionals.length > 1)
          throw new CliError(`train: expected one document, got ${positionals.join(' ')}`);
        const { trainCommand } = await import('./train');
        return await trainCommand(
          {
            ref: positionals[0],
            data: v.data,
            epochs: num('epochs', v.epochs),
            batchSize: num('batch-size', v['batch-size']),
            lr: num('lr', v.lr, false),
            seed: v.seed === undefined ? undefined : Number(v.seed),
            maxMinutes: num('max-minutes', v['max-minutes'], false),
            threads: num('threads', v.threads),
            split: v.split,
            lookback: num('lookback', v.lookback),
            horizon: num('horizon', v.horizon),
            backend: backendOf(v.backend),
            out: v.out,
            resume: v.resume,
            json: v.json,
          },
          io,
        );
      }
      case 'eval': {
        const { values: v, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { ...common, data: { type: 'string' }, split: { type: 'string', default: 'test' } },
        });
        if (positionals.length !== 1) throw new CliError('eval: expected one model folder');
        const { evalCommand } = await import('./train');
        return await evalCommand(
          {
            dir: positionals[0],
            data: v.data,
            split: v.split as 'test',
            backend: backendOf(v.backend),
            json: v.json,
          },
          io,
        );
      }
      case 'predict': {
        const { values: v, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { ...common, input: { type: 'string' } },
        });
        if (positionals.length !== 1) throw new CliError('predict: expected one model folder');
        const { predictCommand } = await import('./predict');
        return await predictCommand(
          { dir: positionals[0], input: v.input, backend: backendOf(v.backend), json: v.json },
          io,
        );
      }
      case 'export': {
        const { values: v, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { ...common, format: { type: 'string' }, out: { type: 'string' } },
        });
        if (positionals.length !== 1) throw new CliError('export: expected one model folder');
        const { exportCommand } = await import('./export');
        return await exportCommand(
          { dir: positionals[0], format: v.format, out: v.out, backend: backendOf(v.backend), json: v.json },
          io,
        );
      }
      case 'serve': {
        const { values: v, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            backend: common.backend,
            port: { type: 'string', default: '8080' },
            host: { type: 'string', default: '127.0.0.1' },
            'body-limit-mb': { type: 'string', default: '8' },
          },
        });
        if (positionals.length !== 1) throw new CliError('serve: expected one model folder');
        const port = Number(v.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new CliError(`serve: --port expects a whole number from 0 to 65535, got "${v.port}"`);
        const { serveCommand } = await import('./serve');
        return await serveCommand(
          {
            dir: positionals[0],
            port,
            host: v.host,
            bodyLimitBytes: Math.round((num('body-limit-mb', v['body-limit-mb'], false) ?? 8) * 1024 * 1024),
            backend: backendOf(v.backend),
          },
          io,
        );
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`heracles: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`heracles ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof Error && e.constructor.name === 'UsageError') {
      for (const line of (e as Error & { lines: string[] }).lines) io.err(line);
      return 2;
    }
    // parseArgs rejects unknown flags with a TypeError carrying a code.
    if (
      e instanceof TypeError &&
      'code' in e &&
      String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`heracles ${command}: ${e.message}`);
      return 2;
    }
    io.err(`heracles: unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.HERACLES_DEBUG) io.err(String((e as Error)?.stack));
    return 1;
  }
}
