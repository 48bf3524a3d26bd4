/**
 * Durable run journal: one append-only JSONL file per run.
 *
 * Every line is a record `{seq, type, step?, key?, data?, ts?}`. A record is
 * written and fsync'd before `append` returns, so once a caller has been told
 * "written" the record survives a crash. Resume logic replays records into a
 * {@link ReplayState}; it never looks at `ts`, so an injected clock cannot
 * change what a resumed run does.
 *
 * Billable side effects (GPU jobs, paid API calls) follow a write-ahead rule:
 * a `billable-intent` with an idempotency key is durable BEFORE the effect
 * starts, and `billable-done` after it finishes. An intent without a done on
 * resume means "we may or may not have paid": the runner must ask the provider
 * instead of submitting again (see {@link runStep} and {@link reconcileBillable}).
 */
import * as nodeFs from "node:fs";
import { dirname, join } from "node:path";
import { RuntimeError } from "./errors.js";

/** Every record type the journal understands; anything else is corruption. */
export const JOURNAL_RECORD_TYPES = [
  "run-started",
  "run-resumed",
  "step-started",
  "step-completed",
  "step-failed",
  "approval",
  "reservation",
  "settlement",
  "billable-intent",
  "billable-done",
  "billable-void",
  "run-stopped",
] as const;

/** One of {@link JOURNAL_RECORD_TYPES}. */
export type JournalRecordType = (typeof JOURNAL_RECORD_TYPES)[number];

/** A persisted human or policy decision for an approval gate. */
export interface ApprovalRecord {
  decision: "approved" | "rejected";
  by?: string;
  reason?: string;
}

/** What callers append; the journal adds `seq` (and `ts` when it has a clock). */
export type JournalEntry =
  | { type: "run-started"; data: { specHash: string; args: Record<string, unknown> } }
  | { type: "run-resumed"; data?: { reason?: string } }
  | { type: "step-started"; step: string; data?: { attempt?: number } }
  | { type: "step-completed"; step: string; data: { result?: unknown } }
  | { type: "step-failed"; step: string; data: { error: string; code?: string } }
  | { type: "approval"; key: string; step?: string; data: ApprovalRecord }
  | { type: "reservation"; key: string; step?: string; data: { amountUsd: number } }
  | { type: "settlement"; key: string; step?: string; data: { amountUsd: number } }
  | { type: "billable-intent"; key: string; step: string; data?: Record<string, unknown> }
  | { type: "billable-done"; key: string; step: string; data: { result?: unknown } }
  | { type: "billable-void"; key: string; step: string; data?: { reason?: string } }
  | { type: "run-stopped"; data: { stoppedReason: string } };

/** A record as stored: an entry plus its position and optional wall-clock stamp. */
export type JournalRecord = JournalEntry & {
  seq: number;
  /** Informational only; replay must never depend on it. */
  ts?: string;
};

/** Spend persisted in the journal, keyed by reservation key. */
export interface JournalSpend {
  reserved: Record<string, number>;
  settled: Record<string, number>;
}

/** Everything a resumed run needs, derived only from records (never from `ts`). */
export interface ReplayState {
  run?: { specHash: string; args: Record<string, unknown> };
  completedSteps: Record<string, unknown>;
  /** Failed attempts per step, so retry budgets survive a restart. */
  failures: Record<string, number>;
  approvals: Record<string, ApprovalRecord>;
  spend: JournalSpend;
  billable: Record<string, "intent" | "done">;
  stopped?: { stoppedReason: string };
}

/** The subset of `node:fs` the journal uses; inject a fake for crash tests. */
export interface JournalFs {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  mkdirSync(path: string, options: { recursive: true }): unknown;
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  truncateSync(path: string, length: number): void;
}

/** Result of reading a journal file. */
export interface LoadedJournal {
  records: JournalRecord[];
  /** True when an unfinished last line (no trailing newline) was dropped. */
  tornTail: boolean;
  warnings: string[];
  /** Byte length of the intact prefix; the file is truncated to this on open. */
  validBytes: number;
}

/** An open, append-only journal. */
export interface Journal {
  readonly path: string;
  /** How the existing file looked when it was opened. */
  readonly recovery: { tornTail: boolean; warnings: readonly string[] };
  /** Write one record and fsync it; returns the record as a reload would see it. */
  append(entry: JournalEntry): JournalRecord;
  records(): readonly JournalRecord[];
  /** Live replay state; treat as read-only. */
  state(): Readonly<ReplayState>;
  close(): void;
}

/** Options for {@link openJournal} and {@link loadJournal}. */
export interface JournalOptions {
  fs?: JournalFs;
  /** Source for the informational `ts` field; omitted when not given. */
  clock?: () => string;
}

const CORRUPT_HINT =
  "the journal was edited or damaged; keep the file for inspection and start a new run id, or restore it from a backup";

/** Conventional journal location: `<root>/.specc/runs/<runId>/journal.jsonl`. */
export function journalPath(root: string, runId: string): string {
  // Run ids become directory names, so refuse anything that could escape `runs/`.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) {
    throw new RuntimeError("SPR101", `invalid run id \`${runId}\``, {
      hint: "use letters, digits, `.`, `_` and `-`, starting with a letter or digit",
    });
  }
  return join(root, ".specc", "runs", runId, "journal.jsonl");
}

/** Read and validate a journal file; a torn last line is dropped and reported. */
export function loadJournal(path: string, options: Pick<JournalOptions, "fs"> = {}): LoadedJournal {
  const fs = options.fs ?? nodeFs;
  if (!fs.existsSync(path)) {
    throw new RuntimeError("SPR103", `journal not found: ${path}`, {
      hint: "check the run id, or start a new run instead of resuming",
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (cause) {
    throw new RuntimeError("SPR101", `cannot read journal ${path}: ${messageOf(cause)}`, { cause });
  }
  return parseJournal(bytes);
}

/**
 * Parse journal bytes. Only the LAST line may be incomplete (a write that was
 * interrupted before its newline); anything wrong earlier means the file was
 * damaged after the fact, and silently restarting could pay for work twice.
 */
export function parseJournal(input: Uint8Array | string): LoadedJournal {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  const validBytes = bytes.lastIndexOf(0x0a) + 1;
  const tornBytes = bytes.length - validBytes;
  const lines = bytes.subarray(0, validBytes).toString("utf8").split("\n");
  lines.pop(); // the empty string after the final newline
  const records = lines.map((line, index) => parseLine(line, index + 1));
  const warnings =
    tornBytes > 0
      ? [`dropped an incomplete last line (${tornBytes} bytes) left by an interrupted write`]
      : [];
  return { records, tornTail: tornBytes > 0, warnings, validBytes };
}

function parseLine(line: string, lineNo: number): JournalRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw corrupt(lineNo, line === "" ? "empty line" : "invalid JSON");
  }
  const problem = recordProblem(value);
  if (problem !== undefined) throw corrupt(lineNo, problem);
  const record = value as JournalRecord;
  // seq is 1-based and dense, so it must equal the line number.
  if (record.seq !== lineNo) throw corrupt(lineNo, `expected seq ${lineNo}, found ${record.seq}`);
  return record;
}

function corrupt(lineNo: number, detail: string): RuntimeError {
  return new RuntimeError("SPR102", `journal corrupt at line ${lineNo}: ${detail}`, { hint: CORRUPT_HINT });
}

type FieldRule = { step: "required" | "optional" | "absent"; key: boolean; data: (d: unknown) => string | undefined };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalObject = (d: unknown) => (d === undefined || isObject(d) ? undefined : "`data` must be an object");
const requireObject = (d: unknown) => (isObject(d) ? undefined : "`data` must be an object");
const amount = (d: unknown) =>
  isObject(d) && typeof d.amountUsd === "number" && Number.isFinite(d.amountUsd) ? undefined : "`data.amountUsd` must be a number";

const RULES: Record<JournalRecordType, FieldRule> = {
  "run-started": {
    step: "absent",
    key: false,
    data: (d) => (isObject(d) && typeof d.specHash === "string" && isObject(d.args) ? undefined : "`data` needs `specHash` and `args`"),
  },
  "run-resumed": { step: "absent", key: false, data: optionalObject },
  "step-started": { step: "required", key: false, data: optionalObject },
  "step-completed": { step: "required", key: false, data: requireObject },
  "step-failed": {
    step: "required",
    key: false,
    data: (d) => (isObject(d) && typeof d.error === "string" ? undefined : "`data.error` must be a string"),
  },
  approval: {
    step: "optional",
    key: true,
    data: (d) =>
      isObject(d) && (d.decision === "approved" || d.decision === "rejected") ? undefined : "`data.decision` must be approved or rejected",
  },
  reservation: { step: "optional", key: true, data: amount },
  settlement: { step: "optional", key: true, data: amount },
  "billable-intent": { step: "required", key: true, data: optionalObject },
  "billable-done": { step: "required", key: true, data: requireObject },
  "billable-void": { step: "required", key: true, data: optionalObject },
  "run-stopped": {
    step: "absent",
    key: false,
    data: (d) => (isObject(d) && typeof d.stoppedReason === "string" ? undefined : "`data.stoppedReason` must be a string"),
  },
};

function recordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "a record must be a JSON object";
  if (!Number.isInteger(value.seq)) return "`seq` must be an integer";
  const type = value.type;
  if (typeof type !== "string" || !Object.hasOwn(RULES, type)) return `unknown record type ${JSON.stringify(type)}`;
  const rule = RULES[type as JournalRecordType];
  if (rule.step === "required" && typeof value.step !== "string") return `\`${type}\` needs a string \`step\``;
  if (rule.step === "optional" && value.step !== undefined && typeof value.step !== "string") return "`step` must be a string";
  if (rule.key && typeof value.key !== "string") return `\`${type}\` needs a string \`key\``;
  if (value.ts !== undefined && typeof value.ts !== "string") return "`ts` must be a string";
  return rule.data(value.data);
}

/** A state with nothing done yet. */
export function emptyReplayState(): ReplayState {
  // Null-prototype maps so step names like `__proto__` cannot collide with Object.prototype.
  return {
    completedSteps: Object.create(null),
    failures: Object.create(null),
    approvals: Object.create(null),
    spend: { reserved: Object.create(null), settled: Object.create(null) },
    billable: Object.create(null),
  };
}

/** Fold records into the state a resumed run starts from. */
export function replayState(records: readonly JournalRecord[]): ReplayState {
  const state = emptyReplayState();
  for (const record of records) applyRecord(state, record);
  return state;
}

/** Apply one record to `state` in place (the incremental form of {@link replayState}). */
export function applyRecord(state: ReplayState, record: JournalRecord): void {
  switch (record.type) {
    case "run-started":
      state.run = record.data;
      delete state.stopped;
      return;
    case "run-resumed":
      delete state.stopped;
      return;
    case "step-started":
      return;
    case "step-completed":
      state.completedSteps[record.step] = record.data.result;
      return;
    case "step-failed":
      state.failures[record.step] = (state.failures[record.step] ?? 0) + 1;
      return;
    case "approval":
      state.approvals[record.key] = record.data;
      return;
    case "reservation":
      state.spend.reserved[record.key] = record.data.amountUsd;
      return;
    case "settlement":
      state.spend.settled[record.key] = record.data.amountUsd;
      return;
    case "billable-intent":
      // A second intent after `done` must not reopen a paid-for action.
      if (state.billable[record.key] !== "done") state.billable[record.key] = "intent";
      return;
    case "billable-done":
      state.billable[record.key] = "done";
      return;
    case "billable-void":
      delete state.billable[record.key];
      return;
    case "run-stopped":
      state.stopped = record.data;
      return;
  }
}

/**
 * Open (or create) a journal for appending. An incomplete last line left by a
 * crash is cut off first, otherwise the next record would be glued onto it.
 */
export function openJournal(path: string, options: JournalOptions = {}): Journal {
  const fs = options.fs ?? nodeFs;
  const existed = fs.existsSync(path);
  const loaded = existed ? loadJournal(path, { fs }) : parseJournal("");
  const fd = ioStep(path, "open", () => {
    fs.mkdirSync(dirname(path), { recursive: true });
    if (loaded.tornTail) fs.truncateSync(path, loaded.validBytes);
    return fs.openSync(path, "a");
  });
  if (!existed) syncDirectory(fs, dirname(path));
  return createJournal({ path, fs, fd, loaded, clock: options.clock });
}

function createJournal(init: {
  path: string;
  fs: JournalFs;
  fd: number;
  loaded: LoadedJournal;
  clock: (() => string) | undefined;
}): Journal {
  const { path, fs, fd, clock } = init;
  const records = [...init.loaded.records];
  const state = replayState(records);
  let usable = true;
  let open = true;

  const append = (entry: JournalEntry): JournalRecord => {
    if (!usable) {
      throw new RuntimeError("SPR104", `journal ${path} is closed or failed a write`, {
        hint: "reopen the journal to resume; a failed write may have left an incomplete line",
      });
    }
    const line = JSON.stringify({ seq: records.length + 1, ...entry, ...(clock ? { ts: clock() } : {}) }) + "\n";
    try {
      writeFully(fs, fd, Buffer.from(line, "utf8"));
      fs.fsyncSync(fd);
    } catch (cause) {
      // After a partial write the in-memory view no longer matches the file.
      usable = false;
      throw new RuntimeError("SPR101", `cannot write journal ${path}: ${messageOf(cause)}`, { cause });
    }
    // Keep what a reload would see (JSON drops `undefined`), so fresh and resumed runs agree.
    const stored = JSON.parse(line) as JournalRecord;
    records.push(stored);
    applyRecord(state, stored);
    return stored;
  };

  return {
    path,
    recovery: { tornTail: init.loaded.tornTail, warnings: init.loaded.warnings },
    append,
    records: () => records,
    state: () => state,
    close: () => {
      usable = false;
      // A journal that failed a write still holds its descriptor; release it exactly once.
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}

function writeFully(fs: JournalFs, fd: number, buffer: Uint8Array): void {
  let offset = 0;
  while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Make a newly created file's directory entry durable; best effort (not possible on every platform). */
function syncDirectory(fs: JournalFs, dir: string): void {
  try {
    const dirFd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Windows cannot open directories; the file itself is still fsync'd per record.
  }
}

function ioStep<T>(path: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    throw new RuntimeError("SPR101", `cannot ${what} journal ${path}: ${messageOf(cause)}`, { cause });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What {@link runStep} did. */
export type StepOutcome<R> =
  | { status: "cached"; step: string; result: R }
  | { status: "completed"; step: string; result: R }
  /**
   * A billable intent was recorded but never confirmed: the effect may have
   * happened. Ask the provider (e.g. look the job up by its idempotency key
   * label) and call {@link reconcileBillable}; never just run it again.
   */
  | { status: "needs-reconciliation"; step: string; key: string };

/** Options for {@link runStep}. */
export interface RunStepOptions<R> {
  step: string;
  /** Idempotency key for a step whose effect costs money; makes the step write-ahead. */
  billableKey?: string;
  /** Does the work; its result must be JSON-serialisable (it is journaled). */
  execute: () => Promise<R>;
}

/**
 * Run a step at most once per journal: cached results are returned as is, and
 * a billable step writes a durable intent before `execute` and refuses to run
 * again while that intent is unconfirmed.
 *
 * If `execute` throws, a `step-failed` record is written and the error is
 * rethrown; for a billable step the intent stays open, so the next attempt
 * reports `needs-reconciliation` (the failure might have come after the
 * provider accepted the job).
 */
export async function runStep<R>(journal: Journal, options: RunStepOptions<R>): Promise<StepOutcome<R>> {
  const { step, billableKey } = options;
  const state = journal.state();
  if (Object.hasOwn(state.completedSteps, step)) {
    return { status: "cached", step, result: state.completedSteps[step] as R };
  }
  if (billableKey !== undefined) {
    const earlier = state.billable[billableKey];
    if (earlier === "intent") return { status: "needs-reconciliation", step, key: billableKey };
    if (earlier === "done") return completeFromDone(journal, step, billableKey);
  }
  journal.append({ type: "step-started", step });
  if (billableKey !== undefined) journal.append({ type: "billable-intent", step, key: billableKey });
  const result = await executeRecordingFailure(journal, step, options.execute);
  if (billableKey !== undefined) journal.append({ type: "billable-done", step, key: billableKey, data: { result } });
  return complete(journal, step, result);
}

/** What the provider said about a billable action whose intent was never confirmed. */
export type ReconcileVerdict =
  | { submitted: true; result: unknown }
  | { submitted: false; reason?: string };

/**
 * Close an open billable intent using the provider's answer. `submitted: true`
 * records the action as done (with the provider's result) and completes the
 * step; `submitted: false` voids the intent so the next {@link runStep} runs it.
 */
export function reconcileBillable<R>(
  journal: Journal,
  pending: { step: string; key: string },
  verdict: ReconcileVerdict,
): StepOutcome<R> | { status: "voided"; step: string; key: string } {
  const { step, key } = pending;
  if (journal.state().billable[key] !== "intent") {
    throw new RuntimeError("SPR105", `no unconfirmed billable action with key \`${key}\``, {
      hint: "reconcile only keys reported by a `needs-reconciliation` outcome",
    });
  }
  if (!verdict.submitted) {
    journal.append({ type: "billable-void", step, key, data: verdict.reason === undefined ? {} : { reason: verdict.reason } });
    return { status: "voided", step, key };
  }
  journal.append({ type: "billable-done", step, key, data: { result: verdict.result } });
  return complete(journal, step, verdict.result);
}

async function executeRecordingFailure<R>(journal: Journal, step: string, execute: () => Promise<R>): Promise<R> {
  try {
    return await execute();
  } catch (error) {
    const code = error instanceof RuntimeError ? { code: error.code } : {};
    journal.append({ type: "step-failed", step, data: { error: messageOf(error), ...code } });
    throw error;
  }
}

/** The effect finished before a crash but the step was never marked complete. */
function completeFromDone<R>(journal: Journal, step: string, key: string): StepOutcome<R> {
  const records = journal.records();
  let result: unknown;
  // Search from the end: the latest confirmation for this key wins (findLast is not in ES2022 lib).
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    if (record.type === "billable-done" && record.key === key) {
      result = record.data.result;
      break;
    }
  }
  return complete(journal, step, result);
}

function complete<R>(journal: Journal, step: string, result: unknown): StepOutcome<R> {
  journal.append({ type: "step-completed", step, data: { result } });
  // Return the journaled (JSON round-tripped) value so a cached replay returns the same thing.
  return { status: "completed", step, result: journal.state().completedSteps[step] as R };
}
