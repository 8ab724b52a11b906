/**
 * Training throughput of Heracles-tiny in the studio, per tfjs backend (webgpu, webgl, wasm with the
 * project's kernels, cpu) in headless Debian Chromium, against the Node runtime that `heracles train`
 * uses (wasm), with the same model, data and settings.
 *
 * Model: the `heracles-tiny` template fitted to the built-in 'shapes' demo (28×28×1, 6 classes);
 * AdamW, batch 64. In the studio the run is started from the Train panel's state (the real worker, the
 * real message protocol); step times are the gaps between the worker's batch events as the page
 * receives them, after 2 warm-up steps, median over up to 8 steps (or what fits in the time budget on
 * slow backends). In Node the same model trains through `train()` with the same data.
 *
 * Reuses build/ when it exists (HERACLES_BENCH_REBUILD=1 forces a build).
 * Run: npx tsx bench/studio-train.ts (or npm run bench -- studio-train).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { initNodeBackend } from '../runtime/backend/node';
import { demoShapes } from '../runtime/data/demo';
import { adaptToData } from '../runtime/document/adapt';
import { loadDocument } from '../runtime/document/load';
import type { HeraclesDocument } from '../runtime/document/schema';
import { compileDocument } from '../runtime/graph/compile';
import { taskDataOf } from '../runtime/train/task-data';
import { train } from '../runtime/train/trainer';
import { findChromium } from '../scripts/find-chromium.js';
import { buildStudio, CHROMIUM_ARGS, launchChromium, servePreview } from '../tests/e2e/serve';
import { fmt, isMain, log, median, ROOT, runStandalone, type BenchResult } from './util';
import { readFileSync } from 'node:fs';

const BATCH = 64;
const WARMUP = 2;
const STEPS = 8;
/** Per backend in the browser: stop measuring this long after the first step. */
const BUDGET_MS = 60_000;
/** Per backend: give up (and close its page, which ends its worker) when no step came by then. */
const DEADLINE_MS = 200_000;
// WebGPU last: on a software adapter its pre-flight alone can take minutes.
const BACKENDS = ['wasm', 'webgl', 'cpu', 'webgpu'] as const;
/** The shapes demo as the studio's Data panel makes it (3000 images, 10 % val, 20 % test, seed 0). */
const DATA = { count: 3000, seed: 0, valFraction: 0.1, testFraction: 0.2 };

function fittedDocument(): HeraclesDocument {
  const text = readFileSync(path.join(ROOT, 'templates', 'heracles-tiny.heracles.json'), 'utf8');
  const r = loadDocument(text);
  if (!r.ok) throw new Error('heracles-tiny does not load');
  const fitted = adaptToData(
    {
      ...r.doc,
      task: { kind: 'classification', inputShape: [28, 28, 1], classes: 6 },
      nodes: r.doc.nodes.map((n) =>
        n.type === 'ClassifierHead' ? { ...n, params: { ...n.params, classes: 6 } } : n,
      ),
    },
    { task: 'classification', imageShape: [28, 28, 1], classes: 6 },
  );
  if (!fitted.ok)
    throw new Error(`heracles-tiny does not fit the shapes demo: ${JSON.stringify(fitted.issues)}`);
  return { ...fitted.doc, training: { ...fitted.doc.training, batchSize: BATCH, epochs: 1, seed: 0 } };
}

interface Side {
  backend: string;
  where: 'studio (Chromium worker)' | 'Node (heracles train)';
  steps: number;
  msPerStep: number | null;
  samplesPerSec: number | null;
  note?: string;
  /** Main-thread long tasks (> 50 ms) while this backend trained: count and the longest, ms. */
  longTasks?: { count: number; max: number };
}

/** Node: the runtime `heracles train` drives, on wasm with the project's kernels. */
async function nodeSide(doc: HeraclesDocument): Promise<Side> {
  await initNodeBackend('wasm');
  const task = taskDataOf(demoShapes(DATA), {});
  const { model } = compileDocument(doc);
  const stamps: number[] = [];
  await train(
    model,
    task,
    { ...doc.training, validate: false },
    {
      onBatch: () => stamps.push(performance.now()),
      shouldStop: () => stamps.length >= WARMUP + STEPS + 1,
    },
  );
  model.dispose();
  const gaps = stamps
    .slice(WARMUP)
    .map((t, i, a) => (i ? t - a[i - 1] : NaN))
    .slice(1);
  const ms = median(gaps);
  return {
    backend: 'wasm',
    where: 'Node (heracles train)',
    steps: gaps.length,
    msPerStep: ms,
    samplesPerSec: (BATCH * 1000) / ms,
  };
}

type LabWindow = Window & {
  __heraclesLab: {
    train: {
      backend: string;
      phase: string;
      message: { text: string } | null;
      report: {
        backend: string;
        adapter?: { description: string; isFallbackAdapter: boolean };
        stepMs?: Record<string, number>;
      } | null;
      start(): Promise<void>;
      stop(): void;
      host: { setTraining(t: unknown): void; doc(): HeraclesDocument };
      client: { on(l: (e: { kind: string }) => void): () => void };
    };
  };
  __stamps?: number[];
  __listening?: boolean;
  __longtasks?: { start: number; duration: number }[];
};

async function browserSide(page: Page, backend: string): Promise<Side> {
  const where = 'studio (Chromium worker)' as const;
  const from = await page.evaluate((b) => {
    const w = window as unknown as LabWindow;
    const t = w.__heraclesLab.train;
    w.__stamps = [];
    // One listener for all backends (each run starts a fresh list).
    if (!w.__listening)
      t.client.on((e) => {
        if (e.kind === 'batch') w.__stamps?.push(performance.now());
      });
    w.__listening = true;
    t.backend = b;
    void t.start();
    return performance.now();
  }, backend);
  const t0 = Date.now();
  let firstStepAt = 0;
  for (;;) {
    await page.waitForTimeout(200);
    const s = await page.evaluate(() => {
      const w = window as unknown as LabWindow;
      return {
        n: w.__stamps?.length ?? 0,
        phase: w.__heraclesLab.train.phase,
        msg: w.__heraclesLab.train.message?.text,
      };
    });
    const n = s.n;
    if (n > 0 && !firstStepAt) firstStepAt = Date.now();
    if (s.phase === 'idle' && Date.now() - t0 > 2000) {
      if (n === 0)
        return {
          backend,
          where,
          steps: 0,
          msPerStep: null,
          samplesPerSec: null,
          note: s.msg ?? 'did not start',
        };
      break;
    }
    if (n >= WARMUP + STEPS + 1) break;
    if (firstStepAt && Date.now() - firstStepAt > BUDGET_MS && n >= WARMUP + 2) break;
    if (Date.now() - t0 > DEADLINE_MS) break;
  }
  const r = await page.evaluate((since) => {
    const w = window as unknown as LabWindow;
    w.__heraclesLab.train.stop();
    return {
      stamps: w.__stamps ?? [],
      report: w.__heraclesLab.train.report,
      longTasks: (w.__longtasks ?? []).filter((e) => e.start >= since),
    };
  }, from);
  for (let k = 0; k < 50; k++) {
    const phase = await page.evaluate(() => (window as unknown as LabWindow).__heraclesLab.train.phase);
    if (phase === 'idle') break;
    await page.waitForTimeout(200);
  }
  const gaps = r.stamps
    .slice(WARMUP)
    .map((t, i, a) => (i ? t - a[i - 1] : NaN))
    .slice(1);
  const longTasks = { count: r.longTasks.length, max: Math.max(0, ...r.longTasks.map((e) => e.duration)) };
  if (!gaps.length) {
    // Too slow for training steps in the budget: the pre-flight's timed step (after one warm-up) is all.
    const ms = r.report?.stepMs?.[backend];
    return ms === undefined
      ? {
          backend,
          where,
          steps: 0,
          msPerStep: null,
          samplesPerSec: null,
          note: `no step within ${DEADLINE_MS / 1000} s (pre-flight still running)`,
          longTasks,
        }
      : {
          backend,
          where,
          steps: 1,
          msPerStep: ms,
          samplesPerSec: (BATCH * 1000) / ms,
          note: 'pre-flight step only (slow)',
          longTasks,
        };
  }
  const ms = median(gaps);
  const adapter = r.report?.adapter;
  return {
    backend: r.report?.backend ?? backend,
    where,
    steps: gaps.length,
    msPerStep: ms,
    samplesPerSec: (BATCH * 1000) / ms,
    note: adapter
      ? `${adapter.description}${adapter.isFallbackAdapter ? ' (software fallback)' : ''}`
      : undefined,
    longTasks,
  };
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  let buildNote = 'reused build/';
  if (process.env.HERACLES_BENCH_REBUILD === '1' || !existsSync(path.join(ROOT, 'build', 'index.html'))) {
    log('building the studio (vite build) …');
    buildStudio();
    buildNote = 'built with vite build for this run';
  }
  const doc = fittedDocument();
  log('Node side …');
  const node = await nodeSide(doc);
  log(`Node wasm: ${fmt(node.msPerStep ?? NaN)} ms/step`);

  const served = await servePreview();
  const browser = await launchChromium(findChromium());
  const version = browser.version();
  const sides: Side[] = [];
  try {
    for (const b of BACKENDS) {
      // A fresh page per backend: a backend stuck in its pre-flight cannot hold up the next one.
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
      await context.addInitScript(`
        window.__longtasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
        }).observe({ type: 'longtask' });
      `);
      const page = await context.newPage();
      page.setDefaultTimeout(90_000); // a busy 2-core machine
      await page.goto(served.baseURL, { waitUntil: 'load' });
      await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
      await page.getByTestId('open-file').setInputFiles({
        name: 'heracles-tiny-shapes.heracles.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(doc)),
      });
      await page.getByTestId('dock-tab-data').click();
      await page.getByRole('button', { name: 'Shapes (images)' }).click();
      await page.getByTestId('data-summary').waitFor();
      await page.getByTestId('dock-tab-train').click();
      await page.getByTestId('train-panel').waitFor();
      log(`studio ${b} …`);
      const side = await browserSide(page, b).catch((e: unknown): Side => ({
        backend: b,
        where: 'studio (Chromium worker)',
        steps: 0,
        msPerStep: null,
        samplesPerSec: null,
        note: `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      }));
      log(
        `studio ${b}: ${side.msPerStep === null ? side.note : `${fmt(side.msPerStep)} ms/step over ${side.steps}`}`,
      );
      sides.push(side);
      await context.close();
    }
  } finally {
    await browser.close();
    await served.stop();
  }
  const all = [...sides, node];
  const wasmStudio = sides.find((s) => s.backend === 'wasm' && s.msPerStep !== null);
  const best = sides
    .filter((s) => s.msPerStep !== null)
    .sort((a, b) => (a.msPerStep as number) - (b.msPerStep as number))[0];
  const ratio = wasmStudio && node.msPerStep ? (wasmStudio.msPerStep as number) / node.msPerStep : null;
  return {
    name: 'studio-train',
    title: 'Studio training throughput per backend vs heracles train (Node)',
    date: new Date().toISOString(),
    description:
      `Heracles-tiny (the template, head fitted to 6 classes) on the studio's 'shapes' demo (28×28×1, 2100 training images), AdamW, batch ${BATCH}. ` +
      `Studio: headless Debian Chromium ${version} (${CHROMIUM_ARGS.join(' ')}), training in the studio's Web Worker started from the Train panel's state with the backend forced; ` +
      `ms/step = median gap between the worker's batch events after ${WARMUP} warm-up steps (up to ${STEPS} steps, less on slow backends: ${BUDGET_MS / 1000} s budget). ` +
      `Node: the same document, data and settings through the runtime \`heracles train\` uses (wasm with the project's kernels), measured the same way.`,
    target: 'report only (the studio on wasm should be within ~1.5× of Node)',
    headline: best
      ? `fastest in the studio: ${best.backend} ${fmt(best.msPerStep as number)} ms/step (${fmt(best.samplesPerSec as number, 0)} samples/s); Node wasm ${fmt(node.msPerStep as number)} ms/step` +
        (ratio ? `; studio wasm / Node = ${fmt(ratio, 2)}×` : '')
      : 'no backend trained in the studio',
    pass: null,
    tables: [
      {
        caption: `Heracles-tiny training step, batch ${BATCH}`,
        headers: [
          'where',
          'backend',
          'ms/step',
          'samples/s',
          'steps timed',
          'main-thread long tasks (max ms)',
          'note',
        ],
        rows: all.map((s) => [
          s.where,
          s.backend,
          s.msPerStep === null ? '—' : fmt(s.msPerStep),
          s.samplesPerSec === null ? '—' : fmt(s.samplesPerSec, 0),
          s.steps,
          s.longTasks ? `${s.longTasks.count} (${fmt(s.longTasks.max)})` : '—',
          s.note ?? '',
        ]),
      },
    ],
    notes: [
      `Build: ${buildNote}. WebGPU here is SwiftShader (a CPU fallback adapter): its figure says nothing about a real GPU; on such machines the studio's Auto backend picks wasm. No real GPU was available for this run.`,
      'The studio and Node share the machine (2 cores) with other jobs; the studio side also pays the worker message per batch and the live charts.',
      "Long tasks: PerformanceObserver 'longtask' entries (> 50 ms) on the page's main thread from the start of each backend's run (pre-flight included) to its stop; the training itself runs in the worker.",
    ],
    data: { sides: all, batch: BATCH },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
