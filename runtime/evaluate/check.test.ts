import { describe, expect, it } from 'vitest';
import { chain, preset } from '../../tests/unit/helpers';
import { demoSeries, demoShapes } from '../data/demo';
import { apply, History } from '../editor/commands';
import { checkDataAgainstDocument, fitCommand, taskFromData } from './check';

const shapes28 = demoShapes({ count: 24 });
const shapes32 = demoShapes({ count: 24, size: 32 });
const series = demoSeries({ rows: 400, channels: 3 });

/** A small forecaster: Input [lookback, C] → flatten → Dense → reshape [horizon, C]. */
const forecaster = (lookback: number, c: number, horizon: number) =>
  chain(
    [
      { id: 'input', type: 'Input', params: { shape: [lookback, c] } },
      { id: 'head', type: 'ForecastHead', params: { horizon, channels: c } },
      { id: 'output', type: 'Output' },
    ],
    { kind: 'forecasting', lookback, horizon, channels: null },
  );

describe('checkDataAgainstDocument', () => {
  const tiny = preset('heracles-tiny');

  it('names the Input node, the shapes and the fix for images of another size', () => {
    const issues = checkDataAgainstDocument(tiny, shapes32);
    expect(issues.map((i) => i.message)).toContain(
      "Input node 'input' expects [28, 28, 1] but the data has 32×32×1 images — set the Input shape to " +
        '[32, 32, 1] or resize the images.',
    );
    expect(issues.find((i) => i.node === 'input')?.field).toBe('shape');
  });

  it('reports a class count the model does not predict', () => {
    const issues = checkDataAgainstDocument(tiny, shapes28);
    const messages = issues.map((i) => i.message);
    expect(messages).toContain(
      'The task says 10 classes but the data has 6 (circle, square, triangle, cross, ring, bar).',
    );
    expect(
      messages.some(
        (m) => m.includes("The model's output 'output' gives [10]") && m.includes('classes to 6'),
      ),
    ).toBe(true);
  });

  it('refuses a task of the other kind in one sentence', () => {
    const issues = checkDataAgainstDocument(tiny, series);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toContain(
      'The model is a classification model but the data is a series of 3 channels',
    );
  });

  it('checks series windows: Input shape, output, and windows that do not fit', () => {
    const doc = forecaster(96, 7, 24);
    const messages = checkDataAgainstDocument(doc, series, { lookback: 48, horizon: 12 }).map(
      (i) => i.message,
    );
    expect(messages).toContain(
      "Input node 'input' expects [96, 7] but the data gives windows of 48 rows × 3 channels — set the Input shape to [48, 3].",
    );
    expect(
      messages.some((m) => m.startsWith("The model's output 'output' gives [24, 7] but the data needs 12")),
    ).toBe(true);
    const long = checkDataAgainstDocument(forecaster(300, 3, 24), series).map((i) => i.message);
    expect(long).toContain(
      'A window needs lookback + horizon = 324 rows but the train split has only 280 — use a shorter lookback or horizon, or more data.',
    );
  });

  it('is empty when the document fits', () => {
    expect(checkDataAgainstDocument(forecaster(48, 3, 12), series, { lookback: 48, horizon: 12 })).toEqual(
      [],
    );
  });
});

describe('taskFromData and fitCommand', () => {
  it('builds the task section from the data', () => {
    expect(taskFromData(shapes32)).toEqual({
      kind: 'classification',
      inputShape: [32, 32, 1],
      classes: 6,
      classNames: ['circle', 'square', 'triangle', 'cross', 'ring', 'bar'],
    });
    expect(taskFromData(series, { lookback: 48, horizon: 12 })).toEqual({
      kind: 'forecasting',
      lookback: 48,
      horizon: 12,
      channels: 3,
    });
  });

  it('fits the document in one undoable command; the issues are gone, undo restores it', () => {
    const tiny = preset('heracles-tiny');
    const cmd = fitCommand(tiny, shapes28);
    expect(cmd).not.toBeNull();
    const fitted = apply(tiny, cmd!);
    expect(checkDataAgainstDocument(fitted, shapes28)).toEqual([]);
    const h = new History(tiny);
    h.do(cmd!);
    h.undo();
    expect(h.doc).toEqual(tiny);
    expect(fitCommand(fitted, shapes28)).toBeNull();

    const doc = forecaster(96, 7, 24);
    const f = apply(doc, fitCommand(doc, series, { lookback: 48, horizon: 12 })!);
    expect(checkDataAgainstDocument(f, series, { lookback: 48, horizon: 12 })).toEqual([]);
    expect(fitCommand(tiny, series)).toBeNull();
  });
});
