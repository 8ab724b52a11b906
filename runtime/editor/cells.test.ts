import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { CellsSchema } from '../document/cells';
import type { Cell } from '../document/cells';
import { preset } from '../../tests/unit/helpers';
import { apply, History, invert, type Command } from './commands';
import { CellError, freshCellId } from './cells';

const tiny = preset('heracles-tiny');

/** A random cell command that fits `doc` (or deliberately does not, when `bad`). */
function commandFor(doc: typeof tiny, r: { op: number; a: number; b: number; text: string }): Command {
  const ids = doc.cells.map((c) => c.id);
  const pick = ids[r.a % ids.length];
  switch (r.op % 4) {
    case 0: {
      const cell: Cell = { id: freshCellId(doc, 'notes'), kind: 'notes', text: r.text, collapsed: false };
      return { type: 'addCell', cell, index: r.b % (ids.length + 1) };
    }
    case 1:
      return { type: 'removeCell', id: pick };
    case 2:
      return { type: 'moveCell', id: pick, index: r.b % ids.length };
    default: {
      const cell = doc.cells[r.a % ids.length];
      return { type: 'updateCell', cell: { ...cell, collapsed: !cell.collapsed, title: r.text } };
    }
  }
}

describe('notebook cell commands', () => {
  it('every command has an exact inverse, and the cells stay valid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.nat(), a: fc.nat(), b: fc.nat(), text: fc.string({ maxLength: 30 }) }), {
          minLength: 1,
          maxLength: 25,
        }),
        (steps) => {
          const history = new History(tiny);
          const seen = [tiny];
          for (const s of steps) {
            const doc = history.doc;
            if (doc.cells.length === 0) break;
            const cmd = commandFor(doc, s);
            const next = history.do(cmd);
            expect(apply(next, invert(cmd, doc))).toEqual(doc);
            expect(v.safeParse(CellsSchema, next.cells).success).toBe(true);
            expect(next.nodes).toBe(tiny.nodes);
            seen.push(next);
          }
          for (let i = seen.length - 2; i >= 0; i--) expect(history.undo()).toEqual(seen[i]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('moves a cell to the asked position', () => {
    const first = tiny.cells[0].id;
    const moved = apply(tiny, { type: 'moveCell', id: first, index: 3 });
    expect(moved.cells[3].id).toBe(first);
    expect(moved.cells.length).toBe(tiny.cells.length);
  });

  it('refuses what a notebook cannot hold, naming the cell', () => {
    expect(() => apply(tiny, { type: 'removeCell', id: 'nope' })).toThrow(CellError);
    expect(() => apply(tiny, { type: 'removeCell', id: 'nope' })).toThrow(/"nope"/);
    expect(() =>
      apply(tiny, { type: 'addCell', cell: { id: 'model-2', kind: 'model', collapsed: false }, index: 0 }),
    ).toThrow(/one model cell/);
    expect(() =>
      apply(tiny, { type: 'addCell', cell: { id: 'intro', kind: 'train', collapsed: false }, index: 0 }),
    ).toThrow(/already exists/);
    expect(() =>
      apply(tiny, { type: 'updateCell', cell: { id: 'intro', kind: 'train', collapsed: false } }),
    ).toThrow(/is a notes cell/);
  });

  it('names fresh cells after their kind', () => {
    expect(freshCellId(tiny, 'code')).toBe('code');
    expect(freshCellId(tiny, 'notes')).toBe('notes');
    expect(freshCellId(tiny, 'train')).toBe('train-2');
  });
});
