import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from './browser.ts';

/** The editor's live document (the page exposes it for tests). */
const docOf = async (page: Page) =>
  JSON.parse(
    await page.evaluate(() =>
      JSON.stringify((window as unknown as { __heraclesDoc: unknown }).__heraclesDoc),
    ),
  ) as {
    metadata: { name: string };
    nodes: { id: string; type: string }[];
    cells: { id: string; kind: string; text?: string; collapsed?: boolean; source?: string }[];
  };

async function openStudio(browser: Browser) {
  // Clipboard access: Monaco gets its new text by paste (typing would auto-close brackets).
  const opened = await openPage(browser, '/', { permissions: ['clipboard-read', 'clipboard-write'] });
  await opened.page.setViewportSize({ width: 1400, height: 1000 });
  await opened.page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
  return opened;
}

async function openTemplate(page: Page, id: string) {
  await page.getByRole('button', { name: 'New from template' }).click();
  await page.locator(`[data-testid="template"][data-template-id="${id}"]`).click();
  await page.locator('[data-testid="status"]', { hasText: 'template' }).waitFor();
}

/** Replaces the text of the Monaco editor inside `scope`, as a user pasting it would. */
async function setMonacoText(page: Page, scope: string, text: string) {
  const editor = page.locator(`${scope} [data-testid="monaco"][data-loaded="true"]`);
  await editor.waitFor();
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Control+v');
}

const CODE = `import * as tf from '@tensorflow/tfjs';
import { defineCodeBlock } from 'heracles';

export default defineCodeBlock({
  type: 'SquareGate',
  displayName: 'Square gate',
  inferShape: ([x]) => x,
  forward: ([x]) => tf.mul(x, x),
});
`;

describe('notebook', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows a template as a notebook that teaches it; cells collapse, move, get added and edited, undoably', async () => {
    const { page, errors, context } = await openStudio(browser);
    await openTemplate(page, 'heracles-tiny');
    await page.keyboard.press('Alt+2');
    await page.getByTestId('page-notebook').waitFor();
    const before = await docOf(page);
    const cells = page.getByTestId('cell');
    await expect(cells.count()).resolves.toBe(before.cells.length);
    await expect(page.locator('[data-cell="ssm-stages"]').textContent()).resolves.toMatch(/Hartley/);
    await expect(page.getByTestId('model-params').textContent()).resolves.toMatch(/1\.37 ?M/);

    // Collapse, move down, add a note and edit it.
    await page
      .locator('[data-cell="stem"]')
      .getByRole('button', { name: /^Collapse/ })
      .click();
    await expect((await docOf(page)).cells.find((c) => c.id === 'stem')?.collapsed).toBe(true);
    await page.locator('[data-cell="stem"]').getByRole('button', { name: 'Move down' }).click();
    const moved = (await docOf(page)).cells.map((c) => c.id);
    expect(moved.indexOf('stem')).toBe(before.cells.findIndex((c) => c.id === 'stem') + 1);
    await page.getByRole('toolbar', { name: 'Add a cell' }).getByRole('button', { name: 'notes' }).click();
    const added = page.locator('[data-cell="notes"]');
    await added.getByRole('button', { name: 'Edit' }).click();
    await added.getByRole('textbox').fill('## My note\nHeracles mixes tokens **globally** first.');
    await added.getByRole('textbox').press('Control+Enter');
    await expect(added.locator('strong', { hasText: 'globally' }).count()).resolves.toBe(1);
    expect((await docOf(page)).cells.find((c) => c.id === 'notes')?.text).toMatch(/globally/);

    // "Show in the graph" from a teaching note selects its nodes in the graph view.
    await page
      .locator('[data-cell="head"]')
      .getByRole('button', { name: /^Show cls, head/ })
      .click();
    await page.getByTestId('palette').waitFor();
    await expect
      .poll(() =>
        page
          .locator('.svelte-flow__node.selected')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))),
      )
      .toEqual(['cls', 'head']);

    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    for (let i = 0; i < 4; i++) await undo.click();
    expect(await docOf(page)).toEqual(before);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('edits the document as JSON both ways; invalid text changes nothing and says where it is wrong', async () => {
    const { page, errors, context } = await openStudio(browser);
    await openTemplate(page, 'heracles-ts');
    await page.getByTestId('view-json').click();
    const before = await docOf(page);
    const edited = { ...before, metadata: { ...before.metadata, name: 'Renamed in JSON' } };
    await setMonacoText(page, '[data-testid="json-view"]', JSON.stringify(edited, null, 2));
    await expect.poll(async () => (await docOf(page)).metadata.name).toBe('Renamed in JSON');
    await expect(page.getByTestId('doc-name').textContent()).resolves.toBe('Renamed in JSON');

    // Broken JSON: the graph stays, the problem is shown.
    const now = await docOf(page);
    await setMonacoText(
      page,
      '[data-testid="json-view"]',
      JSON.stringify(edited, null, 2).replace('"nodes": [', '"nodes": [,'),
    );
    await expect(page.getByTestId('json-problem').textContent()).resolves.toMatch(/Not applied — .*line \d+/);
    expect(await docOf(page)).toEqual(now);
    // A graph change from elsewhere (undo) while the text is broken is offered, not forced on the text.
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await expect.poll(async () => (await docOf(page)).metadata.name).toBe(before.metadata.name);
    await page.getByRole('button', { name: /Discard the edit/ }).click();
    await expect(page.getByTestId('json-problem').count()).resolves.toBe(0);

    // The generated code view: tfjs and PyTorch.
    await page.getByTestId('view-code').click();
    const shown = (language: string) =>
      page.locator(`[data-testid="code-view"] [data-language="${language}"][data-loaded="true"] .view-lines`);
    await expect.poll(() => shown('typescript').textContent(), { timeout: 30_000 }).toMatch(/buildModel/);
    await page.getByRole('tab', { name: 'PyTorch (model.py)' }).click();
    // Monaco renders only the visible lines: the top of model.py.
    await expect
      .poll(() => shown('python').textContent(), { timeout: 30_000 })
      .toMatch(/the\sPyTorch\sversion/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a code cell defines a block; a notebook from a file shows its code but runs it only once trusted', async () => {
    const { page, errors, context } = await openStudio(browser);
    await openTemplate(page, 'heracles-tiny');
    await page.getByTestId('view-notebook').click();
    await page.getByRole('toolbar', { name: 'Add a cell' }).getByRole('button', { name: 'code' }).click();
    await setMonacoText(page, '[data-cell="code"]', CODE);
    await expect
      .poll(async () => (await docOf(page)).cells.find((c) => c.id === 'code')?.source)
      .toContain('SquareGate');
    await page.locator('[data-cell="code"]').getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByTestId('code-blocks').textContent()).resolves.toMatch(/SquareGate/);
    await page.getByTestId('view-graph').click();
    await page.getByTestId('palette').getByRole('button', { name: 'Square gate', exact: true }).waitFor();
    const doc = await docOf(page);
    await context.close();

    // Elsewhere (a fresh browser profile), the same notebook arrives as a file: untrusted.
    const other = await openStudio(browser);
    await other.page.getByTestId('open-file').setInputFiles({
      name: 'gate.heracles.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    await other.page.getByTestId('view-notebook').click();
    const cell = other.page.locator('[data-cell="code"]');
    await expect(cell.getByTestId('untrusted').textContent()).resolves.toMatch(/has not run/);
    await expect(cell.getByRole('button', { name: 'Run', exact: true }).isDisabled()).resolves.toBe(true);
    await cell.locator('[data-testid="monaco"][data-loaded="true"]').waitFor();
    await expect.poll(() => cell.locator('.view-lines').textContent()).toContain('SquareGate');
    await other.page.getByTestId('view-graph').click();
    await expect(
      other.page.getByTestId('palette').getByRole('button', { name: 'Square gate' }).count(),
    ).resolves.toBe(0);
    await other.page.getByTestId('view-notebook').click();
    await cell.getByRole('button', { name: /Trust this notebook/ }).click();
    await expect(cell.getByTestId('code-blocks').textContent()).resolves.toMatch(/SquareGate/);
    expect([...errors, ...other.errors]).toEqual([]);
    await other.context.close();
  });
});
