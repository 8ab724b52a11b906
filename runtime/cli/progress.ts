/** One-line terminal progress bar with loss, learning rate, throughput and ETA. */
import type { BatchEvent } from '../train/trainer';

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(e: BatchEvent, epochs: number, width = 24): string {
  const done = Math.round((e.batch / e.batches) * width);
  const bar = '█'.repeat(done) + '░'.repeat(width - done);
  return `epoch ${e.epoch}/${epochs} ${bar} ${e.batch}/${e.batches}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ${Math.round(e.samplesPerSec)} samples/s  ETA ${duration(e.etaSeconds)}   `;
}
