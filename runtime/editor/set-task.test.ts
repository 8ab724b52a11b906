import { describe, expect, it } from 'vitest';
import { preset } from '../../tests/unit/helpers';
import { apply, describe as describeCommand, History, invert } from './commands';

describe('setTask command', () => {
  const doc = preset('heracles-tiny');

  it('replaces the task section without touching the rest, and its inverse restores it exactly', () => {
    const task = {
      kind: 'classification' as const,
      inputShape: [28, 28, 1],
      classes: 6,
      classNames: ['a', 'b', 'c', 'd', 'e', 'f'],
    };
    const after = apply(doc, { type: 'setTask', task });
    expect(after.task).toEqual(task);
    expect(after.task).not.toBe(task); // copied: later edits of `task` do not leak in
    expect(after.nodes).toBe(doc.nodes);
    expect(Object.keys(after)).toEqual(Object.keys(doc));
    const back = apply(after, invert({ type: 'setTask', task }, doc));
    expect(back).toEqual(doc);
    expect(JSON.stringify(back)).toBe(JSON.stringify(doc));
    expect(describeCommand({ type: 'setTask', task })).toBe('set task to classification');
  });

  it('is undoable and redoable through the history', () => {
    const h = new History(doc);
    h.do({ type: 'setTask', task: { kind: 'forecasting', lookback: 48, horizon: 12, channels: 3 } });
    expect(h.doc.task.kind).toBe('forecasting');
    h.undo();
    expect(h.doc.task).toEqual(doc.task);
    h.redo();
    expect(h.doc.task).toMatchObject({ lookback: 48, horizon: 12, channels: 3 });
  });
});
