/** The studio's loader (Vite virtual module) is the CLI's loader, and it registers every custom layer. */
import { describe, expect, it } from 'vitest';
import studioLoader from 'virtual:heracles-layers-loader';
import * as layers from '../layers/index';
import { bundleLayersLoader } from './loader-node';

describe('heracles-layers.js', () => {
  it('is the same text in the studio (Vite plugin) and the CLI', async () => {
    expect(studioLoader).toBe(await bundleLayersLoader());
  });

  it('names every custom layer class and leaves tfjs external', async () => {
    const text = await bundleLayersLoader();
    for (const cls of Object.values(layers)) {
      const name = (cls as unknown as { className: string }).className;
      expect(name, 'a custom layer without a className').toBeTruthy();
      expect(text).toContain(JSON.stringify(name).slice(1, -1));
    }
    expect(text).not.toMatch(/tfjs-core\/dist|class\s+Tensor\b/);
  });
});
