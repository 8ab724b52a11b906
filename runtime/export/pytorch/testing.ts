/**
 * Helpers for the PyTorch export tests (imported only by *.test.ts files): finding a Python with torch,
 * writing an export to a folder and running the exported model on given inputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Debian's python3 has torch; the `python3` first on PATH may not. HERACLES_PYTHON overrides. */
export const PYTHON = process.env.HERACLES_PYTHON ?? '/usr/bin/python3';

/** Empty when `PYTHON` can import torch, else why not. */
export function torchMissing(): string {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} has no torch (${r.stderr.trim().split('\n').pop()})`;
  return '';
}

export interface PyResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs Python with `args`; throws with its output when it fails, unless `allowFailure`. */
export function python(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): PyResult {
  const r = spawnSync(PYTHON, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' },
  });
  const out = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (!opts.allowFailure && r.status !== 0)
    throw new Error(
      `python ${args.join(' ')} exited with ${r.status}${r.error ? ` (${r.error.message})` : ''}\n` +
        `stdout:\n${out.stdout.slice(-2000)}\nstderr:\n${out.stderr.slice(-4000)}`,
    );
  return out;
}

/** Writes the files of an export into `dir`. */
export function writeExport(dir: string, files: Map<string, string | Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of files) writeFileSync(path.join(dir, name), content);
}

/** Loads model.py + weights from `dir` (weights from `weightsDir` when given), runs the inputs (batch first, float32) in eval mode, returns the outputs. */
const PREDICT = `
import array, json, sys, torch
folder, spec = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, folder)
from model import HeraclesModel, load_weights
model = HeraclesModel()
load_weights(model, spec.get("weights") or folder)
model.eval()
xs = []
for i, shape in enumerate(spec["inputs"]):
    a = array.array("f")
    with open(f"{folder}/in{i}.bin", "rb") as f:
        a.frombytes(f.read())
    xs.append(torch.frombuffer(a, dtype=torch.float32).reshape(shape))
with torch.no_grad():
    ys = model(*xs)
ys = ys if isinstance(ys, tuple) else (ys,)
for i, y in enumerate(ys):
    with open(f"{folder}/out{i}.bin", "wb") as f:
        f.write(array.array("f", y.flatten().tolist()).tobytes())
print(json.dumps([list(y.shape) for y in ys]))
`;

export function predictWithTorch(
  dir: string,
  inputs: { values: Float32Array; shape: number[] }[],
  weightsDir?: string,
): { values: Float32Array; shape: number[] }[] {
  inputs.forEach((x, i) =>
    writeFileSync(path.join(dir, `in${i}.bin`), new Uint8Array(x.values.buffer.slice(0))),
  );
  const r = python([
    '-c',
    PREDICT,
    dir,
    JSON.stringify({ inputs: inputs.map((x) => x.shape), weights: weightsDir }),
  ]);
  const shapes = JSON.parse(r.stdout.trim().split('\n').pop() as string) as number[][];
  return shapes.map((shape, i) => {
    const b = readFileSync(path.join(dir, `out${i}.bin`));
    return { shape, values: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
  });
}

/** Largest |a − b| (arrays of equal length). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
