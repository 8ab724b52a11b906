/**
 * Main-thread side of the training worker: each request is a promise, worker events go to listeners.
 * Created lazily (the worker bundles tfjs, which the editor's first load must not pay for).
 */
import {
  isEvent,
  transferablesOf,
  type LabEvent,
  type Reply,
  type RequestType,
  type Requests,
  type WorkerMessage,
} from './protocol';

/** A request the worker refused or failed; `issues` lists the document's problems when there are any. */
export class LabError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export class LabClient {
  #worker: Worker;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #listeners = new Set<(e: LabEvent) => void>();

  constructor(worker?: Worker) {
    this.#worker = worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.#worker.onmessage = (ev: MessageEvent<WorkerMessage>) => this.#receive(ev.data);
    this.#worker.onerror = (ev) => {
      const error = new LabError(`the training worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
  }

  /**
   * Sends a request. With `transfer: true` the typed arrays inside `req` are moved to the worker (the
   * caller's copies become empty): only for data the caller no longer needs.
   */
  request<K extends RequestType>(
    type: K,
    req: Requests[K]['req'],
    opts: { transfer?: boolean } = {},
  ): Promise<Requests[K]['res']> {
    const id = this.#next++;
    const message = { ...req, id, type };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage(message, opts.transfer ? transferablesOf(req) : []);
    });
  }

  /** Listens to training events; returns the function that stops listening. */
  on(listener: (e: LabEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  terminate(): void {
    this.#worker.terminate();
    const error = new LabError('the training worker was closed');
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #receive(m: WorkerMessage): void {
    if (isEvent(m)) {
      for (const l of this.#listeners) l(m.event);
      return;
    }
    const reply = m as Reply;
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new LabError(reply.error, reply.issues));
  }
}
