import { get } from 'node:http';

/**
 * Resolves true once `url` answers 200, false when `stillRunning()` turns false or the time is up.
 * Probes use a fresh connection each (`agent: false`, `Connection: close`): a kept-alive socket would
 * keep `vite preview` from shutting down on SIGTERM.
 * @param {string} url
 * @param {{ timeoutMs?: number, stillRunning?: () => boolean }} [options]
 * @returns {Promise<boolean>}
 */
export async function waitForHttp(url, { timeoutMs = 60_000, stillRunning = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillRunning()) {
    if (await probe(url)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** @param {string} url @returns {Promise<boolean>} */
function probe(url) {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, headers: { connection: 'close' }, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
