/**
 * Node adapter for tfjs backends: wasm (default, with the project's training kernels) or cpu.
 * The only Node-specific file of the backend layer; the browser has its own adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { enableFusedKernels } from './fused-kernels';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type NodeBackend = 'wasm' | 'cpu';
export const NODE_BACKENDS: readonly NodeBackend[] = ['wasm', 'cpu'];

let wasmPathsSet = false;

// Relaxed SIMD (its fused multiply-add doubles the matrix products' rate, ADR 0008) is on by default from
// V8 11.4 (Node 22, Chromium 114); Node 20's V8 has it behind this flag, read when a module compiles.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Selects and initialises a backend; returns the name actually active. */
export async function initNodeBackend(name: NodeBackend = 'wasm'): Promise<NodeBackend> {
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
      setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
      wasmPathsSet = true;
    }
    registerWasmTrainingKernels();
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`The ${name} backend could not start in this Node process.`);
  await tf.ready();
  if (name === 'wasm') await enableFusedKernels();
  return name;
}
