#!/usr/bin/env node
// The `heracles` CLI: a thin front over runtime/ (see runtime/cli/main.ts). tsx lets Node load the
// TypeScript sources directly, so the CLI needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runtime/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
