/** The benchmarks, in report order. Each is `bench/<name>.ts`, runnable on its own with `npx tsx`. */
export interface BenchmarkEntry {
  name: string;
  target: string;
  /** Rough duration on the 2-core machine, for the orchestrator's timeout. */
  expectSeconds: number;
}

export const BENCHMARKS: readonly BenchmarkEntry[] = [
  { name: 'step-vs-pytorch', target: 'ours ≤ 2.0× PyTorch (2 threads)', expectSeconds: 60 },
  {
    name: 'ssm-vs-attention',
    target: 'HartleySSM ≥ 10× cheaper than attention at 56², exponent ≤ 1.6',
    expectSeconds: 90,
  },
  { name: 'hartley-vs-fft', target: 'ours ≥ 20× faster at every N', expectSeconds: 90 },
  { name: 'wasm-vs-cpu', target: 'wasm ≥ 20× faster than cpu', expectSeconds: 90 },
  {
    name: 'studio',
    target: 'first-load JS ≤ 1 MB gzipped; drag p95 ≤ 50 ms/frame',
    expectSeconds: 90,
  },
  {
    name: 'studio-train',
    target: 'report only: heracles-tiny steps/s per studio backend vs heracles train (Node)',
    expectSeconds: 300,
  },
  { name: 'onnx-presets', target: 'max |ONNX − tfjs| ≤ 1e-4 for S/B/L', expectSeconds: 240 },
  {
    name: 'serve',
    target:
      'no errors under load; every malformed request answered 4xx; the server answers /health throughout',
    expectSeconds: 180,
  },
];
