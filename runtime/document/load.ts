/**
 * Reading a document: JSON text → migrated → schema-checked `HeraclesDocument`, or a list of issues.
 * Never throws for bad input; the caller's current document is never touched.
 */
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import * as v from 'valibot';
import { defaultCells } from './cells';
import { CURRENT_SCHEMA_VERSION, DocumentSchema, schemaIssues } from './schema';
import type { DocumentIssue, HeraclesDocument } from './schema';

export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * `MIGRATIONS[n]` upgrades a document from schema version n to n + 1. Append, never edit: frozen copies of
 * every earlier version live in `tests/fixtures/schema-v*` and must keep loading.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  /** 1 → 2: the graph becomes a notebook; its description becomes the first notes cell. */
  1: (doc) => {
    const meta = doc.metadata as { description?: unknown } | undefined;
    const description = typeof meta?.description === 'string' ? meta.description : undefined;
    return { ...doc, cells: defaultCells(description) };
  },
};

export type LoadResult =
  { ok: true; doc: HeraclesDocument; migratedFrom?: number } | { ok: false; issues: DocumentIssue[] };

const pathIssue = (path: string, code: string, message: string, hint?: string): DocumentIssue => ({
  where: { kind: 'path', path },
  code,
  message,
  hint,
});

/** Applies migrations from the document's version up to `target`. */
export function migrate(
  raw: Record<string, unknown>,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  target: number = CURRENT_SCHEMA_VERSION,
): { ok: true; doc: Record<string, unknown>; from: number } | { ok: false; issue: DocumentIssue } {
  const version = raw.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return {
      ok: false,
      issue: pathIssue(
        '$.schemaVersion',
        'schema-version',
        `expected a schema version (an integer ≥ 1), got ${JSON.stringify(version) ?? 'nothing'}`,
        'is this a .heracles.json file?',
      ),
    };
  }
  if (version > target) {
    return {
      ok: false,
      issue: pathIssue(
        '$.schemaVersion',
        'future-version',
        `this document was written by a newer Heracles Studio (schema version ${version}); this one reads versions up to ${target}`,
        'update Heracles Studio to open it',
      ),
    };
  }
  let doc = raw;
  for (let n = version; n < target; n++) {
    const step = migrations[n];
    if (!step) {
      return {
        ok: false,
        issue: pathIssue(
          '$.schemaVersion',
          'no-migration',
          `no migration from schema version ${n} to ${n + 1}`,
        ),
      };
    }
    doc = { ...step(structuredClone(doc)), schemaVersion: n + 1 };
  }
  return { ok: true, doc, from: version };
}

/** Parses and checks a document given as JSON text or as an already-parsed value. */
export function loadDocument(input: string | unknown): LoadResult {
  let raw: unknown = input;
  if (typeof input === 'string') {
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { ok: false, issues: [pathIssue('$', 'json', `not valid JSON: ${jsonErrorWhere(text, e)}`)] };
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        pathIssue(
          '$',
          'not-object',
          'expected a JSON object with schemaVersion, metadata, task, nodes and edges',
        ),
      ],
    };
  }
  const migrated = migrate(raw as Record<string, unknown>);
  if (!migrated.ok) return { ok: false, issues: [migrated.issue] };
  const parsed = v.safeParse(DocumentSchema, migrated.doc);
  if (!parsed.success) return { ok: false, issues: schemaIssues(parsed.issues) };
  return migrated.from === CURRENT_SCHEMA_VERSION
    ? { ok: true, doc: parsed.output }
    : { ok: true, doc: parsed.output, migratedFrom: migrated.from };
}

/** Where and what the first syntax error is: "expected a value at line 3, column 13". */
function jsonErrorWhere(text: string, e: unknown): string {
  const errors: ParseError[] = [];
  parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length === 0) return e instanceof Error ? e.message : String(e);
  const { error, offset } = errors[0];
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const code = printParseErrorCode(error);
  return `${SYNTAX_WORDS[code] ?? code} at line ${line}, column ${column}`;
}

const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a string is not closed',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'invalid character in a string',
};

/** Pretty JSON for saving (stable key order as written by the studio). */
export const serializeDocument = (doc: HeraclesDocument): string => JSON.stringify(doc, null, 2) + '\n';
