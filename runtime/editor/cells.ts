/**
 * Notebook cell commands: add, remove, move and replace cells. Each is a small delta with an exact
 * inverse, like the graph commands in `commands.ts` (which delegates here).
 */
import type { Cell } from '../document/cells';
import type { HeraclesDocument } from '../document/schema';

export type CellCommand =
  /** Inserts `cell` before position `index` (clamped to the list). */
  | { type: 'addCell'; cell: Cell; index: number }
  | { type: 'removeCell'; id: string }
  /** Moves cell `id` so that it ends up at position `index`. */
  | { type: 'moveCell'; id: string; index: number }
  /** Replaces the cell with the same id (text edits, collapse, title, code). */
  | { type: 'updateCell'; cell: Cell };

export class CellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CellError';
  }
}

const indexOf = (doc: HeraclesDocument, id: string): number => {
  const i = doc.cells.findIndex((c) => c.id === id);
  if (i < 0) throw new CellError(`there is no cell "${id}"`);
  return i;
};

const clamp = (i: number, n: number) => Math.max(0, Math.min(n, Math.trunc(i)));

export function applyCell(doc: HeraclesDocument, cmd: CellCommand): HeraclesDocument {
  const cells = [...doc.cells];
  switch (cmd.type) {
    case 'addCell': {
      if (cells.some((c) => c.id === cmd.cell.id))
        throw new CellError(`a cell with the id "${cmd.cell.id}" already exists`);
      if (cmd.cell.kind === 'model' && cells.some((c) => c.kind === 'model'))
        throw new CellError('a notebook has one model cell (the document has one graph)');
      cells.splice(clamp(cmd.index, cells.length), 0, cmd.cell);
      break;
    }
    case 'removeCell':
      cells.splice(indexOf(doc, cmd.id), 1);
      break;
    case 'moveCell': {
      const [cell] = cells.splice(indexOf(doc, cmd.id), 1);
      cells.splice(clamp(cmd.index, cells.length), 0, cell);
      break;
    }
    case 'updateCell': {
      const i = indexOf(doc, cmd.cell.id);
      if (cells[i].kind !== cmd.cell.kind)
        throw new CellError(`cell "${cmd.cell.id}" is a ${cells[i].kind} cell, not ${cmd.cell.kind}`);
      cells[i] = cmd.cell;
      break;
    }
  }
  return { ...doc, cells };
}

export function invertCell(cmd: CellCommand, before: HeraclesDocument): CellCommand {
  switch (cmd.type) {
    case 'addCell':
      return { type: 'removeCell', id: cmd.cell.id };
    case 'removeCell': {
      const i = indexOf(before, cmd.id);
      return { type: 'addCell', cell: before.cells[i], index: i };
    }
    case 'moveCell':
      return { type: 'moveCell', id: cmd.id, index: indexOf(before, cmd.id) };
    case 'updateCell':
      return { type: 'updateCell', cell: before.cells[indexOf(before, cmd.cell.id)] };
  }
}

export function describeCell(cmd: CellCommand): string {
  switch (cmd.type) {
    case 'addCell':
      return `add a ${cmd.cell.kind} cell`;
    case 'removeCell':
      return `delete cell ${cmd.id}`;
    case 'moveCell':
      return `move cell ${cmd.id}`;
    case 'updateCell':
      return `edit cell ${cmd.cell.id}`;
  }
}

/** A fresh cell id: `<kind>`, `<kind>-2`, `<kind>-3`, ... */
export function freshCellId(doc: HeraclesDocument, kind: string): string {
  const taken = new Set(doc.cells.map((c) => c.id));
  if (!taken.has(kind)) return kind;
  for (let i = 2; ; i++) if (!taken.has(`${kind}-${i}`)) return `${kind}-${i}`;
}
