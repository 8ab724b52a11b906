/**
 * Helpers shared by the runtime/data tests (imported only by *.test.ts files).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { DataError } from './types';

/** The real benchmark files (shared/data); override with HERACLES_DATA. */
export const DATA_DIR =
  process.env.HERACLES_DATA ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

/** True when `DATA_DIR/<sub>` exists; tests on real files are skipped (with a reason) otherwise. */
export function haveData(sub: string): boolean {
  return existsSync(path.join(DATA_DIR, sub));
}

/** Reason printed in the test name when the real files are missing. */
export function missingReason(sub: string): string {
  return haveData(sub) ? '' : ` (skipped: ${path.join(DATA_DIR, sub)} not found; set HERACLES_DATA)`;
}

/**
 * Runs `fn`, expects it to throw a DataError and returns it; the message must contain every `parts` entry
 * (strings case-sensitive, or regexps).
 */
export function expectDataError(fn: () => unknown, ...parts: (string | RegExp)[]): DataError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a DataError to be thrown').toBeInstanceOf(DataError);
  const err = thrown as DataError;
  for (const p of parts) {
    if (typeof p === 'string') expect(err.message).toContain(p);
    else expect(err.message).toMatch(p);
  }
  return err;
}

/** Async version of expectDataError. */
export async function expectDataErrorAsync(
  fn: () => Promise<unknown>,
  ...parts: (string | RegExp)[]
): Promise<DataError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  return expectDataError(
    () => {
      if (thrown !== undefined) throw thrown;
    },
    ...parts,
  );
}
