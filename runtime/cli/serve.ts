/**
 * `heracles serve <DIR> [--port 8080] [--host 127.0.0.1]`: the model behind HTTP until SIGINT/SIGTERM.
 * A folder that is not a loadable model (or has no weights) or a port that cannot be bound ends with a
 * message and exit code 2 before anything listens.
 */
import { initNodeBackend } from '../backend/node';
import type { NodeBackend } from '../backend/node';
import { createApp } from '../serve/app';
import { listen } from '../serve/listen';
import type { Io } from './io';
import { loadModelForCommand } from './load-model';
import { UsageError } from './train';

export interface ServeArgs {
  dir: string;
  port: number;
  host: string;
  bodyLimitBytes: number;
  backend: NodeBackend;
}

export async function serveCommand(
  args: ServeArgs,
  io: Io,
  stop: AbortSignal = shutdownSignal(),
): Promise<number> {
  await initNodeBackend(args.backend);
  const loaded = await loadModelForCommand('serve', args.dir);
  const app = createApp(loaded, {
    bodyLimitBytes: args.bodyLimitBytes,
    onError: (e) =>
      io.err(`heracles serve: request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  let server;
  try {
    server = await listen(app, args.port, args.host);
  } catch (e) {
    loaded.model.dispose();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new UsageError([
        `heracles serve: port ${args.port} on ${args.host} is in use; choose another --port`,
      ]);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
      throw new UsageError([`heracles serve: cannot listen on ${args.host}:${args.port} (${code})`]);
    throw e;
  }
  io.out(
    `Serving ${args.dir} (${loaded.data.task}, input [${loaded.data.inputShape.join(', ')}]) at ${server.url}`,
  );
  io.out(
    `  GET  ${server.url}/         model card\n  GET  ${server.url}/health\n  POST ${server.url}/predict`,
  );
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  loaded.model.dispose();
  io.out('heracles serve: stopped');
  return 0;
}

/** Aborts on the first SIGINT or SIGTERM (Ctrl-C, or a process manager stopping the server). */
function shutdownSignal(): AbortSignal {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ctl.signal;
}
