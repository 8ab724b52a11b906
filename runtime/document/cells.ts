/**
 * Notebook cells (schema version 2). A document is a notebook: an ordered list of cells around one
 * model graph. Cells hold what the page shows and in which order; the graph, the task and the training
 * settings stay where version 1 had them, so every consumer of the graph (compiler, CLI, exporters)
 * reads a notebook exactly like a graph-only document.
 *
 *   notes     markdown that explains (templates teach the architecture block by block)
 *   data      where the data comes from (a demo set or the name of the user's files)
 *   model     the graph; opens the editor (at most one: the document has one graph)
 *   train     the training section's settings and a Train button
 *   evaluate  metrics, confusion matrix / forecast plots, the inside view
 *   export    export buttons (tfjs, ONNX, PyTorch)
 *   code      TypeScript the user wrote, e.g. a custom block; never runs until the user trusts it
 */
import * as v from 'valibot';

const CellId = v.pipe(
  v.string('a cell id must be a string'),
  v.minLength(1, 'a cell id must not be empty'),
  v.maxLength(100, 'a cell id must be at most 100 characters'),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a cell id uses only letters, digits and _ . -'),
);

const base = {
  id: CellId,
  /** Shown as the cell's heading when set. */
  title: v.optional(v.string()),
  collapsed: v.optional(v.boolean(), false),
};

export const NotesCell = v.object({
  ...base,
  kind: v.literal('notes'),
  /** Markdown. */
  text: v.string('a notes cell needs its text as a string'),
  /** Graph nodes this note is about (highlighted when the note is read). */
  nodes: v.optional(v.array(v.string())),
});

export const DataCell = v.object({
  ...base,
  kind: v.literal('data'),
  /** `demo:<name>` for a built-in set, otherwise the file or folder name the user chose. */
  source: v.optional(v.string()),
});

export const ModelCell = v.object({ ...base, kind: v.literal('model') });
export const TrainCell = v.object({ ...base, kind: v.literal('train') });
export const EvaluateCell = v.object({ ...base, kind: v.literal('evaluate') });

export const ExportFormat = v.picklist(['tfjs', 'onnx', 'pytorch'], 'expected "tfjs", "onnx" or "pytorch"');
export const ExportCell = v.object({
  ...base,
  kind: v.literal('export'),
  format: v.optional(ExportFormat, 'tfjs'),
});

export const CodeCell = v.object({
  ...base,
  kind: v.literal('code'),
  language: v.optional(v.literal('typescript'), 'typescript'),
  source: v.string('a code cell needs its source as a string'),
  /** When the code defines a block: its type id in the palette (e.g. `MyGate`). */
  blockType: v.optional(v.pipe(v.string(), v.regex(/^[A-Z][A-Za-z0-9]*$/, 'a block type is PascalCase'))),
});

export const CellSchema = v.variant(
  'kind',
  [NotesCell, DataCell, ModelCell, TrainCell, EvaluateCell, ExportCell, CodeCell],
  'cell.kind must be one of notes, data, model, train, evaluate, export, code',
);

export const CellsSchema = v.pipe(
  v.array(CellSchema),
  v.check((cells) => new Set(cells.map((c) => c.id)).size === cells.length, 'cell ids must be unique'),
  v.check(
    (cells) => cells.filter((c) => c.kind === 'model').length <= 1,
    'a notebook has one model cell (the document has one graph)',
  ),
);

export type Cell = v.InferOutput<typeof CellSchema>;
export type CellKind = Cell['kind'];

/** The cells of a document that had none: what a graph-only (version 1) document becomes. */
export function defaultCells(description?: string): Cell[] {
  const cells: Cell[] = [];
  if (description?.trim())
    cells.push({ id: 'intro', kind: 'notes', text: description.trim(), collapsed: false });
  cells.push(
    { id: 'data', kind: 'data', collapsed: false },
    { id: 'model', kind: 'model', collapsed: false },
    { id: 'train', kind: 'train', collapsed: false },
    { id: 'evaluate', kind: 'evaluate', collapsed: false },
    { id: 'export', kind: 'export', format: 'tfjs', collapsed: false },
  );
  return cells;
}
