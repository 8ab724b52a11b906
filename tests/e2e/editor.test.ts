import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage } from './browser.ts';

/** The editor's live document, as plain JSON (the page exposes it for tests). */
const docOf = async (page: Page): Promise<Record<string, unknown>> =>
  JSON.parse(
    await page.evaluate(() =>
      JSON.stringify((window as unknown as { __heraclesDoc: unknown }).__heraclesDoc),
    ),
  );

interface DocLike {
  nodes: { id: string; type: string; params: Record<string, unknown>; position: { x: number; y: number } }[];
  edges: { id: string; source: string; target: string }[];
}
const graphOf = async (page: Page) => (await docOf(page)) as unknown as DocLike;

async function openEditor(browser: Browser, path = '/', options: { permissions?: string[] } = {}) {
  const opened = await openPage(browser, path, options);
  await opened.page.setViewportSize({ width: 1400, height: 900 });
  await opened.page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
  return opened;
}

async function fitView(page: Page) {
  await page.getByRole('button', { name: 'Fit view', exact: true }).click();
  await page.waitForTimeout(400);
}

/** Drags a link from `source`'s output handle to `target`'s input handle with the mouse. */
async function drag(page: Page, source: string, target: string, sourcePort = 'out', targetPort = 'in') {
  const from = page.locator(
    `[data-node-id="${source}"] [data-testid="handle-out"][data-port="${sourcePort}"]`,
  );
  const to = page.locator(`[data-node-id="${target}"] [data-testid="handle-in"][data-port="${targetPort}"]`);
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  if (!a || !b) throw new Error(`handles of ${source} → ${target} are not on screen`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function addFromPalette(page: Page, name: string): Promise<string> {
  const before = new Set((await graphOf(page)).nodes.map((n) => n.id));
  await page.getByTestId('palette').getByRole('button', { name, exact: true }).click();
  const after = (await graphOf(page)).nodes.map((n) => n.id);
  const added = after.filter((id) => !before.has(id));
  expect(added).toHaveLength(1);
  await page.locator(`[data-node-id="${added[0]}"]`).waitFor();
  return added[0];
}

async function openTemplate(page: Page, id: string) {
  await page.getByRole('button', { name: 'New from template' }).click();
  await page.locator(`[data-testid="template"][data-template-id="${id}"]`).click();
  await page.locator('[data-testid="status"]', { hasText: 'template' }).waitFor();
}

const waitSaved = (page: Page) => page.locator('[data-testid="editor"][data-saved="true"]').waitFor();

describe('editor', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('builds Input → Hartley SSM → Local Conv SSM → Output from the palette, with shapes on every edge', async () => {
    const { page, errors, context } = await openEditor(browser);
    // Docs on hover/focus: the palette item describes itself.
    const item = page.getByTestId('palette').getByRole('button', { name: 'Hartley SSM', exact: true });
    await item.focus();
    await expect(page.getByTestId('palette-doc').textContent()).resolves.toContain('Hartley');

    // Enter on a focused palette item adds the block…
    await page.keyboard.press('Enter');
    await page.locator('[data-node-id="hartleySSM"]').waitFor();
    // …and dragging one onto the canvas does too.
    await page
      .getByTestId('palette')
      .getByRole('button', { name: 'Local Conv SSM', exact: true })
      .dragTo(page.locator('.svelte-flow__pane'), { targetPosition: { x: 130, y: 420 } });
    await page.locator('[data-node-id="localConvSSM"]').waitFor();

    await fitView(page);
    await drag(page, 'input', 'hartleySSM');
    await drag(page, 'hartleySSM', 'localConvSSM');
    await drag(page, 'localConvSSM', 'output');

    const { edges } = await graphOf(page);
    expect(edges.map((e) => `${e.source}>${e.target}`)).toEqual([
      'input>hartleySSM',
      'hartleySSM>localConvSSM',
      'localConvSSM>output',
    ]);
    const labels = page.getByTestId('edge-shape');
    await expect.poll(() => labels.count()).toBe(3);
    for (const e of edges)
      await expect(
        page.locator(`[data-testid="edge-shape"][data-edge-id="${e.id}"]`).textContent(),
      ).resolves.toContain('[28, 28, 1]');
    // The mixers show their cost.
    await expect(
      page.locator('[data-node-id="hartleySSM"] [data-testid="node-cost"]').textContent(),
    ).resolves.toMatch(/784 params/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses an incompatible link while dragging and says why', async () => {
    const { page, errors, context } = await openEditor(browser);
    const revin = await addFromPalette(page, 'RevIN');
    await fitView(page);
    await drag(page, 'input', revin);
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(
      /Cannot connect: .*expects a sequence \[L, C\].*image tokens \[28, 28, 1\]/,
    );
    expect((await graphOf(page)).edges).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('pins a shape error on the right node and clears it when the param is fixed in the inspector', async () => {
    const { page, errors, context } = await openEditor(browser);
    const stem = await addFromPalette(page, 'Conv Stem');
    const mha = await addFromPalette(page, 'Multi-Head Attention');
    await fitView(page);
    await drag(page, 'input', stem);
    await drag(page, stem, mha);
    const node = page.locator(`[data-testid="node"][data-node-id="${mha}"]`);
    await expect(node.getAttribute('data-status')).resolves.toBe('ok');

    await page.locator(`[data-node-id="${mha}"]`).click();
    const heads = page.getByTestId('inspector').getByLabel('Heads', { exact: true });
    await heads.fill('3');
    await heads.press('Enter');
    await expect.poll(() => node.getAttribute('data-status')).toBe('error');
    await expect(
      page.locator(`[data-node-id="${mha}"] [data-testid="node-error"]`).textContent(),
    ).resolves.toMatch(/64 channels do not split evenly into 3 heads/);
    // Only that node: the stem upstream is fine.
    await expect(
      page.locator(`[data-testid="node"][data-node-id="${stem}"]`).getAttribute('data-status'),
    ).resolves.toBe('ok');

    // An out-of-range value is rejected in place and not applied.
    const before = await docOf(page);
    await heads.fill('0');
    await heads.press('Enter');
    await expect(page.getByTestId('param-error').textContent()).resolves.toMatch(/must be ≥ 1.*not applied/);
    expect(await docOf(page)).toEqual(before);

    await heads.fill('4');
    await heads.press('Enter');
    await expect.poll(() => node.getAttribute('data-status')).toBe('ok');
    await expect(page.locator(`[data-node-id="${mha}"] [data-testid="node-error"]`).count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('undo and redo restore the document exactly (buttons and keyboard)', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    const start = await docOf(page);
    const states = [start];

    await addFromPalette(page, 'Dropout');
    states.push(await docOf(page));
    // Delete a node (and its two links) with the keyboard.
    await page.locator('[data-node-id="cls"]').click();
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await graphOf(page)).nodes.some((n) => n.id === 'cls')).toBe(false);
    states.push(await docOf(page));
    // Change a param in the inspector.
    await page.locator('[data-node-id="stem"]').click();
    const dim = page.getByTestId('inspector').getByLabel('Output channels', { exact: true });
    await dim.fill('48');
    await dim.press('Enter');
    await expect
      .poll(async () => (await graphOf(page)).nodes.find((n) => n.id === 'stem')?.params.dim)
      .toBe(48);
    states.push(await docOf(page));
    // Move a node by dragging it.
    const box = await page.locator('[data-node-id="stem"]').boundingBox();
    if (!box) throw new Error('stem not visible');
    await page.mouse.move(box.x + 30, box.y + 12);
    await page.mouse.down();
    await page.mouse.move(box.x + 130, box.y + 40, { steps: 8 });
    await page.mouse.up();
    await expect
      .poll(async () => (await graphOf(page)).nodes.find((n) => n.id === 'stem')?.position.x)
      .not.toBe((states[3] as unknown as DocLike).nodes.find((n) => n.id === 'stem')?.position.x);
    states.push(await docOf(page));

    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    const redo = page.getByRole('button', { name: 'Redo', exact: true });
    for (let i = states.length - 1; i > 0; i--) {
      await undo.click();
      expect(await docOf(page)).toEqual(states[i - 1]);
    }
    await expect(undo.isDisabled()).resolves.toBe(true);
    for (let i = 1; i < states.length; i++) {
      await redo.click();
      expect(await docOf(page)).toEqual(states[i]);
    }
    // The keyboard: Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y.
    await page.locator('.svelte-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    expect(await docOf(page)).toEqual(states[states.length - 2]);
    await page.keyboard.press('Control+Shift+z');
    expect(await docOf(page)).toEqual(states[states.length - 1]);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    expect(await docOf(page)).toEqual(states[states.length - 3]);
    await page.keyboard.press('Control+y');
    expect(await docOf(page)).toEqual(states[states.length - 2]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('links blocks with the keyboard only, from the inspector', async () => {
    const { page, errors, context } = await openEditor(browser);
    await page.getByRole('searchbox', { name: 'Search blocks' }).fill('hartley');
    // Tab to the palette item, then Enter.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === 'Hartley SSM') break;
    }
    await page.keyboard.press('Enter');
    await page.locator('[data-node-id="hartleySSM"]').waitFor();
    // The new block is selected, so the inspector offers the outputs that fit its input.
    const pick = page.getByRole('combobox', { name: 'Connect input in from' });
    await pick.selectOption({ label: 'input' });
    expect((await graphOf(page)).edges.map((e) => `${e.source}>${e.target}`)).toEqual(['input>hartleySSM']);
    await expect(page.locator('[data-testid="edge-shape"]').first().textContent()).resolves.toContain(
      '[28, 28, 1]',
    );
    await page.getByRole('button', { name: 'Disconnect input from in' }).click();
    expect((await graphOf(page)).edges).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('auto-layout moves the nodes in one undoable step', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    const before = await docOf(page);
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await expect.poll(async () => JSON.stringify(await docOf(page))).not.toBe(JSON.stringify(before));
    const laid = await graphOf(page);
    // Top to bottom along the chain.
    const y = (id: string) => laid.nodes.find((n) => n.id === id)?.position.y ?? NaN;
    expect(y('input')).toBeLessThan(y('stem'));
    expect(y('head')).toBeLessThan(y('output'));
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    expect(await docOf(page)).toEqual(before);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('copy and paste keeps params under fresh ids', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    await page.locator('[data-node-id="stage2"]').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    const { nodes } = await graphOf(page);
    const copy = nodes[nodes.length - 1];
    expect(copy.id).not.toBe('stage2');
    expect(copy.params).toEqual(nodes.find((n) => n.id === 'stage2')?.params);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('copies blocks into another tab with another document; other clipboard text changes nothing', async () => {
    const clipboard = { permissions: ['clipboard-read', 'clipboard-write'] };
    const a = await openEditor(browser, '/', clipboard);
    await openTemplate(a.page, 'heracles-tiny');
    await a.page.locator('[data-node-id="stage1"]').click();
    await a.page.keyboard.press('Control+c');
    const text = await a.page.evaluate(() => navigator.clipboard.readText());
    expect(JSON.parse(text).nodes.map((n: { id: string }) => n.id)).toEqual(['stage1']);

    // Another tab, another document: Ctrl+V brings the Stage with its params.
    const b = await openEditor(browser, '/', clipboard);
    const page = b.page;
    await openTemplate(page, 'heracles-ts');
    const before = await graphOf(page);
    await page.locator('.svelte-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+v');
    await expect.poll(async () => (await graphOf(page)).nodes.length).toBe(before.nodes.length + 1);
    const pasted = (await graphOf(page)).nodes.at(-1);
    expect(pasted?.type).toBe('Stage');
    expect(pasted?.params).toEqual(JSON.parse(text).nodes[0].params);

    // Text that is not blocks: a message, and the document stays as it was.
    const now = await docOf(page);
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', '{"not": "blocks"}');
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
    });
    await expect(page.getByTestId('status').textContent()).resolves.toMatch(
      /Nothing pasted: .*not Heracles blocks/,
    );
    expect(await docOf(page)).toEqual(now);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('multi-select: Ctrl+click and a Shift-drawn box select several blocks; copy and delete act on all', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    await fitView(page);
    await page.locator('.svelte-flow__node[data-id="stage1"]').click();
    await page.locator('.svelte-flow__node[data-id="stage2"]').click({ modifiers: ['Control'] });
    const selected = () =>
      page
        .locator('.svelte-flow__node.selected')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).sort());
    await expect.poll(selected).toEqual(['stage1', 'stage2']);
    const before = await graphOf(page);
    await page.keyboard.press('Control+d');
    await expect.poll(async () => (await graphOf(page)).nodes.length).toBe(before.nodes.length + 2);
    // The two copies keep the link between them.
    const after = await graphOf(page);
    const copies = after.nodes.slice(-2).map((n) => n.id);
    expect(after.edges.some((e) => e.source === copies[0] && e.target === copies[1])).toBe(true);
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await graphOf(page)).nodes.length).toBe(before.nodes.length);

    // A box drawn with Shift held selects what it covers.
    const box = async (id: string) =>
      (await page.locator(`.svelte-flow__node[data-id="${id}"]`).boundingBox()) as {
        x: number;
        y: number;
        width: number;
        height: number;
      };
    const a = await box('stem');
    const b = await box('stage1');
    await page.keyboard.down('Shift');
    await page.mouse.move(Math.min(a.x, b.x) - 30, a.y - 20);
    await page.mouse.down();
    await page.mouse.move(Math.max(a.x + a.width, b.x + b.width) + 30, b.y + b.height + 10, { steps: 8 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await expect.poll(selected).toEqual(expect.arrayContaining(['stage1', 'stem']));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('restores the autosaved document after a reload', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    await addFromPalette(page, 'Layer Norm');
    await waitSaved(page);
    const saved = await docOf(page);
    await page.reload();
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    expect(await docOf(page)).toEqual(saved);
    await expect(page.getByTestId('status').textContent()).resolves.toContain('Restored');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a share link opens the same document in a new page; a damaged one is refused', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-ts');
    await addFromPalette(page, 'Dropout');
    const doc = await docOf(page);
    await page.getByRole('button', { name: 'Share link' }).click();
    const link = await page.getByTestId('share-link').inputValue();
    expect(link).toMatch(/#doc=[A-Za-z0-9_-]+$/);

    const other = await browser.newContext();
    const page2 = await other.newPage();
    await page2.goto(link);
    await page2.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    expect(await docOf(page2)).toEqual(doc);
    await expect(page2.getByTestId('status').textContent()).resolves.toContain('share link');

    // A link cut short: a clear message, and the editor keeps working with its own document.
    const page3 = await other.newPage();
    await page3.goto(link.slice(0, link.length - 40));
    await page3.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    await expect(page3.getByTestId('status').textContent()).resolves.toMatch(
      /Cannot open the share link: .*damaged or cut short/,
    );
    await other.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opening Heracles-S from the gallery shows ~21.2 M params in the totals bar', async () => {
    const { page, errors, context } = await openEditor(browser);
    await page.getByRole('button', { name: 'New from template' }).click();
    const items = page.getByTestId('template');
    await expect(items.count()).resolves.toBeGreaterThanOrEqual(6);
    await page.locator('[data-testid="template"][data-template-id="heracles-s"]').click();
    await expect.poll(() => page.getByTestId('total-params').textContent()).toMatch(/21\.2\d M params/);
    await expect(page.getByTestId('doc-name').textContent()).resolves.toBe('Heracles-S');
    await expect(page.getByTestId('problem-count').textContent()).resolves.toContain('No problems');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('expands a stage in place (blocks, then layers, with shapes), collapses it, and leaves the document alone', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-s');
    const before = await docOf(page);
    const undo = page.getByRole('button', { name: 'Undo', exact: true });

    await page.getByRole('button', { name: /^Expand Stage 1: / }).click();
    const frame = page.locator('[data-testid="expanded"][data-node-id="stage1"]');
    await frame.waitFor();
    await expect(frame.getByTestId('expanded-note').textContent()).resolves.toContain(
      "edit the Stage's params, or 'Convert to group' to edit its blocks",
    );
    // Its three Heracles Blocks, each with its cost, linked by [56, 56, 64] edges (in and out too).
    const blocks = page.locator('[data-testid="node"][data-node-id^="stage1/"]');
    await expect.poll(() => blocks.count()).toBe(3);
    expect(await blocks.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')))).toEqual([
      'stage1/b0',
      'stage1/b1',
      'stage1/b2',
    ]);
    expect(await blocks.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))).toEqual([
      'HeraclesBlock',
      'HeraclesBlock',
      'HeraclesBlock',
    ]);
    await expect(
      page.locator('[data-node-id="stage1/b1"] [data-testid="node-cost"]').getAttribute('data-params'),
    ).resolves.toBe('172160');
    const stageShapes = page.locator('[data-testid="edge-shape"][data-edge-id^="stage1/"]');
    await expect.poll(() => stageShapes.count()).toBe(4); // in → b0 → b1 → b2 → out
    for (const text of await stageShapes.allTextContents()) expect(text.trim()).toBe('[56, 56, 64]');
    // View state only: the document and the history are untouched.
    expect(await docOf(page)).toEqual(before);
    await expect(undo.isDisabled()).resolves.toBe(true);

    // One level further: a block shows LayerNorm → Heracles Mixer → FFN and its Adds.
    await page.getByRole('button', { name: 'Expand stage1/b0', exact: true }).click();
    const layers = page.locator('[data-testid="node"][data-node-id^="stage1/b0/"]');
    await expect.poll(() => layers.count()).toBe(6);
    expect(await layers.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))).toEqual([
      'LayerNorm',
      'HeraclesMixer',
      'Add',
      'LayerNorm',
      'FFN',
      'Add',
    ]);
    const names = await layers.locator('.type').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['Layer Norm', 'Heracles Mixer', 'Feed-Forward (FFN)']));
    const layerShapes = page.locator('[data-testid="edge-shape"][data-edge-id^="stage1/b0/"]');
    await expect.poll(() => layerShapes.count()).toBeGreaterThanOrEqual(8);
    for (const text of await layerShapes.allTextContents()) expect(text.trim()).toBe('[56, 56, 64]');
    await expect(
      page.locator('[data-node-id="stage1/b0/mixer"] [data-testid="node-cost"]').textContent(),
    ).resolves.toMatch(/K params/);
    // An inner node of a built-in composite is read-only in the inspector.
    await page.locator('.svelte-flow__node[data-id="stage1/b0/ffn"]').click();
    await expect(page.getByTestId('inner-note').textContent()).resolves.toMatch(/Read-only/);
    await expect(
      page.getByTestId('inspector').getByLabel('MLP ratio', { exact: true }).count(),
    ).resolves.toBe(0);

    // Collapse both levels: back to the single Stage node.
    await page.getByRole('button', { name: 'Collapse stage1/b0', exact: true }).click();
    await expect.poll(() => layers.count()).toBe(0);
    await page.getByRole('button', { name: /^Collapse Stage 1: / }).click();
    await expect.poll(() => page.locator('[data-node-id^="stage1/"]').count()).toBe(0);
    await expect(
      page.locator('[data-testid="node"][data-node-id="stage1"]').getAttribute('data-type'),
    ).resolves.toBe('Stage');
    await page.getByRole('button', { name: /^Expand Stage 1: / }).waitFor();
    expect(await docOf(page)).toEqual(before);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('converts a stage to a group; editing a block inside changes every repeat; undo restores', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-s');
    const original = await docOf(page);
    const exactParams = async () =>
      Number(((await page.getByTestId('total-params').getAttribute('title')) ?? '').replace(/\D/g, ''));
    expect(await exactParams()).toBe(21229512);

    await page.getByRole('button', { name: /^Expand Stage 2: / }).click();
    await page.getByRole('button', { name: /^Convert Stage 2: .* to a group$/ }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/Converted stage2 to a Group/);
    const converted = (await docOf(page)) as unknown as DocLike & {
      composites: Record<string, { nodes: { id: string; params: Record<string, unknown> }[] }>;
    };
    const group = converted.nodes.find((n) => n.id === 'stage2');
    expect(group).toMatchObject({ type: 'Group', params: { ref: 'stage2-block', repeat: 4 } });
    expect(converted.composites['stage2-block'].nodes.map((n) => n.id)).toContain('ffn');
    // The Downsample moved out in front of the group; the totals are the same model's.
    expect(converted.edges.map((e) => `${e.source}>${e.target}`)).toEqual(
      expect.arrayContaining(['stage1>stage2-down', 'stage2-down>stage2']),
    );
    expect(await exactParams()).toBe(21229512);

    // Still expanded, now as the group ×4: four copies of the block.
    const ffnCost = (k: number) =>
      page
        .locator(`[data-node-id="stage2/r${k}.ffn"] [data-testid="node-cost"]`)
        .getAttribute('data-params')
        .then(Number);
    await page.locator('[data-node-id="stage2/r3.ffn"]').waitFor();
    const ffnBefore = await ffnCost(0);
    for (let k = 1; k < 4; k++) expect(await ffnCost(k)).toBe(ffnBefore);

    await fitView(page);
    await page.locator('.svelte-flow__node[data-id="stage2/r1.ffn"]').click();
    await expect(page.getByTestId('inner-note').textContent()).resolves.toMatch(/every repeat \(×4\)/);
    const ratio = page.getByTestId('inspector').getByLabel('MLP ratio', { exact: true });
    await expect(ratio.inputValue()).resolves.toBe('8');
    await ratio.fill('4');
    await ratio.press('Enter');
    await expect.poll(() => ffnCost(0)).toBeLessThan(ffnBefore);
    const ffnAfter = await ffnCost(0);
    for (let k = 1; k < 4; k++) expect(await ffnCost(k)).toBe(ffnAfter);
    // All four repeats changed: the total drops by four times one FFN's saving.
    await expect.poll(exactParams).toBe(21229512 - 4 * (ffnBefore - ffnAfter));
    const edited = (await docOf(page)) as unknown as typeof converted;
    expect(edited.composites['stage2-block'].nodes.find((n) => n.id === 'ffn')?.params.mlpRatio).toBe(4);

    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    await undo.click();
    expect(await docOf(page)).toEqual(converted);
    await expect.poll(exactParams).toBe(21229512);
    await undo.click();
    expect(await docOf(page)).toEqual(original);
    await expect(undo.isDisabled()).resolves.toBe(true);
    // The stage is back, still shown expanded (view state survives undo).
    await page.locator('[data-testid="expanded"][data-node-id="stage2"][data-type="Stage"]').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('edits the structure inside a group: add a block, link it, delete it — in every repeat, undoable', async () => {
    const { page, errors, context } = await openEditor(browser);
    await openTemplate(page, 'heracles-tiny');
    await page.getByRole('button', { name: /^Expand Stage 3: / }).click();
    await page.getByRole('button', { name: /^Convert Stage 3: .* to a group$/ }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/Converted stage3 to a Group/);
    type WithGroups = DocLike & {
      composites: Record<
        string,
        {
          nodes: { id: string; type: string }[];
          edges: { source: string; target: string }[];
          outputs: { node: string }[];
        }
      >;
    };
    const converted = (await docOf(page)) as unknown as WithGroups;
    const ref = String(converted.nodes.find((n) => n.id === 'stage3')?.params.ref);
    const last = converted.composites[ref].outputs[0].node;
    await fitView(page);

    // A block selected inside the group + a palette item = a new block in the group, shown in both repeats.
    await page.locator(`.svelte-flow__node[data-id="stage3/r0.${last}"]`).click();
    await page.getByTestId('palette').getByRole('button', { name: 'Dropout', exact: true }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/Added Dropout to group/);
    const added = (await docOf(page)) as unknown as WithGroups;
    const drop = added.composites[ref].nodes.find((n) => n.type === 'Dropout')?.id as string;
    expect(drop).toBeTruthy();
    await page.locator(`[data-node-id="stage3/r1.${drop}"]`).waitFor();

    // Link the group's last block to it by dragging between the inner handles.
    await fitView(page);
    await drag(page, `stage3/r0.${last}`, `stage3/r0.${drop}`);
    await expect
      .poll(async () =>
        ((await docOf(page)) as unknown as WithGroups).composites[ref].edges.some(
          (e) => e.source === last && e.target === drop,
        ),
      )
      .toBe(true);

    // Delete it from the other repeat: gone from the group, with its link.
    await page.locator(`.svelte-flow__node[data-id="stage3/r1.${drop}"]`).click();
    await page.keyboard.press('Delete');
    await expect
      .poll(async () => ((await docOf(page)) as unknown as WithGroups).composites[ref].nodes.length)
      .toBe(converted.composites[ref].nodes.length);
    expect(((await docOf(page)) as unknown as WithGroups).composites[ref]).toEqual(converted.composites[ref]);

    // Three undos: the link, the block... back to the converted document.
    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    for (let i = 0; i < 3; i++) await undo.click();
    expect(await docOf(page)).toEqual(converted);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('rejects a corrupt file without touching the document; lists shortcuts on ?', async () => {
    const { page, errors, context } = await openEditor(browser);
    const before = await docOf(page);
    await page.getByTestId('open-file').setInputFiles({
      name: 'broken.heracles.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"schemaVersion": 1, "nodes": [}'),
    });
    await expect
      .poll(() => page.getByTestId('status').textContent())
      .toMatch(/Cannot open broken\.heracles\.json: .*not valid JSON/);
    expect(await docOf(page)).toEqual(before);
    await page.getByTestId('open-file').setInputFiles({
      name: 'future.heracles.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...before, schemaVersion: 99 })),
    });
    await expect.poll(() => page.getByTestId('status').textContent()).toMatch(/newer Heracles Studio/);
    expect(await docOf(page)).toEqual(before);

    await page.locator('.svelte-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcuts-dialog');
    await dialog.waitFor();
    await expect(dialog.locator('[data-command="undo"]').textContent()).resolves.toContain('Ctrl+Z');
    await expect(dialog.locator('[data-command="redo"]').textContent()).resolves.toContain('Ctrl+Y');
    await expect(dialog.locator('[data-command="viewNotebook"]').textContent()).resolves.toContain('Alt+2');
    await expect(dialog.textContent()).resolves.toMatch(/start, pause or resume training\s*Ctrl\+Enter/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('resizes the lab dock by its top edge (mouse or keyboard), remembers the height, and resets it', async () => {
    const { page, errors, context } = await openEditor(browser);
    const dock = page.getByTestId('dock');
    const edge = page.getByTestId('dock-resize');
    const heightOf = async () => (await dock.boundingBox())?.height ?? 0;
    await page.getByTestId('dock-tab-data').click();
    await edge.waitFor();
    const start = await heightOf();
    expect(Math.abs(start - 0.44 * 900)).toBeLessThan(4);

    const box = await edge.boundingBox();
    if (!box) throw new Error('the resize edge is not on screen');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 120, { steps: 6 });
    await page.mouse.up();
    const dragged = await heightOf();
    expect(Math.abs(dragged - (start + 120))).toBeLessThan(4);

    await edge.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    const keyed = await heightOf();
    expect(Math.abs(keyed - (dragged - 24 - 96))).toBeLessThan(2);
    // Never smaller than the tabs need nor taller than most of the window.
    for (let i = 0; i < 12; i++) await page.keyboard.press('Shift+ArrowDown');
    expect(Math.round(await heightOf())).toBe(120);
    for (let i = 0; i < 12; i++) await page.keyboard.press('Shift+ArrowUp');
    expect(Math.round(await heightOf())).toBe(Math.round(0.75 * 900));

    await page.reload();
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    await page.getByTestId('dock-tab-data').click();
    await edge.waitFor();
    expect(Math.round(await heightOf())).toBe(Math.round(0.75 * 900));
    await edge.dblclick();
    expect(Math.abs((await heightOf()) - 0.44 * 900)).toBeLessThan(4);
    expect(errors).toEqual([]);
    await context.close();
  });
});
