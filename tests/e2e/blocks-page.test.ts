import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockList } from '../../blocks/index.ts';
import { launchBrowser, openPage } from './browser.ts';

describe('blocks page', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lists every registered block, filters by search, and logs no errors', async () => {
    const { page, errors, context } = await openPage(browser, '/blocks');

    // The studio renders client-side: wait for it rather than for the load event.
    await page.getByRole('heading', { level: 1, name: 'Blocks' }).waitFor();
    await page.getByTestId('block-count').waitFor();

    const blocks = page.locator('[data-block-type]');
    expect(await blocks.count()).toBe(blockList.length);
    const shown = await blocks.evaluateAll((els) => els.map((el) => el.getAttribute('data-block-type')));
    expect([...shown].sort()).toEqual(blockList.map((b) => b.type).sort());

    for (const block of blockList) {
      const article = page.locator(`[data-block-type="${block.type}"]`);
      await expect(article.getByRole('heading', { level: 3 }).textContent()).resolves.toBe(block.displayName);
    }

    const search = page.getByLabel('Search blocks');
    await search.fill('no block is called this zzzz');
    await page.getByText('No blocks match').waitFor();
    expect(await blocks.count()).toBe(0);

    if (blockList.length > 0) {
      const target = blockList[blockList.length - 1]!;
      await search.fill(target.displayName.toUpperCase());
      const expected = blockList.filter((b) =>
        `${b.displayName} ${b.type} ${b.summary}`.toLowerCase().includes(target.displayName.toLowerCase()),
      );
      await page.locator(`[data-block-type="${target.type}"]`).waitFor();
      expect(await blocks.count()).toBe(expected.length);
    }

    await search.fill('');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-block-type]').length === n,
      blockList.length,
    );

    expect(errors).toEqual([]);
    await context.close();
  });

  it('serves the SPA fallback for unknown paths', async () => {
    const { page, errors, context } = await openPage(browser, '/no/such/page');
    // The app shell loads and the studio's own error page explains the 404 and links back.
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Back to the blocks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Blocks' }).waitFor();
    // Kit itself reports the unknown route (HTTP 404 + "Not found" on the console); nothing else may fail.
    expect(errors.filter((e) => !e.includes('404') && !e.includes('Not found: /no/such/page'))).toEqual([]);
    await context.close();
  });
});
