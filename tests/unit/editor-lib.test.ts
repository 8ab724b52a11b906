import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDocument } from '../../runtime/document/load';
import { decodeShare, encodeShare, shareUrl } from '../../studio/lib/editor/share';
import { commandForKey, KEYBINDINGS, showChord } from '../../studio/lib/editor/keybindings';
import { freeSpot } from '../../studio/lib/editor/flow';

const doc = (() => {
  const r = loadDocument(
    readFileSync(new URL('../../templates/heracles-s.heracles.json', import.meta.url), 'utf8'),
  );
  if (!r.ok) throw new Error('heracles-s does not load');
  return r.doc;
})();

describe('share links', () => {
  it('round-trip a document through gzip + base64url', () => {
    const hash = encodeShare(doc);
    expect(hash).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodeShare(`#doc=${hash}`);
    expect(back).toEqual({ ok: true, doc });
    expect(shareUrl(doc, 'http://x/#old')).toBe(`http://x/#doc=${hash}`);
  });
  it('refuse a truncated or garbled link with a message, never throwing', () => {
    const hash = encodeShare(doc);
    for (const bad of [hash.slice(0, hash.length - 30), 'not base64 !!', '', hash.slice(0, 10)]) {
      const r = decodeShare(`#doc=${bad}`);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.issues[0].message).toMatch(/damaged or cut short|JSON|expected/);
    }
  });
});

describe('keybindings', () => {
  const key = (
    k: string,
    mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {},
  ) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });
  it('map keys to command ids', () => {
    expect(commandForKey(key('z', { ctrlKey: true }))).toBe('undo');
    expect(commandForKey(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(commandForKey(key('y', { metaKey: true }))).toBe('redo');
    expect(commandForKey(key('Delete'))).toBe('delete');
    expect(commandForKey(key('Backspace'))).toBe('delete');
    expect(commandForKey(key('?', { shiftKey: true }))).toBe('shortcuts');
    expect(commandForKey(key('q'))).toBeUndefined();
  });
  it('never bind one chord to two commands', () => {
    const all = KEYBINDINGS.flatMap((b) => b.keys);
    expect(new Set(all).size).toBe(all.length);
    expect(showChord('Mod+Shift+z')).toBe('Ctrl+Shift+Z');
  });
});

describe('placing new blocks', () => {
  it('finds a spot that overlaps no node', () => {
    const p = freeSpot(doc, doc.nodes[0].position);
    expect(
      doc.nodes.some((n) => Math.abs(n.position.x - p.x) < 240 && Math.abs(n.position.y - p.y) < 110),
    ).toBe(false);
  });
});
