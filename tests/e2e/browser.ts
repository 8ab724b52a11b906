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
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** `--enable-unsafe-webgpu` makes navigator.gpu return a (SwiftShader) adapter headless. */
export const CHROMIUM_ARGS = ['--disable-quic', '--disable-gpu', '--enable-unsafe-webgpu'];

export const baseURL = (): string => inject('baseURL');

/** Absolute URL of a studio path, e.g. `url('/')`. */
export const url = (path = '/'): string => new URL(path.replace(/^\//, ''), baseURL()).href;

export function launchBrowser(options: { args?: string[] } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught page errors and failed requests seen so far (appended live). */
  errors: string[];
}

/** Opens `path` in a fresh context and records everything that went wrong while the page lives. */
export async function openPage(browser: Browser, path = '/'): Promise<OpenedPage> {
  const context = await browser.newContext();
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
