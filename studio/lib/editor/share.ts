/**
 * Share links: the document as gzip + base64url in the URL hash (`#doc=…`), so it never reaches a
 * server. Decoding never throws: a truncated or garbled link gives a message.
 */
import { gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import { loadDocument, type LoadResult } from '$runtime/document/load';
import type { HeraclesDocument } from '$runtime/document/schema';

export const SHARE_PREFIX = '#doc=';

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function encodeShare(doc: HeraclesDocument): string {
  return toBase64Url(gzipSync(strToU8(JSON.stringify(doc)), { level: 9, mtime: 0 }));
}

/** The document in a share hash, checked like an opened file. */
export function decodeShare(hash: string): LoadResult {
  const payload = hash.startsWith(SHARE_PREFIX) ? hash.slice(SHARE_PREFIX.length) : hash;
  let text: string;
  try {
    text = strFromU8(gunzipSync(fromBase64Url(decodeURIComponent(payload))));
  } catch (_e) {
    return {
      ok: false,
      issues: [
        {
          where: { kind: 'path', path: '$' },
          code: 'share-link',
          message: 'this share link is damaged or cut short, so the model in it cannot be read',
          hint: 'ask for the link again and copy all of it',
        },
      ],
    };
  }
  return loadDocument(text);
}

export const shareUrl = (doc: HeraclesDocument, base: string): string =>
  `${base.split('#')[0]}${SHARE_PREFIX}${encodeShare(doc)}`;
