/**
 * `heracles export <DIR> --format tfjs|onnx|pytorch --out <path>`: a trained model folder as a tfjs zip,
 * an ONNX file or a PyTorch folder. The result is written to a temporary sibling of `--out` and renamed
 * into place at the end, so a failure leaves nothing half-written and never touches an existing `--out`.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../backend/node';
import type { NodeBackend } from '../backend/node';
import { ExportError } from '../export/errors';
import { bundleLayersLoader } from '../export/loader-node';
import { exportTfjs } from '../export/tfjs';
import { zipFiles } from '../export/zip';
import type { ExportFiles } from '../export/zip';
import type { LoadedModel } from '../io/model-dir';
import type { Io } from './io';
import { loadModelForCommand } from './load-model';
import { UsageError } from './train';

export const EXPORT_FORMATS = ['tfjs', 'onnx', 'pytorch'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What an exporter produces: one file (tfjs zip, ONNX) or a folder of files (PyTorch). */
export type ExportResult = { kind: 'file'; bytes: Uint8Array } | { kind: 'folder'; files: ExportFiles };
export type Exporter = (loaded: LoadedModel) => Promise<ExportResult>;

/** The real exporters; ONNX and PyTorch load lazily (they are large and not needed for tfjs). */
export const EXPORTERS: Record<ExportFormat, Exporter> = {
  tfjs: async (m) => ({
    kind: 'file',
    bytes: zipFiles(await exportTfjs(m.model, m, await bundleLayersLoader())),
  }),
  onnx: async (m) => {
    const { exportOnnx } = await import('../export/onnx/index');
    return { kind: 'file', bytes: await exportOnnx(m.model, { docName: m.document.metadata.name }) };
  },
  pytorch: async (m) => {
    const { exportPytorch } = await import('../export/pytorch/index');
    const files = await exportPytorch(m.model, { document: m.document, data: m.data, run: m.run });
    return { kind: 'folder', files };
  },
};

const DEFAULT_SUFFIX: Record<ExportFormat, string> = {
  tfjs: '-tfjs.zip',
  onnx: '.onnx',
  pytorch: '-pytorch',
};

export interface ExportArgs {
  dir?: string;
  format?: string;
  out?: string;
  backend: NodeBackend;
  json: boolean;
}

export async function exportCommand(
  args: ExportArgs,
  io: Io,
  exporters: Record<ExportFormat, Exporter> = EXPORTERS,
): Promise<number> {
  const format = args.format as ExportFormat;
  if (!args.format || !EXPORT_FORMATS.includes(format))
    throw new UsageError([
      args.format
        ? `heracles export: unknown format "${args.format}"; expected --format ${EXPORT_FORMATS.join('|')}`
        : `heracles export: --format is required: ${EXPORT_FORMATS.join(', ')}`,
    ]);
  if (!args.dir) throw new UsageError(['heracles export: name a trained model folder to export']);
  const out = path.resolve(
    args.out ?? path.resolve(args.dir).replace(/[/\\]+$/, '') + DEFAULT_SUFFIX[format],
  );
  checkOut(out, format);

  await initNodeBackend(args.backend);
  const loaded = await loadModelForCommand('export', args.dir);
  let result: ExportResult;
  try {
    result = await exporters[format](loaded);
  } catch (e) {
    if (e instanceof ExportError)
      throw new UsageError([
        `heracles export: cannot export to ${format}: ${e.message}`,
        'Nothing was written.',
      ]);
    throw e;
  } finally {
    loaded.model.dispose();
  }
  const bytes = writeInPlace(out, result);
  if (args.json) io.out(JSON.stringify({ format, out, bytes }));
  else io.out(`Exported ${args.dir} as ${format} to ${out} (${formatBytes(bytes)})`);
  return 0;
}

/** Refuses targets we would have to clobber or could not replace, before any work is done. */
function checkOut(out: string, format: ExportFormat): void {
  if (!existsSync(path.dirname(out)))
    throw new UsageError([`${out}: the folder ${path.dirname(out)} does not exist`]);
  if (!existsSync(out)) return;
  const isDir = statSync(out).isDirectory();
  if (format === 'pytorch') {
    if (!isDir) throw new UsageError([`${out}: exists and is a file; the PyTorch export is a folder`]);
    if (readdirSync(out).length > 0)
      throw new UsageError([
        `${out}: the output folder exists and is not empty; choose another --out (nothing was overwritten)`,
      ]);
  } else if (isDir) throw new UsageError([`${out}: is a folder; the ${format} export is one file`]);
}

/** Writes to `.<name>.tmp-<pid>` next to `out`, then renames: `out` is either the old or the new result. */
function writeInPlace(out: string, result: ExportResult): number {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    let bytes = 0;
    if (result.kind === 'file') {
      writeFileSync(tmp, result.bytes);
      bytes = result.bytes.byteLength;
    } else {
      mkdirSync(tmp);
      for (const [name, content] of result.files) {
        const file = path.join(tmp, name);
        if (!file.startsWith(tmp + path.sep)) throw new Error(`export file name "${name}" leaves the folder`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content);
        bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
      }
      // An empty folder was allowed by checkOut; rename cannot replace it.
      if (existsSync(out)) rmSync(out, { recursive: true });
    }
    renameSync(tmp, out);
    return bytes;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

const formatBytes = (n: number) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`;
