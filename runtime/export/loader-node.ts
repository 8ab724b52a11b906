/**
 * Builds `heracles-layers.js`: our custom tfjs layers (`runtime/layers/index.ts`) as one ES module that
 * imports `@tensorflow/tfjs` as an external, so importing it registers the layers with the *user's* tfjs
 * instance (a second bundled tfjs would register them in a registry `loadLayersModel` never consults).
 * Used by the CLI export in Node and, through a Vite plugin, by the studio — both ship the same text.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOADER_FILE = 'heracles-layers.js';
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../layers/index.ts');

let cached: Promise<string> | undefined;

/** The loader's source text (built once per process). */
export function bundleLayersLoader(): Promise<string> {
  cached ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    // Every tfjs subpath stays an import of the user's copy.
    external: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
    legalComments: 'none',
    banner: {
      js: '// Heracles custom layers for TensorFlow.js. Import this module once before tf.loadLayersModel().',
    },
  }).then((r) => r.outputFiles[0].text);
  cached.catch(() => (cached = undefined));
  return cached;
}
