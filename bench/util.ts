/**
 * Shared pieces of the benchmarks: timing (warm-up, then the median of several repetitions), machine
 * facts, the result format every benchmark writes to `bench/results/<name>.json`, and the PyTorch probe.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.join(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** Debian's system python3, the one `python3-torch` installs into (docs/platform.md). */
export const PYTHON = process.env.HERACLES_BENCH_PYTHON ?? '/usr/bin/python3';

export interface Table {
  caption?: string;
  headers: string[];
  rows: (string | number)[][];
}

export interface BenchResult {
  name: string;
  title: string;
  date: string;
  /** What is measured and how, one paragraph. */
  description: string;
  /** The target in words, e.g. "ours ≤ 2.0× PyTorch". */
  target: string;
  /** The headline figure compared with the target, in words, e.g. "3.1× PyTorch". */
  headline: string;
  /** true = PASS, false = MISS, null = could not be judged (a side was not measured). */
  pass: boolean | null;
  tables: Table[];
  notes: string[];
  /** Raw numbers for later analysis. */
  data: Record<string, unknown>;
  seconds: number;
  /** 1-minute load average when the benchmark started and ended (other processes on the machine). */
  load?: { start: number; end: number };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Timing {
  median: number;
  min: number;
  max: number;
  times: number[];
}

export const summarize = (times: number[]): Timing => ({
  median: median(times),
  min: Math.min(...times),
  max: Math.max(...times),
  times,
});

/**
 * Times `fn` (ms): `warmup` untimed calls, then `reps` timed ones; stops adding repetitions once
 * `budgetMs` of timed work is spent (at least `minReps`).
 */
export async function timeIt(
  fn: () => unknown,
  opts: { warmup?: number; reps?: number; minReps?: number; budgetMs?: number } = {},
): Promise<Timing> {
  const { warmup = 2, reps = 7, minReps = 3, budgetMs = Infinity } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
    if (spent > budgetMs && times.length >= minReps) break;
  }
  return summarize(times);
}

/** Least-squares slope and intercept of log(y) against log(x): y ≈ a·x^k. */
export function fitPowerLaw(xs: number[], ys: number[]): { k: number; a: number } {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const n = xs.length;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
  }
  const k = sxy / sxx;
  return { k, a: Math.exp(my - k * mx) };
}

export const fmt = (x: number, digits = 1): string =>
  !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(digits);
export const fmtRatio = (x: number): string =>
  !Number.isFinite(x) ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;

export function tfjsVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export interface TorchProbe {
  ok: boolean;
  version?: string;
  blas?: string;
  reason?: string;
}

let probe: TorchProbe | undefined;

/** Is PyTorch importable by Debian's python3, and which BLAS does it load? */
export function probeTorch(): TorchProbe {
  if (probe) return probe;
  const code =
    'import json,torch\n' +
    'blas="unknown"\n' +
    'try:\n' +
    '  for l in open("/proc/self/maps"):\n' +
    '    if "blas" in l and ".so" in l: blas=l.split()[-1]; break\n' +
    'except Exception: pass\n' +
    'print(json.dumps({"version": torch.__version__, "blas": blas}))';
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) probe = { ok: false, reason: `${PYTHON} cannot run (${r.error.message})` };
  else if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    probe = {
      ok: false,
      reason: /No module named .?torch/.test(r.stderr)
        ? `PyTorch is not installed for ${PYTHON} (apt-get install -y python3-torch libopenblas0-openmp)`
        : `${PYTHON} -c "import torch" failed: ${last}`,
    };
  } else {
    const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { version: string; blas: string };
    probe = { ok: true, version: j.version, blas: j.blas };
  }
  return probe;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  tfjs: string;
  torch: string;
  blas: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const t = probeTorch();
  return {
    cpu: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    tfjs: tfjsVersion(),
    torch: t.ok ? (t.version as string) : `not available (${t.reason})`,
    blas: t.ok ? (t.blas as string) : '—',
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** Writes `bench/results/<name>.json`, formatted by the project's Prettier so `npm run lint` stays clean. */
export async function writeResult(r: BenchResult): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${r.name}.json`);
  let text = JSON.stringify(r, null, 2) + '\n';
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    text = await prettier.format(text, { ...options, plugins: [], filepath: file });
  } catch {
    /* Prettier unavailable: plain JSON is still valid */
  }
  writeFileSync(file, text);
  return file;
}

/** True when this module is the script node was started with (a benchmark run on its own). */
export const isMain = (metaUrl: string): boolean =>
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);

/** Runs a benchmark as a script: writes its result file and prints the headline. */
export async function runStandalone(run: () => Promise<BenchResult>): Promise<void> {
  const t0 = performance.now();
  const loadStart = os.loadavg()[0];
  const r = await run();
  r.seconds = Math.round((performance.now() - t0) / 100) / 10;
  r.load = { start: Math.round(loadStart * 100) / 100, end: Math.round(os.loadavg()[0] * 100) / 100 };
  const file = await writeResult(r);
  const verdict = r.pass === null ? 'NOT JUDGED' : r.pass ? 'PASS' : 'MISS';
  console.log(`${r.name}: ${r.headline} (target ${r.target}) → ${verdict}  [${r.seconds} s, ${file}]`);
}

export const log = (...args: unknown[]): void => {
  if (!process.env.HERACLES_BENCH_QUIET) console.error('  ', ...args);
};
