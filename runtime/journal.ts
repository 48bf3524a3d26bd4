/**
 * Durable run journal: one append-only JSONL file per run.
 *
 * Every line is a record `{seq, type, step?, key?, data?, ts?, sum}`. A record
 * is written and fsync'd before `append` returns, so once a caller has been
 * told "written" the record survives a crash. Resume logic replays records
 * into a {@link ReplayState}; it never looks at `ts`, so an injected clock
 * cannot change what a resumed run does.
 *
 * Billable side effects (GPU jobs, paid API calls) follow a write-ahead rule:
 * a `billable-intent` with an idempotency key is durable BEFORE the effect
 * starts, and `billable-done` after it finishes. An intent without a done on
 * resume means "we may or may not have paid": the runner must ask the provider
 * instead of submitting again (see {@link runStep} and {@link reconcileBillable}).
 *
 * Resuming from the wrong history would pay for work twice, so the journal
 * refuses anything it cannot vouch for:
 * - `sum` chains every record to the one before it (an edit names its line);
 * - a sidecar head `<journal>.head` names the last record, so a file that
 *   lost records in the middle or was swapped for another is not mistaken
 *   for a crash;
 * - `<journal>.lock` keeps a second process from appending to the same run;
 * - {@link createRunJournal} never reuses an existing file and
 *   {@link resumeRunJournal} needs the run's `run-started` record.
 */
import { createHash } from "node:crypto";
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

/** What callers append; the journal adds `seq`, `sum` (and `ts` when it has a clock). */
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

/** A record as stored: an entry plus its position, checksum and optional wall-clock stamp. */
export type JournalRecord = JournalEntry & {
  seq: number;
  /** Informational only; replay must never depend on it. */
  ts?: string;
  /**
   * First 16 hex digits of sha256(previous record's `sum`, or "" for the first
   * record, + "\n" + this record's canonical JSON without `sum`). Canonical
   * JSON: no whitespace, object keys sorted by UTF-16 code units.
   */
  sum: string;
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
  /** Flags used: `a` (the journal), `wx` (new files, never an existing one), `r` (a directory, to fsync it). */
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  /** Only ever used to cut a torn final line. */
  truncateSync(path: string, length: number): void;
  /** Replaces the head atomically and moves a stale lock aside. */
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

/** The sidecar head: the last record's `seq` and `sum`. */
export interface JournalHead {
  seq: number;
  sum: string;
}

/** Result of reading a journal file. */
export interface LoadedJournal {
  records: JournalRecord[];
  /** True when an unfinished last line (no trailing newline) was dropped. */
  tornTail: boolean;
  warnings: string[];
  /** Byte length of the intact prefix; the file is truncated to this on open. */
  validBytes: number;
  /** The head as read and verified; absent when the head file is missing or unreadable. */
  head?: JournalHead;
}

/** An open, append-only journal. Holds `<journal>.lock` until {@link Journal.close}. */
export interface Journal {
  readonly path: string;
  /** How the existing file looked when it was opened (torn line, stale lock, rewritten head). */
  readonly recovery: { tornTail: boolean; warnings: readonly string[] };
  /** Write one record and fsync it, then the head; returns the record as a reload would see it. */
  append(entry: JournalEntry): JournalRecord;
  records(): readonly JournalRecord[];
  /** Live replay state; treat as read-only. */
  state(): Readonly<ReplayState>;
  /** Release the descriptor and the lock. */
  close(): void;
}

/** The process a lock is taken for; injected in tests that simulate several processes. */
export interface LockOwner {
  pid: number;
  /** False only when `pid` surely no longer runs (its lock is then stale). */
  isAlive(pid: number): boolean;
}

/** Options for {@link openJournal} and {@link loadJournal}. */
export interface JournalOptions {
  fs?: JournalFs;
  /** Source for the informational `ts` field; omitted when not given. */
  clock?: () => string;
  /** Defaults to this process, probed with `process.kill(pid, 0)`. */
  owner?: LockOwner;
}

/** Options for {@link createRunJournal}. */
export interface CreateRunJournalOptions extends JournalOptions {
  specHash: string;
  args: Record<string, unknown>;
}

/** Options for {@link resumeRunJournal}. */
export interface ResumeRunJournalOptions extends JournalOptions {
  /** Hash of the spec version resuming; must be the one that started the run. */
  specHash: string;
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

/** The lock file next to a journal: `<journal>.lock`, holding the owner's pid. */
export function journalLockPath(path: string): string {
  return `${path}.lock`;
}

/** The head file next to a journal: `<journal>.head`, holding `{"seq":N,"sum":"…"}`. */
export function journalHeadPath(path: string): string {
  return `${path}.head`;
}

/** Read and validate a journal file and its head; a torn last line is dropped and reported. */
export function loadJournal(path: string, options: Pick<JournalOptions, "fs"> = {}): LoadedJournal {
  const fs = options.fs ?? nodeFs;
  requireJournal(fs, path);
  // Head first: a live writer moves it only after a record is durable, so a
  // reader racing that writer can never see a head ahead of the records.
  const head = readHead(fs, path);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (cause) {
    throw new RuntimeError("SPR101", `cannot read journal ${path}: ${messageOf(cause)}`, { cause });
  }
  return checkHead(path, parseJournal(bytes), head);
}

function requireJournal(fs: JournalFs, path: string): void {
  if (!fs.existsSync(path)) {
    throw new RuntimeError("SPR103", `journal not found: ${path}`, {
      hint: "check the run id, or start a new run instead of resuming",
    });
  }
}

/**
 * Parse journal bytes. Only the LAST line may be incomplete (a write that was
 * interrupted before its newline); anything wrong earlier means the file was
 * damaged after the fact, and silently restarting could pay for work twice.
 * The head file is not consulted here; {@link loadJournal} does that.
 */
export function parseJournal(input: Uint8Array | string): LoadedJournal {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  const validBytes = bytes.lastIndexOf(0x0a) + 1;
  const tornBytes = bytes.length - validBytes;
  const records: JournalRecord[] = [];
  for (const line of splitLines(bytes.subarray(0, validBytes))) {
    records.push(parseLine(line, records.length + 1, records.at(-1)?.sum ?? ""));
  }
  const warnings =
    tornBytes > 0
      ? [`dropped an incomplete last line (${tornBytes} bytes) left by an interrupted write`]
      : [];
  return { records, tornTail: tornBytes > 0, warnings, validBytes };
}

/** Newline-terminated lines, as bytes: each is decoded on its own so a bad byte names its line. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0, end = bytes.indexOf(0x0a); end !== -1; start = end + 1, end = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, end));
  }
  return lines;
}

// fatal: a replacement character would hide damage; ignoreBOM: a BOM is not ours, so it must not vanish.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function parseLine(bytes: Uint8Array, lineNo: number, previousSum: string): JournalRecord {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw corrupt(lineNo, "invalid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(lineNo, text === "" ? "empty line" : "invalid JSON");
  }
  const problem = recordProblem(value);
  if (problem !== undefined) throw corrupt(lineNo, problem);
  const record = value as JournalRecord;
  // seq is 1-based and dense, so it must equal the line number.
  if (record.seq !== lineNo) throw corrupt(lineNo, `expected seq ${lineNo}, found ${record.seq}`);
  if (sumOfStored(record, previousSum, lineNo) !== record.sum) throw corrupt(lineNo, "checksum mismatch");
  return record;
}

function sumOfStored(record: JournalRecord, previousSum: string, lineNo: number): string {
  const { sum: _sum, ...unsealed } = record;
  try {
    return recordSum(previousSum, unsealed);
  } catch (error) {
    // Canonical JSON recurses; nesting we could never have written overflows it.
    if (error instanceof RangeError) throw corrupt(lineNo, "record nested too deeply");
    throw error;
  }
}

function corrupt(lineNo: number, detail: string): RuntimeError {
  return new RuntimeError("SPR102", `journal corrupt at line ${lineNo}: ${detail}`, { hint: CORRUPT_HINT });
}

/** The chain link of one record: see {@link JournalRecord.sum}. */
function recordSum(previousSum: string, unsealed: object): string {
  return createHash("sha256").update(`${previousSum}\n${canonicalJson(unsealed)}`).digest("hex").slice(0, 16);
}

/** JSON with sorted keys, so a sum does not depend on how a writer ordered them. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (!isObject(value)) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
}

/** Stamp and seal an entry; the result is exactly what a reload of `line` returns. */
function sealRecord(
  previousSum: string,
  seq: number,
  entry: JournalEntry,
  clock: (() => string) | undefined,
): { record: JournalRecord; line: string } {
  // Round-trip first: JSON drops `undefined`, and the sum must cover what is stored.
  const stored = JSON.parse(JSON.stringify({ seq, ...entry, ...(clock ? { ts: clock() } : {}) })) as object;
  const record = { ...stored, sum: recordSum(previousSum, stored) } as JournalRecord;
  return { record, line: JSON.stringify(record) + "\n" };
}

type FieldRule = { step: "required" | "optional" | "absent"; key: boolean; data: (d: unknown) => string | undefined };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalObject = (d: unknown) => (d === undefined || isObject(d) ? undefined : "`data` must be an object");
const requireObject = (d: unknown) => (isObject(d) ? undefined : "`data` must be an object");
const amount = (d: unknown) =>
  isObject(d) && typeof d.amountUsd === "number" && Number.isFinite(d.amountUsd) ? undefined : "`data.amountUsd` must be a number";
const SUM_PATTERN = /^[0-9a-f]{16}$/;

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
  // Journals from before the checksum chain land here too; there were no users to migrate.
  if (value.sum === undefined) return "missing `sum`";
  if (typeof value.sum !== "string" || !SUM_PATTERN.test(value.sum)) return "`sum` must be 16 lowercase hex digits";
  return rule.data(value.data);
}

// ---------------------------------------------------------------------------
// The head file: proof of how long the journal was.

type HeadRead = { head?: JournalHead; problem?: string };

function readHead(fs: JournalFs, path: string): HeadRead {
  const headPath = journalHeadPath(path);
  if (!fs.existsSync(headPath)) return {};
  let text: string;
  try {
    text = UTF8.decode(fs.readFileSync(headPath));
  } catch (cause) {
    return { problem: cause instanceof TypeError ? "invalid UTF-8" : messageOf(cause) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "invalid JSON" };
  }
  return isHead(value) ? { head: { seq: value.seq, sum: value.sum } } : { problem: "not a {seq, sum} object" };
}

function isHead(value: unknown): value is JournalHead {
  return isObject(value) && Number.isInteger(value.seq) && (value.seq as number) >= 1 && typeof value.sum === "string" && SUM_PATTERN.test(value.sum);
}

/**
 * The head may lag the records (a crash between a record's fsync and the
 * head's write) but never lead them: a head past the end, or naming a record
 * with another sum, means records were lost after they were written.
 */
function checkHead(path: string, loaded: LoadedJournal, read: HeadRead): LoadedJournal {
  const headPath = journalHeadPath(path);
  if (read.problem !== undefined) {
    // Every record verified already, so an unreadable head costs only the truncation check.
    return withWarning(loaded, `head file ${headPath} is unreadable (${read.problem}); the records verify, so it is rewritten on open`);
  }
  if (read.head === undefined) {
    // One record without a head is a crash right after the first record; more means it was deleted.
    return loaded.records.length > 1 ? withWarning(loaded, `head file ${headPath} is missing; it is rewritten on open`) : loaded;
  }
  const { seq, sum } = read.head;
  const named = loaded.records[seq - 1];
  if (named === undefined || named.sum !== sum) {
    const found = named === undefined ? "" : ` and its record ${seq} has sum ${named.sum}`;
    throw new RuntimeError(
      "SPR107",
      `journal truncated or replaced: the head says record ${seq} (sum ${sum}) but the file has ${loaded.records.length} records${found}`,
      { hint: `records of ${path} were lost or the file was swapped after they were written; keep it and ${headPath} for inspection and start a new run id, or restore both from a backup` },
    );
  }
  return { ...loaded, head: read.head };
}

function withWarning(loaded: LoadedJournal, warning: string): LoadedJournal {
  return { ...loaded, warnings: [...loaded.warnings, warning] };
}

/** Replace the head atomically (temp file, fsync, rename): a crash leaves the old head or the new one, never a mix. */
function writeHead(fs: JournalFs, path: string, record: JournalRecord): void {
  const headPath = journalHeadPath(path);
  const temp = `${headPath}.tmp`;
  writeNewFile(fs, temp, JSON.stringify({ seq: record.seq, sum: record.sum }) + "\n");
  fs.renameSync(temp, headPath);
}

/** Write and fsync a file that must not exist; a leftover from a crash (only the lock holder writes these) is removed first. */
function writeNewFile(fs: JournalFs, path: string, text: string): void {
  if (fs.existsSync(path)) fs.unlinkSync(path);
  const fd = fs.openSync(path, "wx");
  try {
    writeFully(fs, fd, Buffer.from(text, "utf8"));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// The lock: one process appends to a run at a time.

/** A lock this process holds. */
interface HeldLock {
  readonly warnings: readonly string[];
  /** Idempotent; removes the lock file only while it still names us. */
  release(): void;
}

/** A few rounds are enough: each one either wins, refuses, or clears a stale lock. */
const LOCK_ROUNDS = 5;

const THIS_PROCESS: LockOwner = { pid: process.pid, isAlive: processAlive };

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user. Only ESRCH says it is gone.
    return errorCode(error) !== "ESRCH";
  }
}

function acquireLock(fs: JournalFs, path: string, owner: LockOwner): HeldLock {
  const lockPath = journalLockPath(path);
  const mine = `${owner.pid}\n`;
  const warnings: string[] = [];
  for (let round = 0; round < LOCK_ROUNDS; round++) {
    if (createExclusive(fs, lockPath, mine)) {
      // A creator that stalled before writing its pid may have been taken over; then the file names someone else.
      const now = readIfExists(fs, lockPath);
      if (now !== mine) throw lockedError(path, lockPath, lockPid(now ?? ""));
      return { warnings, release: () => releaseLock(fs, lockPath, mine) };
    }
    const seen = readIfExists(fs, lockPath);
    if (seen === undefined) continue; // released in the meantime
    const pid = lockPid(seen);
    if (pid !== undefined && owner.isAlive(pid)) throw lockedError(path, lockPath, pid);
    if (takeOver(fs, path, seen, owner.pid)) warnings.push(staleLockWarning(lockPath, pid));
  }
  throw lockedError(path, lockPath, undefined);
}

/** `<pid>\n`; anything else (empty, cut short) is a lock whose creator died before writing it. */
function lockPid(text: string): number | undefined {
  const pid = /^[1-9][0-9]{0,9}\n$/.test(text) ? Number(text.trimEnd()) : undefined;
  // No process has a pid past int32, and process.kill would reject it rather than say ESRCH.
  return pid !== undefined && pid <= 0x7fffffff ? pid : undefined;
}

function staleLockWarning(lockPath: string, pid: number | undefined): string {
  return pid === undefined
    ? `took over the incomplete lock ${lockPath} left by an interrupted open`
    : `took over the stale lock ${lockPath} of process ${pid}, which no longer runs`;
}

/**
 * Remove a stale lock, but only the one we judged stale: it is first moved
 * aside, so two processes clearing it at once cannot delete the fresh lock
 * one of them has just taken. Returns true when it removed the stale lock.
 */
function takeOver(fs: JournalFs, path: string, seen: string, pid: number): boolean {
  const lockPath = journalLockPath(path);
  const aside = `${lockPath}.${pid}.stale`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false; // someone else cleared it
    throw error;
  }
  const moved = readIfExists(fs, aside) ?? "";
  if (moved === seen) {
    fs.unlinkSync(aside);
    return true;
  }
  // We moved a lock taken since we looked: put it back as it was.
  if (!createExclusive(fs, lockPath, moved)) throw lockedError(path, lockPath, lockPid(moved));
  fs.unlinkSync(aside);
  return false;
}

function releaseLock(fs: JournalFs, lockPath: string, mine: string): void {
  try {
    if (readIfExists(fs, lockPath) === mine) fs.unlinkSync(lockPath);
  } catch {
    // Best effort: a lock left behind names a process that will be gone, so the next open takes it over.
  }
}

function lockedError(path: string, lockPath: string, pid: number | undefined): RuntimeError {
  const who = pid === undefined ? "another process" : `process ${pid}`;
  return new RuntimeError("SPR106", `journal is in use by ${who} (lock file ${lockPath})`, {
    hint: `wait for ${who} to finish with ${path}; if no such process is working on this run, delete ${lockPath}`,
  });
}

/** Create `path` with `text` unless it exists (O_EXCL); false when it does. */
function createExclusive(fs: JournalFs, path: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, "wx");
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  }
  try {
    writeFully(fs, fd, Buffer.from(text, "utf8"));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readIfExists(fs: JournalFs, path: string): string | undefined {
  try {
    return Buffer.from(fs.readFileSync(path)).toString("utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function errorCode(error: unknown): unknown {
  return isObject(error) ? error.code : undefined;
}

// ---------------------------------------------------------------------------
// Opening.

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

/** What every open needs, defaults filled in. */
interface JournalIo {
  fs: JournalFs;
  clock: (() => string) | undefined;
  owner: LockOwner;
}

function journalIo(options: JournalOptions): JournalIo {
  return { fs: options.fs ?? nodeFs, clock: options.clock, owner: options.owner ?? THIS_PROCESS };
}

/**
 * Start a run: the journal must not exist at all (not even empty), so a run
 * id is never reused over an old history. The file appears already holding
 * its `run-started` record, so no crash can leave a run without one.
 */
export function createRunJournal(path: string, options: CreateRunJournalOptions): Journal {
  const io = journalIo(options);
  refuseExisting(io.fs, path);
  ioStep(path, "create the directory of", () => io.fs.mkdirSync(dirname(path), { recursive: true }));
  return withLock(path, io, (lock) => {
    refuseExisting(io.fs, path); // again under the lock: another creator may have won
    const entry: JournalEntry = { type: "run-started", data: { specHash: options.specHash, args: options.args } };
    const first = sealRecord("", 1, entry, io.clock);
    ioStep(path, "create", () => publishFirstRecord(io.fs, path, first.line));
    ioStep(path, "write the head of", () => writeHead(io.fs, path, first.record));
    const loaded: LoadedJournal = { records: [first.record], tornTail: false, warnings: [], validBytes: Buffer.byteLength(first.line) };
    return journalHandle(path, io, lock, loaded, ioStep(path, "open", () => io.fs.openSync(path, "a")));
  });
}

/** Write the first record to a temp file and rename it into place, then make the new name durable. */
function publishFirstRecord(fs: JournalFs, path: string, line: string): void {
  const temp = `${path}.new`;
  writeNewFile(fs, temp, line);
  fs.renameSync(temp, path);
  syncDirectory(fs, dirname(path));
}

function refuseExisting(fs: JournalFs, path: string): void {
  if (fs.existsSync(path)) {
    throw new RuntimeError("SPR108", `journal exists, a journal is never overwritten: ${path}`, {
      hint: "resume that run, or pick a new run id",
    });
  }
}

/**
 * Continue a run: the journal must verify, start with `run-started`, and come
 * from the same spec version; a `run-resumed` record marks the restart.
 */
export function resumeRunJournal(path: string, options: ResumeRunJournalOptions): Journal {
  const io = journalIo(options);
  requireJournal(io.fs, path);
  return withLock(path, io, (lock) => {
    const loaded = loadJournal(path, io);
    checkResumable(path, loaded.records, options.specHash);
    const journal = openLoaded(path, io, lock, loaded);
    try {
      journal.append({ type: "run-resumed" });
    } catch (error) {
      journal.close();
      throw error;
    }
    return journal;
  });
}

function checkResumable(path: string, records: readonly JournalRecord[], specHash: string): void {
  const first = records[0];
  if (first?.type !== "run-started") {
    // Resuming from nothing would start the run over and pay for every job again.
    throw new RuntimeError("SPR109", `journal has no run-started record: cannot resume ${path}`, {
      hint: "the file is empty or lost its first record; keep it for inspection and start a new run id",
    });
  }
  if (first.data.specHash !== specHash) {
    const [started, given] = shortHashes(first.data.specHash, specHash);
    throw new RuntimeError("SPR110", `journal is from another spec version (hash ${started} ≠ ${given})`, {
      hint: "finish the run with the spec version that started it, or start a new run id",
    });
  }
}

/** Hashes cut to a readable length, unless cutting would make them look equal. */
function shortHashes(a: string, b: string): [string, string] {
  const cut = (hash: string) => (hash.length > 19 ? `${hash.slice(0, 18)}…` : hash);
  return cut(a) === cut(b) ? [a, b] : [cut(a), cut(b)];
}

/**
 * Open (or create, empty) a journal for appending, without the run checks of
 * {@link createRunJournal} / {@link resumeRunJournal}; runs should use those.
 * An incomplete last line left by a crash is cut off first, otherwise the next
 * record would be glued onto it.
 */
export function openJournal(path: string, options: JournalOptions = {}): Journal {
  const io = journalIo(options);
  ioStep(path, "create the directory of", () => io.fs.mkdirSync(dirname(path), { recursive: true }));
  return withLock(path, io, (lock) => {
    if (io.fs.existsSync(path)) return openLoaded(path, io, lock, loadJournal(path, io));
    const fd = ioStep(path, "create", () => io.fs.openSync(path, "wx"));
    syncDirectory(io.fs, dirname(path));
    return journalHandle(path, io, lock, parseJournal(""), fd);
  });
}

/** Take the lock for `open`, and give it back if opening fails. */
function withLock(path: string, io: JournalIo, open: (lock: HeldLock) => Journal): Journal {
  const lock = ioStep(path, "lock", () => acquireLock(io.fs, path, io.owner));
  try {
    return open(lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Repair what a crash may leave (a torn line, a lagging head) and open for appending. */
function openLoaded(path: string, io: JournalIo, lock: HeldLock, loaded: LoadedJournal): Journal {
  // The only bytes ever cut: a record whose append never returned.
  if (loaded.tornTail) ioStep(path, "repair", () => io.fs.truncateSync(path, loaded.validBytes));
  const last = loaded.records.at(-1);
  if (last !== undefined && (loaded.head?.seq !== last.seq || loaded.head.sum !== last.sum)) {
    ioStep(path, "write the head of", () => writeHead(io.fs, path, last));
  }
  return journalHandle(path, io, lock, loaded, ioStep(path, "open", () => io.fs.openSync(path, "a")));
}

function journalHandle(path: string, io: JournalIo, lock: HeldLock, loaded: LoadedJournal, fd: number): Journal {
  const { fs, clock } = io;
  const records = [...loaded.records];
  const state = replayState(records);
  let usable = true;
  let open = true;

  const append = (entry: JournalEntry): JournalRecord => {
    if (!usable) {
      throw new RuntimeError("SPR104", `journal ${path} is closed or failed a write`, {
        hint: "reopen the journal to resume; a failed write may have left an incomplete line",
      });
    }
    const { record, line } = sealRecord(records.at(-1)?.sum ?? "", records.length + 1, entry, clock);
    try {
      writeFully(fs, fd, Buffer.from(line, "utf8"));
      fs.fsyncSync(fd);
      // Only after the fsync: the head must never name a record that could still be lost.
      writeHead(fs, path, record);
    } catch (cause) {
      // After a partial write the in-memory view no longer matches the file.
      usable = false;
      throw new RuntimeError("SPR101", `cannot write journal ${path}: ${messageOf(cause)}`, { cause });
    }
    records.push(record);
    applyRecord(state, record);
    return record;
  };

  return {
    path,
    recovery: { tornTail: loaded.tornTail, warnings: [...lock.warnings, ...loaded.warnings] },
    append,
    records: () => records,
    state: () => state,
    close: () => {
      usable = false;
      // A journal that failed a write still holds its descriptor; release it exactly once.
      if (!open) return;
      open = false;
      try {
        fs.closeSync(fd);
      } finally {
        lock.release();
      }
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

/** Run an I/O step, reporting an fs failure as SPR101; the journal's own errors pass through. */
function ioStep<T>(path: string, what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
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
  // Only a step with an effect is journaled before it runs (its intent); a free step that dies
  // mid-way simply runs again, so its start is not worth an fsync.
  if (billableKey !== undefined) {
    journal.append({ type: "step-started", step });
    journal.append({ type: "billable-intent", step, key: billableKey });
  }
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
