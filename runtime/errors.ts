/**
 * User-facing runtime errors.
 *
 * A `RuntimeError` is something the person running a workflow can act on: a
 * corrupt journal, a missing optional dependency, a bad token. It carries a
 * stable `code` so docs and tests can refer to it, a one-line `message`, and
 * an optional `hint` saying what to do. CLIs should print `format()` and never
 * the stack. Programmer mistakes stay ordinary `Error`s.
 *
 * Codes used by the runtime (keep this list in sync when adding one):
 *
 * | code   | meaning                                                    |
 * | ------ | ---------------------------------------------------------- |
 * | SPR101 | journal cannot be opened, read or written                  |
 * | SPR102 | journal corrupt (bad line or UTF-8, bad `seq` or `sum`, unknown record type) |
 * | SPR103 | journal file not found                                     |
 * | SPR104 | journal unusable after a failed write (reopen to resume)   |
 * | SPR105 | reconciliation asked for a key with no pending intent      |
 * | SPR106 | journal locked by a live process (`<journal>.lock`)        |
 * | SPR107 | journal truncated or replaced (its `.head` disagrees)      |
 * | SPR108 | journal exists: a new run never overwrites one             |
 * | SPR109 | journal has no `run-started` record: cannot resume         |
 * | SPR110 | journal started by another spec version (spec hash differs) |
 * | SPR201 | claude-agent-sdk executor: SDK not installed / not loadable |
 * | SPR202 | replay executor: no recorded result for a step             |
 * | SPR203 | replay executor: more attempts than recorded results       |
 * | SPR204 | replay fixture unreadable or malformed                     |
 * | SPR205 | step request missing what its executor needs               |
 * | SPR206 | step aborted by the caller                                 |
 * | SPR301 | hub access token malformed                                 |
 * | SPR302 | hub answered with an unexpected HTTP status                |
 * | SPR303 | hub unreachable                                            |
 * | SPR401 | node run interrupted (a billable call to reconcile, an executor that cannot bill) |
 * | SPR402 | node run: bad arguments (task, params, executor, run id)   |
 */
export class RuntimeError extends Error {
  /** Stable identifier such as `SPR102`. */
  readonly code: string;
  /** What the user can do about it (optional). */
  readonly hint?: string;

  /**
   * @param code Stable error code, e.g. `SPR102`.
   * @param message One line, no trailing period, no stack.
   * @param options Optional `hint` and `cause` (kept for debugging, not shown).
   */
  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RuntimeError";
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** Render for a terminal: `error SPR102: message` plus an indented hint line. */
  format(): string {
    const head = `error ${this.code}: ${this.message}`;
    return this.hint === undefined ? head : `${head}\n  hint: ${this.hint}`;
  }

  override toString(): string {
    return `RuntimeError ${this.code}: ${this.message}`;
  }
}

/** True when `value` is a {@link RuntimeError}, optionally with a given code. */
export function isRuntimeError(value: unknown, code?: string): value is RuntimeError {
  return value instanceof RuntimeError && (code === undefined || value.code === code);
}
