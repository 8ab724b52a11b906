import { describe, expect, it } from 'vitest';
import { preset } from '../../tests/unit/helpers';
import { apply, describe as describeCommand, History, invert } from './commands';

describe('setTraining command', () => {
  const doc = preset('heracles-tiny');

  it('replaces the training section only, and its inverse restores the document exactly', () => {
    const training = { ...doc.training, learningRate: 3e-3, epochs: 4, labelSmoothing: 0.1 };
    const after = apply(doc, { type: 'setTraining', training });
    expect(after.training).toEqual(training);
    expect(after.training).not.toBe(training); // copied: later edits of `training` do not leak in
    expect(after.nodes).toBe(doc.nodes);
    expect(after.task).toBe(doc.task);
    const back = apply(after, invert({ type: 'setTraining', training }, doc));
    expect(JSON.stringify(back)).toBe(JSON.stringify(doc));
    expect(describeCommand({ type: 'setTraining', training })).toBe('change the training settings');
  });

  it('is undoable and redoable through the history', () => {
    const h = new History(doc);
    h.do({ type: 'setTraining', training: { ...doc.training, batchSize: 16 } });
    expect(h.doc.training.batchSize).toBe(16);
    h.undo();
    expect(h.doc.training).toEqual(doc.training);
    h.redo();
    expect(h.doc.training.batchSize).toBe(16);
  });
});
