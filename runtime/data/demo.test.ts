/**
 * Demo data tests: shapes and sizes, determinism by seed, class balance, train-only standardisation.
 * Run: npx vitest run runtime/data
 */
import { describe, expect, it } from 'vitest';
import { seriesWindows, windowBatch } from './csv';
import { DEMO_SHAPE_CLASSES, demoSeries, demoShapes } from './demo';
import { expectDataError } from './testing';

describe('demoShapes', () => {
  it('6 balanced classes of 28×28×1 images, split 80/10/10', () => {
    const s = demoShapes({ count: 600, seed: 3 });
    expect(s.train.classNames).toEqual(DEMO_SHAPE_CLASSES);
    expect([s.train.count, s.val.count, s.test.count]).toEqual([480, 60, 60]);
    expect(s.train.shape).toEqual([28, 28, 1]);
    expect(s.train.pixels.length).toBe(480 * 784);
    const counts = new Array(6).fill(0);
    for (const set of [s.train, s.val, s.test]) for (const l of set.labels) counts[l]++;
    expect(counts).toEqual(new Array(6).fill(100));
    // Images are not blank: some ink in every image.
    for (let i = 0; i < 20; i++) {
      const img = s.train.pixels.subarray(i * 784, (i + 1) * 784);
      expect(img.filter((v) => v > 128).length).toBeGreaterThan(10);
    }
  });

  it('deterministic by seed', () => {
    const a = demoShapes({ count: 120, seed: 5 });
    const b = demoShapes({ count: 120, seed: 5 });
    const c = demoShapes({ count: 120, seed: 6 });
    expect(Array.from(a.train.pixels)).toEqual(Array.from(b.train.pixels));
    expect(Array.from(a.test.labels)).toEqual(Array.from(b.test.labels));
    expect(Array.from(a.train.pixels)).not.toEqual(Array.from(c.train.pixels));
    expect(demoShapes({ count: 60, size: 16, seed: 1 }).train.shape).toEqual([16, 16, 1]);
    expectDataError(() => demoShapes({ count: 3 }), 'count');
  });
});

describe('demoSeries', () => {
  it('70/10/20 borders, standardised on train, deterministic', () => {
    const s = demoSeries({ rows: 1000, channels: 3, seed: 2 });
    expect(s.borders).toEqual({ train: [0, 700], val: [700, 800], test: [800, 1000] });
    expect([s.rows, s.channels, s.values.length]).toEqual([1000, 3, 3000]);
    expect(s.columns).toEqual(['x1', 'x2', 'OT']);
    expect(s.dates?.[25]).toBe('2020-01-02 01:00:00');
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      for (let r = 0; r < 700; r++) {
        sum += s.values[r * 3 + c];
        sq += s.values[r * 3 + c] ** 2;
      }
      expect(Math.abs(sum / 700)).toBeLessThan(1e-4);
      expect(Math.sqrt(sq / 700)).toBeCloseTo(1, 3);
    }
    const again = demoSeries({ rows: 1000, channels: 3, seed: 2 });
    expect(Array.from(again.values)).toEqual(Array.from(s.values));
    expect(Array.from(demoSeries({ rows: 1000, channels: 3, seed: 9 }).values)).not.toEqual(
      Array.from(s.values),
    );
  });

  it('has a daily season (lag-24 autocorrelation is high) and works with windows', () => {
    const s = demoSeries({ rows: 2000, channels: 2, seed: 0 });
    let num = 0;
    let den = 0;
    for (let r = 24; r < 1400; r++) {
      num += s.values[r * 2] * s.values[(r - 24) * 2];
      den += s.values[r * 2] ** 2;
    }
    expect(num / den).toBeGreaterThan(0.5);
    const { count } = seriesWindows(s, 'test', 96, 24);
    expect(count).toBe(400 - 24 + 1);
    expect(windowBatch(s, 'test', 96, 24, [0]).x.length).toBe(96 * 2);
  });
});
