/**
 * (a) One training step (forward + backward + AdamW update) of Heracles-tiny (28×28×1, batch 64): ours on
 * Node wasm vs the same model in PyTorch on CPU (bench/pytorch/heracles_tiny.py, Debian python3-torch).
 * Target: ours ≤ 2.0× PyTorch (2 threads). Then a kernel profile of our step: what stands between us and parity.
 *
 * Both sides run in one process tree and are measured in interleaved rounds (ours, PyTorch 2 threads,
 * PyTorch 1 thread, repeated), so load from other processes on the machine hits both alike.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { initNodeBackend } from '../runtime/backend/node';
import { fusedKernelsFma } from '../runtime/backend/fused-kernels';
import { fusedKernelsActive, markFusedKernels, wasmMemory } from '../runtime/backend/fused-ops';
import * as wasmKernels from '../runtime/backend/wasm-kernels';
import { compileDocument } from '../runtime/graph/compile';
import { startNodeHelpers } from '../runtime/train/helpers/node';
import { shardedGradients } from '../runtime/train/helpers/shards';
import { Optimizer } from '../runtime/train/optimizer';
import type { TaskData } from '../runtime/train/task-data';
import { TINY, tinyDocument } from './model';
import { dispatchOverheadUs, profileKernels } from './profile';
import type { KernelRow } from './profile';
import {
  BENCH_DIR,
  PYTHON,
  fmt,
  fmtRatio,
  isMain,
  log,
  probeTorch,
  runStandalone,
  summarize,
  timeIt,
  type BenchResult,
  type Timing,
} from './util';

const BATCH = 64;
const LR = 1e-3;
const WEIGHT_DECAY = 0.05;
/**
 * Rounds of (1 step of ours on 1 thread, 1 on 2 threads, TORCH_PER_ROUND PyTorch steps at 2 threads, the
 * same at 1 thread).
 */
const ROUNDS = 8;
const TORCH_PER_ROUND = 2;
const TARGET = 2.0;

/** A line-oriented JSON conversation with bench/pytorch/heracles_tiny.py. */
class TorchTwin {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    this.proc = spawn(
      PYTHON,
      [path.join(BENCH_DIR, 'pytorch', 'heracles_tiny.py'), '--batch', String(BATCH)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async ask<T>(cmd: Record<string, unknown>): Promise<T> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const next = await this.lines.next();
    if (next.done)
      throw new Error(`the PyTorch twin exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(next.value) as T;
  }

  close(): void {
    try {
      this.proc.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
      this.proc.stdin.end();
    } catch {
      /* already gone */
    }
  }
}

/** What each kernel that tends to top the profile is, and what would make it cheaper. */
const kernelNotes = (): Record<string, string> => ({
  BatchMatMul: `Every product (\`linear()\`'s gradients, the spectral transforms, attention's [B, heads, N, d] scores and weighted sums) runs in the project's GEMM (\`runtime/backend/gemm.ts\`, ADR 0008): transposed operands are read through strides, the smaller operand is the one packed, and a batch of small products (attention's heads, the spectral transforms' per-row products) runs in one call.`,
  _FusedMatMul: `Dense layers' forward (matmul + bias), the project's GEMM with the bias added as the tiles are stored.`,
  Conv2DBackpropInput: `Input gradient of every Conv2D: col2im(dy·Wᵀ) with the project's GEMM when there are 32 or more output channels; below that a phase-decomposed stride-1 XNNPACK conv, which needs no patch matrix.`,
  Conv2DBackpropFilter: `Filter gradient of every Conv2D: Pᵀ·dy, the im2col patch matrix of the input against the output gradient, in the project's GEMM.`,
  FusedConv2D: `Forward convs: P·W + bias in the project's GEMM for 32 or more output channels; the stem's 16-channel convs stay in XNNPACK (the patch copy would cost more than the faster GEMM saves).`,
  DepthwiseConv2dNativeBackpropFilter: `Filter gradient of the depthwise convs (local SSM, FFN): the project's fused SIMD kernel, one pass over x and dy with the tap sums in cache.`,
  Sum: `Bias gradients and the broadcast gradients of LayerNorm/BatchNorm: leading-axis reductions run as the project's column sum (one pass, 16 sums in registers) instead of wasm's transpose-then-reduce.`,
  HeraclesGeluGrad: `Exact-GELU gradient, the project's fused SIMD kernel (erf and exp as polynomials, one pass).`,
  HeraclesGelu: `Exact GELU (erf form, as PyTorch's), the project's fused SIMD kernel.`,
  Erf: `Exact GELU (erf) where the fused kernel does not run; wasm's Erf is a scalar loop.`,
  Exp: `Softmax and the exact-GELU gradient; computed through XNNPACK's vectorised sigmoid.`,
  Multiply: `Element-wise products: LayerNorm/GELU forward and backward, and ~3 per parameter tensor in the optimizer update.`,
  Add: `Residual adds, biases, gradient accumulation and the optimizer update.`,
  Transpose: `Layout changes of the attention heads.`,
});

interface TorchInfo {
  params: number;
  torch: string;
  threads: number;
  blas: string;
}
interface TorchTimes {
  times_ms: number[];
  loss: number;
}

/** Median ms of `f` (which returns a tensor to read back and dispose). */
async function ms(f: () => tf.Tensor, reps = 15): Promise<number> {
  const t = await timeIt(
    () => {
      const y = f();
      y.dataSync();
      y.dispose();
    },
    { warmup: 3, reps },
  );
  return t.median;
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  await initNodeBackend('wasm');
  const { model, analysis: tinyAnalysis } = compileDocument(tinyDocument(TINY, 1));
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const trainable = vars.reduce((s, v) => s + v.size, 0);
  const total = model.countParams();

  // The runtime's AdamW (decoupled weight decay on weights of rank ≥ 2, as the PyTorch twin sets up).
  const adamw = new Optimizer({ name: 'adamw', weightDecay: WEIGHT_DECAY, momentum: 0 });
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 2), 10);
  const lossOn = (xs: tf.Tensor, ys: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar;
  const lossFn = () => lossOn(x, y);
  const step = (): number => {
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const list = vars.map((v) => grads[v.name]);
    adamw.apply(vars, list, LR);
    tf.dispose(list);
    const loss = value.dataSync()[0];
    value.dispose();
    return loss;
  };
  const timeStep = (): number => {
    const s = performance.now();
    step();
    return performance.now() - s;
  };
  // The same step on two threads, as `heracles train` runs it on two cores: a gradient helper on a worker
  // thread computes half the batch (runtime/train/helpers), the optimizer runs here.
  const labels = tf.argMax(y, 1);
  const allIdx = Int32Array.from({ length: BATCH }, (_, i) => i);
  const batchData = {
    task: 'classification',
    classes: 10,
    batch: (_split: string, idx: ArrayLike<number>) => ({
      x: tf.gather(x, Array.from(idx)),
      y: tf.gather(labels, Array.from(idx)),
    }),
  } as unknown as TaskData;
  const document = tinyDocument(TINY, 1);
  const helpers = await startNodeHelpers(1, { model, document, backend: 'wasm', task: batchData });
  const timeStep2 = async (): Promise<number> => {
    const s = performance.now();
    const { grads } = await shardedGradients(model, vars, batchData, allIdx, 0, helpers);
    adamw.apply(vars, grads, LR);
    tf.dispose(grads);
    await vars[0].data();
    return performance.now() - s;
  };

  const probe = probeTorch();
  let twin: TorchTwin | undefined;
  let torchInfo: TorchInfo | undefined;
  let torchError: string | undefined = probe.ok ? undefined : probe.reason;
  if (probe.ok) {
    try {
      twin = new TorchTwin();
      torchInfo = await twin.ask<TorchInfo>({ cmd: 'info' });
    } catch (e) {
      torchError = `the PyTorch twin failed: ${(e as Error).message}`;
      twin?.close();
      twin = undefined;
    }
  }

  log('step-vs-pytorch: warm-up');
  for (let i = 0; i < 3; i++) step();
  for (let i = 0; i < 2; i++) await timeStep2();
  if (twin) await twin.ask<TorchTimes>({ cmd: 'time', steps: 4, threads: 2 });

  const ours: number[] = [];
  const ours2: number[] = [];
  const torch2: number[] = [];
  const torch1: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(timeStep());
    ours2.push(await timeStep2());
    if (twin) {
      try {
        torch2.push(
          ...(await twin.ask<TorchTimes>({ cmd: 'time', steps: TORCH_PER_ROUND, threads: 2 })).times_ms,
        );
        torch1.push(
          ...(await twin.ask<TorchTimes>({ cmd: 'time', steps: TORCH_PER_ROUND, threads: 1 })).times_ms,
        );
      } catch (e) {
        torchError = `the PyTorch twin failed: ${(e as Error).message}`;
        twin.close();
        twin = undefined;
      }
    }
    log(
      `round ${r + 1}: ours ${fmt(ours[ours.length - 1])} ms, ours on 2 threads ${fmt(ours2[ours2.length - 1])} ms, torch2 ${fmt(torch2[torch2.length - 1] ?? NaN)} ms`,
    );
  }
  // PyTorch's forward alone and one-core GEMM throughput, for the split below.
  const torchFwd: number[] = [];
  let torchGemm: number[] = [];
  if (twin) {
    try {
      await twin.ask<TorchTimes>({ cmd: 'forward', steps: 3, threads: 1 });
      torchFwd.push(...(await twin.ask<TorchTimes>({ cmd: 'forward', steps: 7, threads: 1 })).times_ms);
      torchGemm = (await twin.ask<TorchTimes>({ cmd: 'gemm', m: 1024, k: 128, n: 512, reps: 20, threads: 1 }))
        .times_ms;
    } catch (e) {
      torchError = `the PyTorch twin failed: ${(e as Error).message}`;
    }
  }
  twin?.close();
  await helpers.close();
  labels.dispose();

  // Where our step goes: forward, forward + backward, update.
  const fwd: number[] = [];
  const fb: number[] = [];
  const upd: number[] = [];
  for (let r = 0; r < 3; r++) {
    let s = performance.now();
    tf.tidy(() => lossFn().dataSync());
    fwd.push(performance.now() - s);
    s = performance.now();
    const g = tf.variableGrads(lossFn, vars);
    g.value.dataSync();
    fb.push(performance.now() - s);
    s = performance.now();
    const list = vars.map((v) => g.grads[v.name]);
    adamw.apply(vars, list, LR);
    tf.dispose(list);
    g.value.dispose();
    tf.tidy(() => tf.sum(vars[0]).dataSync());
    upd.push(performance.now() - s);
  }

  // Half a batch's gradients on one thread with the other core idle: what each thread would take on two
  // threads if they did not slow each other down.
  const half: number[] = [];
  {
    const xh = x.slice(0, BATCH / 2);
    const yh = y.slice(0, BATCH / 2);
    for (let r = 0; r < 5; r++) {
      const s = performance.now();
      const g = tf.variableGrads(() => lossOn(xh, yh), vars);
      g.value.dataSync();
      if (r > 0) half.push(performance.now() - s);
      tf.dispose([g.value, ...Object.values(g.grads)]);
    }
    tf.dispose([xh, yh]);
  }

  log('step-vs-pytorch: profiling');
  const prof = await profileKernels(() => void step());
  const perKernelUs = dispatchOverheadUs();
  const ga = tf.randomNormal([1024, 128], 0, 1, 'float32', 10);
  const gb = tf.randomNormal([128, 512], 0, 1, 'float32', 11);
  const oursGemm = await ms(() => tf.matMul(ga, gb), 20);
  // The same product in XNNPACK (what tfjs's wasm backend calls), with the fused kernels off for a moment.
  const fma = fusedKernelsFma();
  markFusedKernels(null);
  const xnnGemm = await ms(() => tf.matMul(ga, gb), 20).finally(() => markFusedKernels(wasmMemory() ?? null));
  tf.dispose([ga, gb]);
  const gemmMacs = 1024 * 128 * 512;
  const torchGemmMs = torchGemm.length ? summarize(torchGemm).median : NaN;
  const torchFwdMs = torchFwd.length ? summarize(torchFwd).median : NaN;
  const wasmThreads = getThreadsCount();
  const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');

  const o = summarize(ours);
  const o2 = summarize(ours2);
  const t2: Timing | undefined = torch2.length ? summarize(torch2) : undefined;
  const t1: Timing | undefined = torch1.length ? summarize(torch1) : undefined;
  const ratio2 = t2 ? o2.median / t2.median : NaN;
  const ratio1 = t1 ? o2.median / t1.median : NaN;
  // Judged against PyTorch at 2 threads, unless 1 thread measured faster: on a loaded 2-core machine
  // OpenMP's spin-waiting threads can make the 2-thread step several times slower, and that must not
  // flatter us. So the baseline is the faster of the two, never the slower.
  const baseline = t2 && t1 && t1.median < t2.median ? t1 : t2;
  // Judged: ours on two threads (both sides then use the two cores).
  const ratio = baseline ? o2.median / baseline.median : NaN;
  const notMeasured = `not measured: ${torchError ?? 'unknown reason'}`;
  const row = (label: string, t: Timing | undefined, r: number) =>
    t
      ? [label, fmt(t.median), fmt(t.min), fmt(t.max), t.times.length, fmtRatio(r)]
      : [label, notMeasured, '', '', '', ''];

  const top = prof.byName.slice(0, 14);
  const pct = (k: KernelRow) => `${((100 * k.ms) / prof.kernelMs).toFixed(1)}%`;
  const notes: string[] = [
    `Model: the document built in \`bench/model.ts\` — Input [28,28,1] → ConvStem(dim 32, width 16, stride 2) → Stage(32, depth 1, ssm) → Stage(64, depth 1, downsample, ssm) → Stage(128, depth 2, downsample, attention, 4 heads) → Stage(160, depth 1, downsample, attention, 5 heads) → ClassAttention(5 heads) → ClassifierHead(10); MLP ratio 4 everywhere, transform dht2d. Token grids 14² → 7² → 4² → 2². **${trainable.toLocaleString('en-US')} trainable parameters** (${total.toLocaleString('en-US')} with the BatchNorm moving statistics); the PyTorch twin has ${torchInfo ? torchInfo.params.toLocaleString('en-US') : '—'}.`,
    `Optimizer: the runtime's AdamW (\`runtime/train/optimizer.ts\`, β 0.9/0.999, ε 1e-8, decoupled weight decay 0.05) against \`torch.optim.AdamW(lr=1e-3, weight_decay=0.05)\`. Loss: softmax cross-entropy on random inputs and labels (same on both sides).`,
    `PyTorch: ${torchInfo ? `${torchInfo.torch}, BLAS ${torchInfo.blas}` : notMeasured}. Ours: tfjs wasm backend, SIMD ${simd ? 'on' : 'off'}, ${wasmThreads} thread (WASM_HAS_MULTITHREAD_SUPPORT = ${mt}).`,
    `Rounds: ${ROUNDS} × (1 step of ours, ${TORCH_PER_ROUND} PyTorch steps at 2 threads, ${TORCH_PER_ROUND} at 1 thread), interleaved so that load from other processes hits both sides alike, after 3 + 4 warm-up steps; medians. The judged ratio is against PyTorch at 2 threads as the target says — unless PyTorch at 1 thread measured faster in this run (OpenMP threads spin-wait and stall when another process holds one of the two cores), in which case the faster figure is used, never the slower. This run: ${baseline === t1 ? 'the 1-thread figure was faster and is the baseline' : 'the 2-thread figure is the baseline'}. The reference figure in docs/platform.md for this model is 96–122 ms per step at 2 threads on an idle machine.`,
  ];

  const fwdMs = summarize(fwd).median;
  const fbMs = summarize(fb).median;
  const updMs = summarize(upd).median;
  const halfMs = summarize(half).median;
  const kms = (name: string) => prof.byName.find((k) => k.name === name)?.ms ?? 0;
  // Matrix products and convolutions (forward and gradients): the arithmetic-bound part of the step.
  const productMs = prof.byName
    .filter((k) => /MatMul|Conv2D|Depthwise/.test(k.name))
    .reduce((acc, k) => acc + k.ms, 0);
  const oursGmacs = gemmMacs / oursGemm / 1e6;
  const xnnGmacs = gemmMacs / xnnGemm / 1e6;
  const torchGmacs = gemmMacs / torchGemmMs / 1e6;
  const replaced = (wasmKernels as Record<string, unknown>).WASM_REPLACED_KERNEL_NAMES as
    string[] | undefined;
  const analysis: string[] = [
    `**Per-core arithmetic.** A plain 1024×128×512 matmul takes ${fmt(oursGemm, 2)} ms in ours (the project's GEMM, wasm SIMD128 ${fma ? "with relaxed SIMD's fused multiply-add" : 'without fused multiply-add'}: ${fmt(oursGmacs)} GMAC/s), ${fmt(xnnGemm, 2)} ms in XNNPACK as tfjs 4.22 builds it (no fused multiply-add, B packed on every call: ${fmt(xnnGmacs)} GMAC/s) and ${fmt(torchGemmMs, 2)} ms in PyTorch on one thread (OpenBLAS, AVX2 + FMA: ${fmt(torchGmacs)} GMAC/s) — ours is ${fmtRatio(oursGemm / torchGemmMs)} OpenBLAS. A wasm vector is 128 bits and an AVX2 one 256, so on this CPU wasm's ceiling is half of OpenBLAS's rate; our 4×8 register tile runs close to it on the step's larger products.`,
    `**Threads.** tfjs-backend-wasm never uses threads in Node: its \`WASM_HAS_MULTITHREAD_SUPPORT\` flag returns false when \`IS_NODE\` (tfjs issue #3830), so the single-thread SIMD binary is loaded and \`setThreadsCount\` has no effect (getThreadsCount() = ${wasmThreads}). Forcing the flag makes the threaded-SIMD build fail to start (\`ERR_WORKER_PATH\`: its pthread workers are created from a \`blob:\` URL, which Node's \`worker_threads\` rejects). So the runtime gets its second core by data parallelism instead (\`runtime/train/helpers\`, what \`heracles train\` does on a multi-core machine): a helper on a worker thread, with its own wasm backend and replica of the model, computes the gradients of half of each batch while the main thread computes the other half; each half's loss is weighted by its share of the batch, so the two gradients are simply added, and the optimizer runs once; weights and gradients cross between the threads through shared memory, copied straight from and into wasm memory. On two threads the step takes ${fmt(o2.median)} ms against ${fmt(o.median)} ms on one — ${fmt(o.median / o2.median)}× faster, not 2×. Half a batch's gradients take ${fmt(halfMs)} ms on one thread while the other core is idle, so with the update (${fmt(updMs)} ms, on the main thread only) the best a two-thread step could do is ≈ ${fmt(halfMs + updMs)} ms; the remaining ${fmt(o2.median - halfMs - updMs)} ms are the two threads slowing each other down (two wasm instances sharing the caches and memory bandwidth: ~15% per thread when profiled) and the main thread waiting for the helper and adding the gradients.`,
    `**Forward vs backward.** Ours: forward ${fmt(fwdMs)} ms, forward + backward ${fmt(fbMs)} ms, AdamW update ${fmt(updMs)} ms — the backward pass costs ${fmt((fbMs - fwdMs) / fwdMs)}× the forward (≈ 2× is the norm; PyTorch's backward + update is ${t1 ? fmt((t1.median - torchFwdMs) / torchFwdMs) : '—'}× its forward). PyTorch (1 thread): forward ${fmt(torchFwdMs)} ms, whole step ${t1 ? fmt(t1.median) : '—'} ms. Forward alone, ours is ${fmtRatio(fwdMs / torchFwdMs)} PyTorch; backward + update, ${t1 ? fmtRatio((o.median - fwdMs) / (t1.median - torchFwdMs)) : '—'}. The gradient kernels' products run in the same GEMM as the forward's; the rest of the backward is element-wise work, reductions and layout (see the kernels below).`,
    `**Kernel dispatch.** ${prof.kernels} kernels per step at ~${fmt(perKernelUs)} µs each for a tiny kernel → ~${fmt((prof.kernels * perKernelUs) / 1000)} ms (${((100 * prof.kernels * perKernelUs) / 1000 / o.median).toFixed(0)}% of the step). GELU, LayerNorm and the AdamW update run as fused SIMD kernels (one per GELU or norm each way, one per parameter tensor for the update: ${vars.length} tensors; composed from tfjs ops they took ~4,800 kernels per step).`,
    `**Layout.** Convs and 2-D matmuls are channels-last, and the GEMM reads transposed operands through strides, so no conversions. The spectral transforms are batched products over channels-last data, with no Transposes (\`runtime/spectral/transform.ts\`, measured there); Transpose, now only attention's heads, is ${fmt(kms('Transpose'))} ms per step in total — layout is not the problem.`,
    `**Top kernels** (one profiled step: ${fmt(prof.kernelMs)} ms of kernel time):`,
  ];
  for (const k of top.slice(0, 8)) {
    const notesByKernel = kernelNotes();
    let why = notesByKernel[k.name];
    if (!why) continue;
    if (k.name === 'Conv2DBackpropInput' && replaced?.includes('Conv2DBackpropInput'))
      why = `${why} ${fmtRatio(k.ms / kms('FusedConv2D'))} the forward convs' time (FusedConv2D ${fmt(kms('FusedConv2D'))} ms).`;
    if (k.name === 'BatchMatMul') {
      const batched = prof.byShape
        .filter((r) => r.name === 'BatchMatMul' && /^\[\[\d+,\d+,\d+,\d+\]/.test(r.shapes))
        .reduce((acc, r) => acc + r.ms, 0);
      why = `${fusedKernelsActive() ? why : "The project's GEMM is off here (no fused kernels): XNNPACK and wasm's loops run the products."} ${fmt(batched)} ms of it are attention's batched products, many small ones (16 or 4 tokens per head), which run well below the per-core rate above even in one call; small inner sizes (K = 32 in stage 1, 14 and 28 in the transforms) do too.`;
    }
    if (k.name === 'Conv2DBackpropFilter')
      why = `${why} ${fmtRatio(k.ms / kms('FusedConv2D'))} the forward convs' time.`;
    if (k.name === 'DepthwiseConv2dNativeBackpropFilter')
      why = `${notesByKernel[k.name]} Here: ${fmtRatio(k.ms / Math.max(kms('DepthwiseConv2dNative'), 1e-9))} the forward depthwise convs (${fmt(kms('DepthwiseConv2dNative'))} ms).`;
    analysis.push(`- \`${k.name}\` — ${fmt(k.ms)} ms (${pct(k)}, ${k.calls} calls). ${why}`);
  }
  analysis.push(
    `**Bottom line.** If every gradient kernel ran at forward efficiency (backward ≈ 2× forward), our step would be ≈ 3 × ${fmt(fwdMs)} + ${fmt(updMs)} ≈ ${fmt(3 * fwdMs + updMs)} ms — still ${baseline ? fmtRatio((3 * fwdMs + updMs) / baseline.median) : '—'} PyTorch, because the forward itself is ${fmtRatio(fwdMs / torchFwdMs)} PyTorch's on one core (128-bit vectors against AVX2's 256) and our second core gains ${fmt(o.median / o2.median)}× rather than 2×. The arithmetic alone sets a floor: a step is ≈ 3 × the forward's ${fmt((tinyAnalysis.totals.macs * BATCH) / 1e9, 2)} GMAC (forward, input gradients, weight gradients) = ${fmt((3 * tinyAnalysis.totals.macs * BATCH) / 1e9, 2)} GMAC, which at our one-core GEMM rate above takes ≥ ${fmt((3 * tinyAnalysis.totals.macs * BATCH) / oursGmacs / 1e6)} ms on one thread — and ${pct({ name: '', calls: 0, ms: prof.kernelMs - productMs })} of our kernel time is outside the matrix products and convolutions (element-wise ops, norms, reductions, layout, the update). With the products already near wasm's per-core ceiling (half of AVX2's width), what is left is that share outside them and the second core's small gain; a native backend, or 256-bit vectors in wasm, would be the next step.`,
  );

  const verdict = baseline ? ratio <= TARGET : null;
  return {
    name: 'step-vs-pytorch',
    title: 'Training step: ours (wasm) vs PyTorch (CPU)',
    date: new Date().toISOString(),
    description: `One training step (forward + backward + AdamW update) of Heracles-tiny, 28×28×1 input, batch ${BATCH}: ours on the tfjs wasm backend in Node vs a faithful PyTorch twin (\`bench/pytorch/heracles_tiny.py\`) on CPU, measured side by side in one run (interleaved rounds, median).`,
    target: `ours ≤ ${TARGET.toFixed(1)}× PyTorch (2 threads)`,
    headline: baseline
      ? `${fmtRatio(ratio)} PyTorch (${fmt(o2.median)} vs ${fmt(baseline.median)} ms/step, ours on 2 threads, PyTorch at ${baseline === t1 ? 1 : 2} thread${baseline === t1 ? '' : 's'})`
      : notMeasured,
    pass: verdict,
    tables: [
      {
        caption: 'ms per training step, batch 64',
        headers: ['implementation', 'median', 'min', 'max', 'steps', 'ours ÷ this'],
        rows: [
          row('ours: tfjs 4.22 wasm (SIMD), 2 threads (judged)', o2, 1),
          row('ours: tfjs 4.22 wasm (SIMD), 1 thread', o, o2.median / o.median),
          row('PyTorch CPU, 2 threads (target baseline)', t2, ratio2),
          row('PyTorch CPU, 1 thread', t1, ratio1),
        ],
      },
      {
        caption: 'where the time goes (ms, medians)',
        headers: ['part', 'ours', 'PyTorch (1 thread)', 'ours ÷ PyTorch'],
        rows: [
          ['forward (+ loss)', fmt(fwdMs), fmt(torchFwdMs), fmtRatio(fwdMs / torchFwdMs)],
          ['forward + backward', fmt(fbMs), '', ''],
          ['AdamW update', fmt(updMs), '', ''],
          [
            'backward + update (step − forward)',
            fmt(o.median - fwdMs),
            t1 ? fmt(t1.median - torchFwdMs) : '—',
            t1 ? fmtRatio((o.median - fwdMs) / (t1.median - torchFwdMs)) : '—',
          ],
          [
            'GEMM 1024×128×512 (one core)',
            `${fmt(oursGemm, 2)} (${fmt(oursGmacs)} GMAC/s)`,
            `${fmt(torchGemmMs, 2)} (${fmt(torchGmacs)} GMAC/s)`,
            fmtRatio(oursGemm / torchGemmMs),
          ],
          [
            'the same GEMM in XNNPACK (as tfjs calls it)',
            `${fmt(xnnGemm, 2)} (${fmt(xnnGmacs)} GMAC/s)`,
            '',
            fmtRatio(xnnGemm / torchGemmMs),
          ],
        ],
      },
      {
        caption: 'top kernels of one step (tf.profile, aggregated by kernel name)',
        headers: ['kernel', 'ms', 'share', 'calls'],
        rows: top.map((k) => [k.name, fmt(k.ms), pct(k), k.calls]),
      },
      {
        caption: 'top kernel calls by shape',
        headers: ['kernel', 'input → output shapes', 'ms', 'calls'],
        rows: prof.byShape.slice(0, 12).map((k) => [k.name, `\`${k.shapes}\``, fmt(k.ms), k.calls]),
      },
    ],
    notes: [...notes, ...analysis],
    data: {
      trainable,
      total,
      torchInfo,
      torchError,
      ours,
      ours2,
      torch2,
      torch1,
      fwd,
      fb,
      upd,
      kernels: prof.kernels,
      kernelMs: prof.kernelMs,
      byName: prof.byName,
      byShape: prof.byShape.slice(0, 40),
      perKernelUs,
      wasmThreads,
      torchFwd,
      torchGemm,
      oursGemm,
      xnnGemm,
      fma,
    },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
