/**
 * Reads a request body with a size limit. An oversized body is still read to its end (and thrown away)
 * up to `drainBytes`, so the client receives the 413 instead of a connection reset: a server that answers
 * early and closes while the client is still uploading makes most HTTP clients report a network error,
 * not the answer. Past `drainBytes` the connection is given up (`close: true`).
 */
export type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; received: number; close: boolean };

export async function readBody(
  req: Request,
  limit: number,
  drainBytes = Math.max(limit * 8, 64 << 20),
): Promise<BodyResult> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > drainBytes) {
    await req.body?.cancel().catch(() => {});
    return { ok: false, received: 0, close: true };
  }
  if (!req.body) return { ok: true, bytes: new Uint8Array() };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received <= limit) chunks.push(value);
    else if (received > drainBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, received, close: true };
    }
  }
  if (received > limit) return { ok: false, received, close: false };
  const bytes = new Uint8Array(received);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  return { ok: true, bytes };
}
