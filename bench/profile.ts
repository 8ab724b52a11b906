/**
 * Kernel profile of one call of `fn` (tf.profile), aggregated by kernel name and by name + shapes.
 * Op-level scopes that wrap other kernels (`fusedMatMul__op`, `unnamed scope` from tf.customGrad) are
 * left out, so no time is counted twice.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}

export interface ShapeRow extends KernelRow {
  shapes: string;
}

export interface Profile {
  wallMs: number;
  kernelMs: number;
  kernels: number;
  byName: KernelRow[];
  byShape: ShapeRow[];
}

const isScope = (name: string): boolean => name.endsWith('__op') || name === 'unnamed scope';

export async function profileKernels(fn: () => void): Promise<Profile> {
  const t0 = performance.now();
  const info = await tf.profile(fn);
  const wallMs = performance.now() - t0;
  const byName = new Map<string, KernelRow>();
  const byShape = new Map<string, ShapeRow>();
  let kernelMs = 0;
  let kernels = 0;
  for (const k of info.kernels) {
    if (isScope(k.name)) continue;
    const raw = await (k.kernelTimeMs as unknown as Promise<number | { error: string }>);
    const ms = typeof raw === 'number' ? raw : 0;
    kernelMs += ms;
    kernels++;
    const n = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    n.ms += ms;
    n.calls++;
    byName.set(k.name, n);
    const shapes = `${JSON.stringify(k.inputShapes)} → ${JSON.stringify(k.outputShapes)}`;
    const key = `${k.name} ${shapes}`;
    const s = byShape.get(key) ?? { name: k.name, shapes, ms: 0, calls: 0 };
    s.ms += ms;
    s.calls++;
    byShape.set(key, s);
  }
  const sort = <T extends KernelRow>(m: Map<string, T>) => [...m.values()].sort((a, b) => b.ms - a.ms);
  return { wallMs, kernelMs, kernels, byName: sort(byName), byShape: sort(byShape) };
}

/** Time of one small kernel dispatch (µs): many Adds of a 16-float tensor. */
export function dispatchOverheadUs(n = 3000): number {
  const a = tf.ones([16]);
  const run = () => {
    let x = a;
    for (let i = 0; i < n; i++) {
      const y = tf.add(x, 1);
      if (x !== a) x.dispose();
      x = y;
    }
    x.dataSync();
    x.dispose();
  };
  run();
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    run();
    times.push(((performance.now() - t0) * 1000) / n);
  }
  a.dispose();
  times.sort((x, y) => x - y);
  return times[2];
}
