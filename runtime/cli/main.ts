/**
 * The `heracles` command line: a thin front over the runtime. Exit codes: 0 ok, 2 bad input (a message
 * per problem on stderr, no stack trace), 1 an unexpected failure.
 */
import { parseArgs } from 'node:util';
import { info } from './info';
import { processIo } from './io';
import type { Io } from './io';
import { presetNames } from './documents';

const USAGE = `Usage: heracles <command> [options]

Commands:
  info <document-or-preset> [--json]   shapes, parameters and MACs of every node, plus totals

A document is a path to a .heracles.json file or a preset name (${presetNames().join(', ') || 'none found'}).`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'info': {
        const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
        if (positionals.length !== 1) {
          io.err('heracles info: expected one document or preset name\n\n' + USAGE);
          return 2;
        }
        return await info({ ref: positionals[0], json: Boolean(values.json) }, io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`heracles: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    // parseArgs rejects unknown flags with a TypeError carrying a code.
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`heracles ${command}: ${e.message}`);
      return 2;
    }
    io.err(`heracles: unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.HERACLES_DEBUG) io.err(String((e as Error)?.stack));
    return 1;
  }
}
