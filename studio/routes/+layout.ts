// The studio is a client-only single-page app: no server rendering, no prerendering.
// adapter-static serves build/index.html for every path (see svelte.config.js).
export const ssr = false;
export const prerender = false;
