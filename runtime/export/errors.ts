/**
 * Why an export could not be written. Names the layer (= studio node path) and its class, says what
 * the format lacks and what to do instead. The CLI prints it and exits with code 2; nothing is written.
 */
export class ExportError extends Error {
  constructor(
    message: string,
    /** The layer / node path to blame, e.g. `stage1/b0/mixer`. */
    readonly node?: string,
    readonly hint?: string,
  ) {
    super((node ? `${node}: ` : '') + message + (hint ? ` (${hint})` : ''));
    this.name = 'ExportError';
  }
}
