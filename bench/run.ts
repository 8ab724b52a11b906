/**
 * `npm run bench` — runs every benchmark, each in its own Node process (a clean tfjs engine and wasm heap
 * per benchmark), then rewrites docs/benchmarks.md. `npm run bench -- <name> [<name> …]` runs only those
 * (the report keeps the latest results of the others). A benchmark that crashes or times out is reported
 * as such and does not stop the others.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BENCHMARKS } from './list';
import { writeReport } from './report';
import { BENCH_DIR, ROOT, probeTorch, writeResult } from './util';

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Lines the cpu backend prints on first use in Node; not useful here. */
const NOISE = /^(=+|Hi, looks like you are running TensorFlow\.js in Node\.js.*)\s*$/;

function runOne(name: string, timeoutS: number): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [path.join(BENCH_DIR, `${name}.ts`)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const forward = (buf: Buffer, to: NodeJS.WriteStream) => {
      const text = buf.toString();
      tail = (tail + text).slice(-4000);
      const kept = text
        .split('\n')
        .filter((l) => !NOISE.test(l))
        .join('\n');
      if (kept.trim()) to.write(kept.endsWith('\n') ? kept : kept + '\n');
    };
    child.stdout.on('data', (b: Buffer) => forward(b, process.stdout));
    child.stderr.on('data', (b: Buffer) => forward(b, process.stderr));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, tail });
    });
  });
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = asked.filter((a) => !BENCHMARKS.some((b) => b.name === a));
  if (unknown.length) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
    process.exit(2);
  }
  const todo = asked.length ? BENCHMARKS.filter((b) => asked.includes(b.name)) : BENCHMARKS;
  const torch = probeTorch();
  console.log(
    torch.ok
      ? `PyTorch ${torch.version} (${torch.blas})`
      : `PyTorch not available: ${torch.reason} — its rows will be marked "not measured"`,
  );
  const t0 = performance.now();
  let failed = 0;
  for (const b of todo) {
    console.log(`\n▶ ${b.name} (target: ${b.target})`);
    const { code, tail } = await runOne(b.name, Math.max(300, b.expectSeconds * 4));
    if (code !== 0) {
      failed++;
      const reason = code === null ? 'timed out' : `exited with code ${code}`;
      console.error(`✗ ${b.name} ${reason}`);
      await writeResult({
        name: b.name,
        title: b.name,
        date: new Date().toISOString(),
        description: 'The benchmark did not finish.',
        target: b.target,
        headline: `not measured: the benchmark ${reason}`,
        pass: null,
        tables: [],
        notes: ['Last output:\n\n```\n' + tail.trim().split('\n').slice(-15).join('\n') + '\n```'],
        data: {},
        seconds: 0,
      });
    }
  }
  const report = writeReport();
  console.log(`\nwrote ${path.relative(ROOT, report)} (${Math.round((performance.now() - t0) / 1000)} s)`);
  if (failed) process.exitCode = 1;
}

await main();
