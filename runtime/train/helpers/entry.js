// Entry of a gradient-helper thread: tsx lets the thread load the TypeScript sources (as bin/heracles.js
// does for the CLI), then worker.ts does the work.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
