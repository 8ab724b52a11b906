/**
 * Optimizers with an explicit learning rate per step (for schedules) and state that can be saved and
 * restored (for checkpoints and resume). AdamW applies weight decay decoupled from the gradient
 * (Loshchilov & Hutter), which tfjs does not ship; decay applies to weights of rank ≥ 2 only (not to
 * biases or norm scales), as timm does. On wasm, Adam and AdamW run as one fused kernel per weight
 * (`fusedAdamStep`), the same arithmetic in the same order as the composed update below.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedAdamStep } from '../backend/fused-ops';

export type OptimizerName = 'adamw' | 'adam' | 'sgd';

export interface OptimizerConfig {
  name: OptimizerName;
  weightDecay: number;
  momentum: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface OptimizerState {
  step: number;
  /** Slot tensors by variable index: `m`, `v` for Adam(W), `m` for SGD with momentum. */
  slots: Record<string, { name: string; shape: number[]; data: Float32Array }[]>;
}

export class Optimizer {
  step = 0;
  /** Slot variables by the index of the variable they belong to (names change between model instances). */
  private slots = new Map<number, tf.Variable[]>();

  constructor(readonly config: OptimizerConfig) {}

  /** Applies one update to `vars` with `grads` (same order) at learning rate `lr`. */
  apply(vars: tf.Variable[], grads: tf.Tensor[], lr: number): void {
    const { name, weightDecay, momentum } = this.config;
    const b1 = this.config.beta1 ?? 0.9;
    const b2 = this.config.beta2 ?? 0.999;
    const eps = this.config.epsilon ?? 1e-8;
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      vars.forEach((v, i) => {
        const g0 = grads[i];
        const decays = weightDecay > 0 && v.rank >= 2;
        if (name === 'sgd') {
          const g = decays ? tf.add(g0, tf.mul(v, weightDecay)) : g0;
          if (momentum > 0) {
            const [m] = this.slotsFor(i, v, 1);
            m.assign(tf.add(tf.mul(m, momentum), g));
            v.assign(tf.sub(v, tf.mul(m, lr)));
          } else v.assign(tf.sub(v, tf.mul(g, lr)));
          return;
        }
        // Adam keeps L2 in the gradient; AdamW decays the weight directly.
        const [m, s] = this.slotsFor(i, v, 2);
        const fused = fusedAdamStep(v, g0, m, s, {
          b1,
          b2,
          c1: 1 - b1 ** t,
          c2: 1 - b2 ** t,
          eps,
          lr,
          decay: name === 'adamw' && decays ? lr * weightDecay : 0,
          l2: name === 'adam' && decays ? weightDecay : 0,
        });
        if (fused) {
          m.assign(fused[1]);
          s.assign(fused[2]);
          v.assign(fused[0]);
          return;
        }
        const g = name === 'adam' && decays ? tf.add(g0, tf.mul(v, weightDecay)) : g0;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        s.assign(tf.add(tf.mul(s, b2), tf.mul(tf.square(g), 1 - b2)));
        const mHat = tf.div(m, 1 - b1 ** t);
        const vHat = tf.div(s, 1 - b2 ** t);
        let next = tf.sub(v, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), lr));
        if (name === 'adamw' && decays) next = tf.sub(next, tf.mul(v, lr * weightDecay));
        v.assign(next);
      });
    });
  }

  private slotsFor(index: number, v: tf.Variable, n: number): tf.Variable[] {
    let s = this.slots.get(index);
    if (!s) {
      s = Array.from({ length: n }, () => tf.variable(tf.zerosLike(v), false));
      this.slots.set(index, s);
    }
    return s;
  }

  /** Read asynchronously: synchronous reads stall GPU backends (and break WebGPU in a worker). */
  async getState(): Promise<OptimizerState> {
    const slots: OptimizerState['slots'] = {};
    for (const [index, vars] of this.slots)
      slots[index] = await Promise.all(
        vars.map(async (s, i) => ({
          name: `${index}#${i}`,
          shape: s.shape,
          data: (await s.data()) as Float32Array,
        })),
      );
    return { step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    this.dispose();
    this.step = state.step;
    for (const [index, list] of Object.entries(state.slots))
      this.slots.set(
        Number(index),
        list.map((s) => tf.variable(tf.tensor(s.data, s.shape), false)),
      );
  }

  dispose(): void {
    for (const vars of this.slots.values()) vars.forEach((v) => v.dispose());
    this.slots.clear();
  }
}

/** Learning rate at a (fractional) epoch: linear warm-up, then cosine decay to `minFactor`·lr, or constant. */
export function learningRateAt(
  epochFloat: number,
  opts: {
    lr: number;
    epochs: number;
    warmupEpochs: number;
    schedule: 'cosine' | 'constant';
    minFactor?: number;
  },
): number {
  const { lr, epochs, warmupEpochs, schedule } = opts;
  if (warmupEpochs > 0 && epochFloat < warmupEpochs) return (lr * (epochFloat + 1e-9)) / warmupEpochs;
  if (schedule === 'constant') return lr;
  const min = lr * (opts.minFactor ?? 0.01);
  const progress = Math.min(1, (epochFloat - warmupEpochs) / Math.max(1e-9, epochs - warmupEpochs));
  return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping (NaN when
 * clipping is off: then nothing is computed, which spares GPU backends a read-back per step).
 */
export async function clipByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): Promise<{ grads: tf.Tensor[]; norm: number }> {
  if (!(maxNorm > 0)) return { grads, norm: NaN };
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = (await normT.data())[0];
  normT.dispose();
  if (norm <= maxNorm || !Number.isFinite(norm)) return { grads, norm };
  const scale = maxNorm / (norm + 1e-6);
  const clipped = grads.map((g) => tf.mul(g, scale));
  grads.forEach((g) => g.dispose());
  return { grads: clipped, norm };
}
