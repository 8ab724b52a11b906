/**
 * Browser adapter for tfjs backends: webgpu, webgl, wasm (with the project's training kernels) and cpu.
 * Runs on the main thread or in a worker (the studio uses it in its training worker). The only
 * browser-specific file of the backend layer; Node has `./node.ts`.
 *
 * The wasm binaries are served by Vite (`?url` imports give their hashed asset URLs), so nothing is
 * fetched from a CDN. Probing never throws: a backend that cannot start says why.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { enableFusedKernels } from './fused-kernels';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type BrowserBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BROWSER_BACKENDS: readonly BrowserBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** What a backend is on this machine: usable or not (and why), and for webgpu which adapter. */
export interface BackendInfo {
  name: BrowserBackend;
  available: boolean;
  /** Why it cannot be used, in plain words (set when `available` is false). */
  reason?: string;
  /** WebGPU only: the adapter's vendor/architecture/description, and whether it is a software fallback. */
  adapter?: { description: string; isFallbackAdapter: boolean };
}

let wasmPathsSet = false;
function prepareWasm(): void {
  if (!wasmPathsSet) {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    wasmPathsSet = true;
  }
  registerWasmTrainingKernels();
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
  isFallbackAdapter?: boolean;
}

/** The WebGPU adapter as the page sees it, or why there is none. */
export async function webgpuAdapter(): Promise<BackendInfo> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } })?.gpu;
  if (!gpu) return { name: 'webgpu', available: false, reason: 'this browser has no WebGPU (navigator.gpu)' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { name: 'webgpu', available: false, reason: `requestAdapter failed: ${message(e)}` };
  }
  if (!adapter)
    return { name: 'webgpu', available: false, reason: 'no WebGPU adapter (GPU blocklisted or off)' };
  const info = adapter.info ?? {};
  const description =
    [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ') ||
    'unknown adapter';
  const isFallbackAdapter = !!(
    adapter.isFallbackAdapter ?? (info as { isFallbackAdapter?: boolean }).isFallbackAdapter
  );
  return { name: 'webgpu', available: true, adapter: { description, isFallbackAdapter } };
}

/** Selects and initialises `name`; throws an Error saying why when it cannot start. */
export async function initBrowserBackend(name: BrowserBackend): Promise<BackendInfo> {
  let info: BackendInfo = { name, available: true };
  if (name === 'webgpu') {
    info = await webgpuAdapter();
    if (!info.available) throw new Error(`WebGPU is unavailable: ${info.reason}`);
  }
  if (name === 'wasm') prepareWasm();
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new Error(`the ${name} backend failed to start: ${message(e)}`, { cause: e });
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`the ${name} backend failed to start in this browser`);
  if (name === 'wasm') await enableFusedKernels();
  return info;
}

/**
 * Which backends can start here, each with the reason when not. Leaves `restore` (default: the backend
 * active before) selected afterwards.
 */
export async function probeBrowserBackends(): Promise<BackendInfo[]> {
  const before = tf.getBackend() as BrowserBackend | undefined;
  const out: BackendInfo[] = [];
  for (const name of BROWSER_BACKENDS) {
    try {
      out.push(await initBrowserBackend(name));
    } catch (e) {
      out.push({ name, available: false, reason: message(e) });
    }
  }
  if (before && out.find((b) => b.name === before)?.available) await initBrowserBackend(before);
  return out;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
