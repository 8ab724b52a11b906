/**
 * Vite plugin: `import loaderSource from 'virtual:heracles-layers-loader'` gives the studio the text of
 * `heracles-layers.js`, built by the same `bundleLayersLoader()` the CLI uses, so a zip exported from
 * the browser carries the identical loader.
 */
import type { Plugin } from 'vite';
import { bundleLayersLoader } from './loader-node.ts';

const ID = 'virtual:heracles-layers-loader';
const RESOLVED = '\0' + ID;

export function heraclesLayersLoader(): Plugin {
  return {
    name: 'heracles-layers-loader',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    async load(id) {
      if (id !== RESOLVED) return undefined;
      return `export default ${JSON.stringify(await bundleLayersLoader())};`;
    },
  };
}
