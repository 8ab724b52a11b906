/** The preset gallery: every `templates/*.heracles.json`, bundled as data. */
import { loadDocument } from '$runtime/document/load';
import type { HeraclesDocument } from '$runtime/document/schema';

const files = import.meta.glob('../../../templates/*.heracles.json', {
  eager: true,
  import: 'default',
}) as Record<string, unknown>;

export interface Template {
  /** File stem, e.g. `heracles-s`. */
  id: string;
  name: string;
  description: string;
  doc: HeraclesDocument;
}

export const templates: Template[] = Object.entries(files)
  .flatMap(([path, json]) => {
    const r = loadDocument(json);
    if (!r.ok) return [];
    const id = (path.split('/').pop() as string).replace(/\.heracles\.json$/, '');
    return [{ id, name: r.doc.metadata.name, description: r.doc.metadata.description ?? '', doc: r.doc }];
  })
  .sort((a, b) => a.name.localeCompare(b.name));
