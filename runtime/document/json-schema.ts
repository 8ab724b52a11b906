/**
 * The document's JSON Schema, derived from the valibot schema (one source of truth). Monaco uses it to
 * underline mistakes and complete keys while the user edits a document as JSON; the loader stays the
 * judge (checks JSON Schema cannot express, like unique cell ids, are reported by `loadDocument`).
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import { DocumentSchema } from './schema';

let cached: object | undefined;

export function documentJsonSchema(): object {
  cached ??= {
    ...toJsonSchema(DocumentSchema, { errorMode: 'ignore', target: 'draft-07' }),
    title: 'Heracles Studio document (.heracles.json)',
  };
  return cached;
}
