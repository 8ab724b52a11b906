/**
 * `npm run bench:accuracy -- <experiment> [...]`: the models on real data, each within a fixed time budget
 * on this machine, written to bench/results/accuracy-<experiment>.json and into docs/benchmarks.md.
 *
 *   fashion-mnist, mnist          heracles-tiny, 30 min of training (test accuracy)
 *   etth1-96, etth1-336, ettm1-96, ettm1-336
 *                                 heracles-ts, lookback 96, 15 min (test MSE / MAE, standardised)
 *   transfer                      MNIST backbone fine-tuned on 1,000 Fashion-MNIST images vs from scratch
 *   transfer-ett                  ETTm1 backbone fine-tuned on ETTh1 (transfer template) vs from scratch
 *   ablation                      heracles-tiny variants on Fashion-MNIST, same budget and seed
 *   ablation-pytorch              the same variants for 5 epochs each, trained through their PyTorch export
 *
 * HERACLES_DATA points at the data folder (default ../shared/data); HERACLES_ACC_SCALE multiplies every
 * time budget (e.g. 0.1 for a quick check — results are then marked as such).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../runtime/backend/node';
import { loadDataPath } from '../runtime/data/node';
import type { ImageSplits } from '../runtime/data/types';
import type { HeraclesDocument } from '../runtime/document/schema';
import { compileDocument } from '../runtime/graph/compile';
import { imageTaskData, seriesTaskData } from '../runtime/train/task-data';
import { ablationThroughPytorch } from './ablation-pytorch';
import type { AblationRun } from './ablation-pytorch';
import { DATA, SCALE, base, epochsFor, fit, pct, preset, run } from './accuracy-run';
import { transfer, transferEtt } from './transfer';
import { writeResult, log } from './util';
import type { BenchResult } from './util';

async function images(name: 'fashion-mnist' | 'mnist'): Promise<BenchResult> {
  const t0 = performance.now();
  const data = (await loadDataPath(path.join(DATA, name))) as ImageSplits;
  const doc = fit(preset('heracles-tiny'), data);
  if (batchAsked !== undefined) doc.training.batchSize = batchAsked;
  const minutes = 30 * SCALE;
  const r = await run(doc, imageTaskData(data), minutes, epochsAsked);
  const goal = name === 'mnist' ? 0.99 : 0.92;
  const inBudget = r.minutes <= minutes * 1.005;
  return {
    ...base(
      name,
      `Heracles-tiny on ${name === 'mnist' ? 'MNIST' : 'Fashion-MNIST'}`,
      `test accuracy ≥ ${pct(goal)} within 30 min of training`,
    ),
    headline: `${pct(r.summary.accuracy)} after ${r.epochs} epoch(s), ${r.minutes.toFixed(1)} min`,
    pass: SCALE === 1 ? r.summary.accuracy >= goal && inBudget : null,
    tables: [
      {
        headers: ['model', 'params', 'threads', 'batch', 'epochs', 'minutes', 'test accuracy', 'top-5'],
        rows: [
          [
            'heracles-tiny',
            r.params.toLocaleString('en-US'),
            r.threads,
            doc.training.batchSize,
            r.epochs,
            r.minutes.toFixed(1),
            pct(r.summary.accuracy),
            pct(r.summary.top5),
          ],
        ],
      },
    ],
    notes: [
      `Published reference for this budget: a PyTorch build of the same model reaches 92.8% on Fashion-MNIST in ~13 min on 2 threads (docs/platform.md), about 8–9 epochs at its speed.`,
      `Recipe: heracles-tiny's own (AdamW, lr ${doc.training.learningRate}, cosine with ${doc.training.warmupEpochs}-epoch warm-up, label smoothing ${doc.training.labelSmoothing}, seed ${doc.training.seed}) at batch ${doc.training.batchSize}; the same run from the CLI: \`heracles train heracles-tiny --data fashion-mnist --batch-size ${doc.training.batchSize} --epochs ${r.epochs}\`.`,
      ...(!inBudget
        ? [
            `Over budget, so not a pass whatever the accuracy: the ${r.epochs} epochs took ${r.minutes.toFixed(1)} min, not ${minutes.toFixed(0)}. ${r.plannedStepMs ? `The pre-flight measured ${r.plannedStepMs.toFixed(0)} ms per step and sized the run by it` : `The epochs were set with --epochs`}; the run itself averaged ${((r.minutes * 60_000) / (r.epochs * Math.ceil(data.train.count / doc.training.batchSize))).toFixed(0)} ms per step (validation included).`,
          ]
        : []),
      ...(name === 'fashion-mnist'
        ? [
            "What changed on 2026-12-08: the stem. heracles-tiny now puts its stride 2 on the stem's last 3×3 conv instead of the first 7×7 one, so the three inner convs see the full 28×28 image (same 1,372,698 parameters, 20.3 instead of 17.2 MMACs per sample). Measured through the PyTorch export (`train.py`, one thread, batch 64, 10-epoch schedule, same initial weights): validation 90.9 → 90.3 → 91.8 → 92.4 → 92.5 → 92.7 → 92.6% over epochs 4–10 and **92.32% test**, against 91.25% for the old stem with random flips and erasing, 91.40% with flips alone, and 90.93% / 90.12% at lr 1e-3 / 5e-4 for 8 epochs (the old stem, no augmentation). Before it, with the stride first, heracles-tiny levelled off near 91.2% while its training loss still fell (our runtime: 91.26% after 11 epochs at batch 64, 90.91% after 9 at batch 128).",
            "Batch 64 (the preset's own): the PyTorch check above is at 64 too; batch 128 trains ~1.2× more samples per second on two threads here, but with the old stem 9 epochs at 128 reached 90.91% against 91.26% for 11 at 64.",
          ]
        : []),
    ],
    data: { ...r },
    seconds: (performance.now() - t0) / 1000,
  };
}

const PUBLISHED: Record<string, [string, string, string]> = {
  'etth1-96': ['0.379 / 0.395', '0.385 / 0.408', '0.386 / 0.400'],
  'etth1-336': ['0.473 / 0.443', '0.485 / 0.462', '0.481 / 0.459'],
  'ettm1-96': ['0.324 / 0.360', '0.339 / 0.377', '0.345 / 0.372'],
  'ettm1-336': ['— ', '—', '—'],
};

async function series(name: string): Promise<BenchResult> {
  const t0 = performance.now();
  const [set, horizon] = name.split('-');
  const file = set === 'etth1' ? 'ett/ETTh1.csv' : 'ett/ETTm1.csv.gz';
  const data = await loadDataPath(path.join(DATA, file));
  if (data.kind !== 'series') throw new Error('expected a series');
  const doc = fit(preset('heracles-ts'), data, { lookback: 96, horizon: Number(horizon) });
  const task = seriesTaskData(data, 96, Number(horizon));
  // The document's epoch count is part of the recipe (the cosine schedule spans it and early stopping is
  // tuned to it); the budget only lowers it when that many epochs would not fit in 15 min on this machine.
  const fits = (await epochsFor(doc, task, 15 * SCALE)).epochs;
  const r = await run(doc, task, 15 * SCALE, Math.min(doc.training.epochs, fits));
  const goal = name === 'etth1-96' ? 0.385 : name === 'ettm1-96' ? 0.335 : undefined;
  const [simba, patchtst, dlinear] = PUBLISHED[name];
  return {
    ...base(
      name,
      `Heracles-TS on ${set === 'etth1' ? 'ETTh1' : 'ETTm1'}, horizon ${horizon}`,
      goal ? `test MSE ≤ ${goal} within 15 min` : 'reported beside SiMBA, PatchTST, DLinear',
    ),
    headline: `MSE ${r.summary.mse.toFixed(3)} / MAE ${r.summary.mae.toFixed(3)} (${r.epochs} epochs, ${r.minutes.toFixed(1)} min)`,
    pass: goal && SCALE === 1 ? r.summary.mse <= goal : null,
    tables: [
      {
        caption: 'test MSE / MAE on train-standardised values, lookback 96',
        headers: ['Heracles-TS (ours)', 'SiMBA', 'PatchTST', 'DLinear'],
        rows: [[`${r.summary.mse.toFixed(3)} / ${r.summary.mae.toFixed(3)}`, simba, patchtst, dlinear]],
      },
    ],
    notes: [
      `Epochs: the document's ${doc.training.epochs} unless fewer fit the budget (the measured step time said ${fits} would); early stopping (patience ${doc.training.earlyStoppingPatience}) keeps the weights of the best validation epoch, and test is evaluated once with them.`,
    ],
    data: { ...r },
    seconds: (performance.now() - t0) / 1000,
  };
}

const VARIANTS = ['full', 'no Hartley SSM', 'no local conv SSM', 'no attention', 'DCT instead of DHT'];

/** heracles-tiny with one ingredient changed. */
function variant(doc: HeraclesDocument, v: string): HeraclesDocument {
  const d = structuredClone(doc);
  d.metadata.name = `heracles-tiny (${v})`;
  for (const n of d.nodes) {
    if (n.type !== 'Stage') continue;
    const early = n.params.mixer === 'ssm';
    if (v === 'no Hartley SSM' && early) n.params.mixer = 'local';
    if (v === 'no local conv SSM' && early) n.params.mixer = 'hartley';
    if (v === 'no attention' && !early) n.params.mixer = 'ssm';
    if (v === 'DCT instead of DHT') n.params.transform = 'dct';
  }
  return d;
}

async function ablation(): Promise<BenchResult> {
  const t0 = performance.now();
  const data = (await loadDataPath(path.join(DATA, 'fashion-mnist'))) as ImageSplits;
  const task = imageTaskData(data);
  const full = fit(preset('heracles-tiny'), data);
  const minutes = 6 * SCALE;
  const { epochs } = await epochsFor(full, task, minutes);
  const rows: (string | number)[][] = [];
  const out: Record<string, number> = {};
  for (const v of VARIANTS) {
    const doc = v === 'full' ? full : variant(full, v);
    const r = await run(doc, task, minutes * 1.5, epochs);
    const params = compileDocument(doc);
    const count = params.analysis.totals.params;
    params.model.dispose();
    out[v] = r.summary.accuracy;
    rows.push([v, count.toLocaleString('en-US'), r.epochs, r.minutes.toFixed(1), pct(r.summary.accuracy)]);
  }
  return {
    ...base(
      'ablation',
      'Ablation of heracles-tiny on Fashion-MNIST',
      'same budget and seed for every variant',
    ),
    headline: Object.entries(out)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', '),
    pass: null,
    tables: [{ headers: ['variant', 'params', 'epochs', 'minutes', 'test accuracy'], rows }],
    notes: [
      `Every variant trains the same number of epochs (${epochs}, sized from the full model's step time for a ${minutes.toFixed(1)}-min budget) with seed ${full.training.seed}.`,
    ],
    data: out,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The same ablation at several epochs per variant, trained through each variant's PyTorch export. */
async function ablationPytorch(): Promise<BenchResult> {
  const t0 = performance.now();
  const dir = path.join(DATA, 'fashion-mnist');
  const data = (await loadDataPath(dir)) as ImageSplits;
  const full = fit(preset('heracles-tiny'), data);
  const epochs = Math.max(1, Math.round(5 * SCALE));
  const runs = await ablationThroughPytorch(
    VARIANTS.map((v) => [v, v === 'full' ? full : variant(full, v)]),
    data,
    dir,
    epochs,
  );
  const curve = (r: AblationRun) =>
    r.history.map((h) => (100 * (h.val?.accuracy ?? NaN)).toFixed(1)).join(' → ');
  return {
    ...base(
      'ablation-pytorch',
      'Ablation of heracles-tiny on Fashion-MNIST, through the PyTorch export',
      'same epochs, seed and initial weights for every variant',
    ),
    description: `Each variant is compiled by the runtime, exported with its initial weights (\`heracles export --format pytorch\`) and trained by the export's train.py with the document's recipe (AdamW, cosine, label smoothing) on one CPU thread, two variants at a time; ${epochs} epochs each.`,
    headline: runs.map((r) => `${r.variant} ${pct(r.accuracy)}`).join(', '),
    pass: null,
    tables: [
      {
        headers: [
          'variant',
          'params',
          'epochs',
          'minutes',
          'validation accuracy by epoch (%)',
          'test accuracy',
        ],
        rows: runs.map((r) => [
          r.variant,
          r.params.toLocaleString('en-US'),
          r.epochs,
          r.minutes.toFixed(1),
          curve(r),
          pct(r.accuracy),
        ]),
      },
    ],
    notes: [
      `Why through the export: our wasm runtime trains about one epoch per variant in the 6-minute budget of the \`ablation\` experiment, too little to tell the variants apart; the exported PyTorch code of the same documents runs a step about four times faster (\`step-vs-pytorch\`), so the same machine gives each variant ${epochs} epochs.`,
      'One seed: differences of a few tenths of a point are within seed-to-seed noise.',
    ],
    data: Object.fromEntries(runs.map((r) => [r.variant, r.accuracy])),
    seconds: (performance.now() - t0) / 1000,
  };
}

const EXPERIMENTS: Record<string, () => Promise<BenchResult>> = {
  'fashion-mnist': () => images('fashion-mnist'),
  mnist: () => images('mnist'),
  'etth1-96': () => series('etth1-96'),
  'etth1-336': () => series('etth1-336'),
  'ettm1-96': () => series('ettm1-96'),
  'ettm1-336': () => series('ettm1-336'),
  transfer,
  'transfer-ett': transferEtt,
  ablation,
  'ablation-pytorch': ablationPytorch,
};

/** `--epochs N`: the image experiments train N epochs instead of what the pre-flight says fits. */
let epochsAsked: number | undefined;
/** `--batch-size B`: the image experiments' batch size instead of the one chosen above. */
let batchAsked: number | undefined;

/** Removes `--name N` from `args`; the number, NaN when it is missing, undefined when the flag is absent. */
function numberFlag(args: string[], name: string): number | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
}
const positiveInt = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n > 0);

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  epochsAsked = numberFlag(args, '--epochs');
  batchAsked = numberFlag(args, '--batch-size');
  const asked = args; // the experiments' names, once the flags are taken out
  const unknown = asked.filter((a) => !EXPERIMENTS[a]);
  if (asked.length === 0 || unknown.length || !positiveInt(epochsAsked) || !positiveInt(batchAsked)) {
    console.error(
      `usage: npm run bench:accuracy -- <${Object.keys(EXPERIMENTS).join('|')}> [...] [--epochs N] [--batch-size B] (both for fashion-mnist, mnist)`,
    );
    process.exit(2);
  }
  if (!existsSync(DATA)) {
    console.error(`no data at ${DATA}; set HERACLES_DATA`);
    process.exit(2);
  }
  await initNodeBackend('wasm');
  for (const name of asked) {
    const r = await EXPERIMENTS[name]();
    log(`${r.title}: ${r.headline}`);
    await writeResult(r);
  }
  const { writeReport } = await import('./report');
  writeReport();
}

await main();
