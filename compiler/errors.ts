/**
 * A user-facing failure that is not a spec diagnostic (a missing file, a bad flag): printed as one
 * line with no stack trace, exiting with `exitCode` (2 = usage or I/O, 1 = a failed check).
 */
export class SpeccError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, options: { exitCode?: number; hint?: string } = {}) {
    super(message);
    this.name = "SpeccError";
    this.exitCode = options.exitCode ?? 2;
    this.hint = options.hint;
  }
}
