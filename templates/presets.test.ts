import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initNodeBackend } from '../runtime/backend/node';
import { compileDocument } from '../runtime/graph/compile';
import { analyzeDocument } from '../runtime/graph/analyze';
import { preset } from '../tests/unit/helpers';

/**
 * Published sizes: the released code counts (without the token-labelling aux head) and the paper's GMACs.
 * Our MACs include the 2-D Hartley transform (dht2d), which the paper's counter likely did not see.
 */
const PUBLISHED = {
  'heracles-s': { params: 21_229_512, gmacs: 4.1 },
  'heracles-b': { params: 31_991_464, gmacs: 6.5 },
  'heracles-l': { params: 53_170_056, gmacs: 13.4 },
};

describe('Heracles presets', () => {
  for (const [name, want] of Object.entries(PUBLISHED)) {
    it(`${name}: params exactly as released, MACs within 5% of the paper`, () => {
      const a = analyzeDocument(preset(name));
      expect(a.issues).toEqual([]);
      expect(a.totals.params).toBe(want.params);
      expect(Math.abs(a.totals.macs / 1e9 - want.gmacs) / want.gmacs).toBeLessThan(0.05);
    });
  }

  it('heracles-s: the spectral transform adds what the independent count says (DCT 0.09 G, DHT 0.18 G)', () => {
    const doc = preset('heracles-s');
    const macs = (t: string) => {
      for (const n of doc.nodes) if (n.type === 'Stage') n.params.transform = t;
      return analyzeDocument(doc).totals.macs;
    };
    const dht = macs('dht2d');
    const dct = macs('dct');
    // The released model without any transform: 4.07 G including the aux head's 0.022 G.
    const none = dct - (dht - dct);
    expect((dht - none) / 1e9).toBeCloseTo(0.18, 2);
    expect((dct - none) / 1e9).toBeCloseTo(0.09, 2);
    expect((none + 49 * 448 * 1000) / 1e9).toBeCloseTo(4.07, 2);
  });
});

describe('every preset', () => {
  const names = readdirSync(path.dirname(fileURLToPath(import.meta.url)))
    .filter((f) => f.endsWith('.heracles.json') && !f.startsWith('transfer-'))
    .map((f) => f.replace('.heracles.json', ''));

  it('includes the Heracles family', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'heracles-s',
        'heracles-b',
        'heracles-l',
        'heracles-tiny',
        'heracles-tiny-32',
        'heracles-ts',
      ]),
    );
  });

  for (const name of names)
    it(`${name} compiles, and the model has the parameters the analysis counts`, async () => {
      await initNodeBackend('wasm');
      const { model, analysis } = compileDocument(preset(name));
      const trainable = model.trainableWeights.reduce(
        (n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1),
        0,
      );
      expect(trainable).toBe(analysis.totals.params);
      model.dispose();
    });
});
