/**
 * Shared browser helpers for e2e tests: Debian Chromium through playwright-core (no browser
 * downloads), launched with the flags from docs/platform.md.
 *
 *   const browser = await launchBrowser();
 *   const { page, errors } = await openPage(browser, '/');
 *   ...
 *   expect(errors).toEqual([]);
 *   await browser.close();
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inject } from 'vitest';
import { launchChromium } from './serve.ts';

export { CHROMIUM_ARGS } from './serve.ts';

export const baseURL = (): string => inject('baseURL');

/** Absolute URL of a studio path, e.g. `url('/')`. */
export const url = (path = '/'): string => new URL(path.replace(/^\//, ''), baseURL()).href;

export function launchBrowser(options: { args?: string[] } = {}): Promise<Browser> {
  return launchChromium(inject('chromiumPath'), options.args);
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and failed requests seen so far (appended live). */
  errors: string[];
}

/** Opens `path` in a fresh context and records everything that went wrong while the page lives. */
export async function openPage(
  browser: Browser,
  path = '/',
  options: { permissions?: string[] } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({ permissions: options.permissions });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) =>
    errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`),
  );
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(url(path), { waitUntil: 'load' });
  return { context, page, errors };
}
