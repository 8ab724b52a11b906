import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // The studio is a client-only SPA: every path falls back to index.html.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    files: {
      // studio/ holds routes, lib ($lib), app.html, hooks and static assets.
      src: 'studio',
      assets: 'studio/static',
    },
    alias: {
      $blocks: 'blocks',
      '$blocks/*': 'blocks/*',
      $runtime: 'runtime',
      '$runtime/*': 'runtime/*',
    },
  },
};

export default config;
