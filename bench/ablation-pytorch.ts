/**
 * The heracles-tiny ablation trained through the PyTorch export (`heracles export --format pytorch` +
 * its train.py), for `npm run bench:accuracy -- ablation-pytorch`.
 *
 * Our wasm runtime manages about one epoch of Fashion-MNIST per variant in six minutes, too little to
 * separate the variants. The exported PyTorch code is the same model with the same initial weights (its
 * predictions match ours: runtime/export/pytorch's tests) and train.py follows the document's recipe, at
 * about a quarter of our step time, so the same two cores give every variant several epochs. Each variant is exported from its
 * compiled document with its initial weights and trained by train.py on one thread, as many variants at a
 * time as there are cores.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageSplits } from '../runtime/data/types';
import type { HeraclesDocument } from '../runtime/document/schema';
import { exportPytorch } from '../runtime/export/pytorch';
import { compileDocument } from '../runtime/graph/compile';
import { dataInfoOf, imageTaskData } from '../runtime/train/task-data';
import { PYTHON, log, probeTorch } from './util';

export interface AblationRun {
  variant: string;
  params: number;
  epochs: number;
  minutes: number;
  accuracy: number;
  history: { epoch: number; val?: { accuracy: number } }[];
}

/** Exports `doc` with its initial weights into `dir` (a PyTorch folder with train.py). */
function exportVariant(doc: HeraclesDocument, data: ImageSplits, dir: string): number {
  const { model, analysis } = compileDocument(doc);
  try {
    const files = exportPytorch(model, { document: doc, data: dataInfoOf(data, imageTaskData(data)) });
    mkdirSync(dir, { recursive: true });
    for (const [name, body] of files) writeFileSync(path.join(dir, name), body);
    return analysis.totals.params;
  } finally {
    model.dispose();
  }
}

/** Runs train.py in `dir` on one thread; resolves with its per-epoch records and final summary. */
function trainPy(
  dir: string,
  dataDir: string,
  epochs: number,
): Promise<{ history: AblationRun['history']; summary: { seconds: number; test: { accuracy: number } } }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const args = ['train.py', '--data', dataDir, '--epochs', String(epochs), '--out', 'trained', '--cpu'];
    const p = spawn(PYTHON, args, { cwd: dir, env });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const lines = out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const summary = lines.find((l) => 'test' in l);
      if (code !== 0 || !summary)
        return reject(new Error(`train.py in ${dir} exited with ${code}: ${err.trim().split('\n').pop()}`));
      resolve({
        history: lines.filter((l) => 'epoch' in l) as AblationRun['history'],
        summary: summary as { seconds: number; test: { accuracy: number } },
      });
    });
  });
}

/**
 * Trains every variant for `epochs` epochs through its PyTorch export; `variants` maps a name to its
 * document. Runs as many at a time as there are cores, one thread each.
 */
export async function ablationThroughPytorch(
  variants: [string, HeraclesDocument][],
  data: ImageSplits,
  dataDir: string,
  epochs: number,
): Promise<AblationRun[]> {
  const probe = probeTorch();
  if (!probe.ok) throw new Error(probe.reason);
  const root = mkdtempSync(path.join(tmpdir(), 'heracles-ablation-'));
  try {
    const jobs = variants.map(([variant, doc], i) => {
      const dir = path.join(root, String(i));
      return { variant, dir, params: exportVariant(doc, data, dir) };
    });
    const runs: AblationRun[] = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        const { variant, dir, params } = jobs[i];
        log(`ablation-pytorch: training "${variant}" for ${epochs} epoch(s)`);
        const r = await trainPy(dir, dataDir, epochs);
        runs[i] = {
          variant,
          params,
          epochs: r.history.length,
          minutes: r.summary.seconds / 60,
          accuracy: r.summary.test.accuracy,
          history: r.history,
        };
        log(`ablation-pytorch: "${variant}" ${(100 * r.summary.test.accuracy).toFixed(2)}%`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, worker));
    return runs;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
