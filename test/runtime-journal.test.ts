import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RuntimeError } from "../runtime/errors.js";
import {
  createRunJournal,
  journalPath,
  loadJournal,
  openJournal,
  parseJournal,
  reconcileBillable,
  replayState,
  resumeRunJournal,
  runStep,
  type Journal,
  type JournalFs,
  type LockOwner,
} from "../runtime/journal.js";

const tmp = () => mkdtempSync(join(tmpdir(), "specc-journal-"));

/**
 * Journal text for hand-written records, sealed the way the docs define it
 * (written independently of the module, so it also pins the format down).
 */
function seal(records: readonly object[]): string {
  let previous = "";
  let text = "";
  for (const record of records) {
    const sum = createHash("sha256").update(`${previous}\n${canonical(record)}`).digest("hex").slice(0, 16);
    text += JSON.stringify({ ...record, sum }) + "\n";
    previous = sum;
  }
  return text;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

/** Open, use and close: a journal holds its lock until closed. */
async function withJournal<T>(path: string, use: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = openJournal(path);
  try {
    return await use(journal);
  } finally {
    journal.close();
  }
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

// ---------------------------------------------------------------------------
// An in-memory fs that "crashes" (throws) at a chosen write or fsync.
// What was written before the crash stays, like the page cache after a process dies.

class Crash extends Error {}

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

class FakeFs implements JournalFs {
  files = new Map<string, Buffer>();
  private fds = new Map<number, string>();
  private nextFd = 10;
  /** Counts writeSync and fsyncSync calls since the last `arm`. */
  ops = 0;
  /** The file each counted op touched, in order. */
  opPaths: string[] = [];
  private crashAt: number | undefined;
  /** Short writes exercise the journal's write loop. */
  constructor(private readonly maxChunk = Infinity) {}

  arm(crashAt: number | undefined): void {
    this.ops = 0;
    this.opPaths = [];
    this.crashAt = crashAt;
  }
  private tick(path: string): boolean {
    this.ops += 1;
    this.opPaths.push(path);
    return this.ops === this.crashAt;
  }
  existsSync(path: string): boolean {
    return this.files.has(path) || [...this.files.keys()].some((f) => f.startsWith(path + "/"));
  }
  readFileSync(path: string): Uint8Array {
    const data = this.files.get(path);
    if (!data) throw fsError("ENOENT", path);
    return Buffer.from(data);
  }
  mkdirSync(): unknown {
    return undefined;
  }
  openSync(path: string, flags: string): number {
    if (flags === "wx" && this.files.has(path)) throw fsError("EEXIST", path);
    if ((flags === "a" || flags === "wx") && !this.files.has(path)) this.files.set(path, Buffer.alloc(0));
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number {
    const path = this.fds.get(fd)!;
    const crash = this.tick(path);
    // A crashing write lands only half of its bytes: the torn-tail case.
    const n = crash ? Math.floor(length / 2) : Math.min(length, this.maxChunk);
    this.files.set(path, Buffer.concat([this.files.get(path)!, buffer.subarray(offset, offset + n)]));
    if (crash) throw new Crash("crash during write");
    return n;
  }
  fsyncSync(fd: number): void {
    // Directory fsyncs are best effort in the journal, so only file fsyncs are crash points.
    const path = this.fds.get(fd)!;
    if (!this.files.has(path)) return;
    if (this.tick(path)) throw new Crash("crash during fsync");
  }
  closeSync(fd: number): void {
    this.fds.delete(fd);
  }
  truncateSync(path: string, length: number): void {
    this.files.set(path, this.files.get(path)!.subarray(0, length));
  }
  renameSync(from: string, to: string): void {
    const data = this.files.get(from);
    if (!data) throw fsError("ENOENT", from);
    this.files.delete(from);
    this.files.set(to, data);
  }
  unlinkSync(path: string): void {
    if (!this.files.delete(path)) throw fsError("ENOENT", path);
  }
}

// ---------------------------------------------------------------------------
// Basic behaviour on the real file system.

describe("journal on disk", () => {
  it("appends fsync'd JSONL records with dense seq and reloads them", () => {
    const path = join(tmp(), "runs", "r1", "journal.jsonl");
    const journal = openJournal(path, { clock: () => "2026-01-01T00:00:00Z" });
    journal.append({ type: "run-started", data: { specHash: "h1", args: { lr: 0.1 } } });
    journal.append({ type: "step-started", step: "a" });
    journal.append({ type: "step-completed", step: "a", data: { result: { n: 1 } } });
    journal.close();

    const text = readFileSync(path, "utf8");
    expect(text.split("\n")).toHaveLength(4);
    expect(JSON.parse(text.split("\n")[0]!)).toEqual({
      seq: 1,
      type: "run-started",
      data: { specHash: "h1", args: { lr: 0.1 } },
      ts: "2026-01-01T00:00:00Z",
      sum: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    // The sums are the documented chain: sha256(previous sum + "\n" + canonical JSON without `sum`).
    const unsealed = text.split("\n").slice(0, 3).map((line) => {
      const { sum: _sum, ...record } = JSON.parse(line);
      return record;
    });
    expect(text).toBe(seal(unsealed));
    const loaded = loadJournal(path);
    expect(loaded.tornTail).toBe(false);
    expect(loaded.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(replayState(loaded.records).completedSteps).toEqual({ a: { n: 1 } });
  });

  it("replay state does not depend on ts", () => {
    const entries = [
      { seq: 1, type: "step-completed", step: "a", data: { result: 1 } },
      { seq: 2, type: "run-stopped", data: { stoppedReason: "budget" } },
    ];
    const withTs = entries.map((e, i) => ({ ...e, ts: `t${i}` }));
    const a = parseJournal(seal(entries));
    const b = parseJournal(seal(withTs));
    expect(replayState(b.records)).toEqual(replayState(a.records));
  });

  it("tolerates and reports a torn last line, then truncates it on open", () => {
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(
      path,
      seal([
        { seq: 1, type: "step-started", step: "a" },
        { seq: 2, type: "step-completed", step: "a", data: { result: 1 } },
      ]) + '{"seq":3,"type":"step-sta',
    );
    const loaded = loadJournal(path);
    expect(loaded.tornTail).toBe(true);
    expect(loaded.records).toHaveLength(2);
    expect(loaded.warnings[0]).toMatch(/incomplete last line/);

    const journal = openJournal(path);
    expect(journal.recovery.tornTail).toBe(true);
    journal.append({ type: "step-started", step: "b" });
    journal.close();
    expect(readFileSync(path, "utf8").startsWith(seal(loaded.records.map(({ sum: _sum, ...r }) => r)))).toBe(true);
    const reloaded = loadJournal(path);
    expect(reloaded.tornTail).toBe(false);
    expect(reloaded.records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it("treats a complete-looking last line without newline as torn (its append never returned)", () => {
    const loaded = parseJournal(seal([{ seq: 1, type: "step-started", step: "a" }]).trimEnd());
    expect(loaded).toMatchObject({ records: [], tornTail: true, validBytes: 0 });
  });

  const first = { seq: 1, type: "step-started", step: "a" };
  it.each([
    ["invalid JSON in the middle", seal([first]) + '{"seq":2,"ty\n' + seal([{ seq: 3, type: "step-started", step: "b" }]), 2, /invalid JSON/],
    ["an empty line", seal([first]) + "\n", 2, /empty line/],
    ["seq out of order", seal([first, { seq: 3, type: "step-started", step: "b" }]), 2, /expected seq 2, found 3/],
    ["an unknown record type", seal([{ seq: 1, type: "step-teleported", step: "a" }]), 1, /unknown record type "step-teleported"/],
    ["a missing step", seal([{ seq: 1, type: "step-completed", data: {} }]), 1, /needs a string `step`/],
    ["a bad amount", seal([{ seq: 1, type: "reservation", key: "k", data: { amountUsd: "5" } }]), 1, /amountUsd/],
    ["a record without a sum (a journal from before the checksum chain)", '{"seq":1,"type":"step-started","step":"a"}\n', 1, /missing `sum`/],
    ["a wrong sum", seal([first]).replace(/"sum":"[0-9a-f]{16}"/, '"sum":"0000000000000000"'), 1, /checksum mismatch/],
  ])("rejects %s with SPR102 and the line number", (_name, text, line, detail) => {
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(path, text);
    const error = catchError(() => loadJournal(path));
    expect(error).toBeInstanceOf(RuntimeError);
    const e = error as RuntimeError;
    expect(e.code).toBe("SPR102");
    expect(e.message).toMatch(new RegExp(`^journal corrupt at line ${line}: `));
    expect(e.message).toMatch(detail);
    expect(e.hint).toBeTruthy();
    expect(e.message).not.toContain("\n");
  });

  it("refuses to open a corrupt journal rather than restarting", () => {
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(path, seal([{ seq: 1, type: "step-started", step: "a" }]) + "not json\n" + seal([{ seq: 3, type: "step-started", step: "a" }]));
    expect(() => openJournal(path)).toThrow(expect.objectContaining({ code: "SPR102" }));
    expect(readFileSync(path, "utf8")).toContain("not json"); // left untouched for inspection
  });

  it("reports a missing journal as SPR103", () => {
    expect(() => loadJournal(join(tmp(), "nope.jsonl"))).toThrow(expect.objectContaining({ code: "SPR103" }));
  });

  it("builds the conventional path and rejects run ids that could escape it", () => {
    expect(journalPath("/p", "run-1")).toBe("/p/.specc/runs/run-1/journal.jsonl");
    expect(() => journalPath("/p", "../etc")).toThrow(expect.objectContaining({ code: "SPR101" }));
  });

  it("becomes unusable after a failed write (SPR104) until reopened", () => {
    const fs = new FakeFs();
    const journal = openJournal("/j.jsonl", { fs });
    fs.arm(1);
    expect(() => journal.append({ type: "step-started", step: "a" })).toThrow(expect.objectContaining({ code: "SPR101" }));
    expect(() => journal.append({ type: "step-started", step: "a" })).toThrow(expect.objectContaining({ code: "SPR104" }));
    journal.close(); // the process "died"; closing releases its lock
    fs.arm(undefined);
    const reopened = openJournal("/j.jsonl", { fs });
    expect(reopened.recovery.tornTail).toBe(true);
    expect(reopened.append({ type: "step-started", step: "a" }).seq).toBe(1);
  });

  it("survives short writes", () => {
    const fs = new FakeFs(3);
    const journal = openJournal("/j.jsonl", { fs });
    journal.append({ type: "step-completed", step: "a", data: { result: "ünïcödé" } });
    expect(loadJournal("/j.jsonl", { fs }).records[0]).toMatchObject({ data: { result: "ünïcödé" } });
  });
});

// ---------------------------------------------------------------------------
// runStep / reconcileBillable semantics.

describe("runStep", () => {
  it("returns the cached result without executing again", async () => {
    const path = join(tmp(), "journal.jsonl");
    let calls = 0;
    const execute = async () => ({ n: ++calls });
    const first = await withJournal(path, (journal) => runStep(journal, { step: "a", execute }));
    const second = await withJournal(path, (journal) => runStep(journal, { step: "a", execute }));
    expect(first).toEqual({ status: "completed", step: "a", result: { n: 1 } });
    expect(second).toEqual({ status: "cached", step: "a", result: { n: 1 } });
    expect(calls).toBe(1);
  });

  it("writes the intent before the billable effect and done after it", async () => {
    const journal = openJournal(join(tmp(), "journal.jsonl"));
    const seenAtEffect: string[] = [];
    await runStep(journal, {
      step: "train",
      billableKey: "train#1",
      execute: async () => {
        seenAtEffect.push(...journal.records().map((r) => r.type));
        return { jobId: "j1" };
      },
    });
    expect(seenAtEffect).toEqual(["step-started", "billable-intent"]);
    expect(journal.records().map((r) => r.type)).toEqual(["step-started", "billable-intent", "billable-done", "step-completed"]);
    expect(journal.state().billable).toEqual({ "train#1": "done" });
  });

  it("does not re-run a billable step whose effect failed after the intent; asks for reconciliation", async () => {
    const path = join(tmp(), "journal.jsonl");
    const journal = openJournal(path);
    const boom = runStep(journal, {
      step: "train",
      billableKey: "k",
      execute: async () => {
        throw new Error("connection reset after submit");
      },
    });
    await expect(boom).rejects.toThrow("connection reset");
    expect(journal.state().failures).toEqual({ train: 1 });
    journal.close();

    let calls = 0;
    const again = await withJournal(path, (reopened) => runStep(reopened, { step: "train", billableKey: "k", execute: async () => ++calls }));
    expect(again).toEqual({ status: "needs-reconciliation", step: "train", key: "k" });
    expect(calls).toBe(0);
  });

  it("reconciles a submitted job as done and a never-submitted one as void", async () => {
    const journal = openJournal(join(tmp(), "journal.jsonl"));
    journal.append({ type: "billable-intent", step: "a", key: "ka" });
    journal.append({ type: "billable-intent", step: "b", key: "kb" });
    expect(reconcileBillable(journal, { step: "a", key: "ka" }, { submitted: true, result: { jobId: "x" } })).toEqual({
      status: "completed",
      step: "a",
      result: { jobId: "x" },
    });
    expect(reconcileBillable(journal, { step: "b", key: "kb" }, { submitted: false, reason: "not found" })).toEqual({
      status: "voided",
      step: "b",
      key: "kb",
    });
    expect(journal.state().billable).toEqual({ ka: "done" });
    expect(journal.state().completedSteps).toEqual({ a: { jobId: "x" } });
    expect(() => reconcileBillable(journal, { step: "a", key: "ka" }, { submitted: false })).toThrow(
      expect.objectContaining({ code: "SPR105" }),
    );
  });

  it("completes a step from billable-done when the crash came before step-completed", async () => {
    const journal = openJournal(join(tmp(), "journal.jsonl"));
    journal.append({ type: "billable-intent", step: "a", key: "k" });
    journal.append({ type: "billable-done", step: "a", key: "k", data: { result: { jobId: "j" } } });
    let calls = 0;
    const outcome = await runStep(journal, { step: "a", billableKey: "k", execute: async () => ++calls });
    expect(outcome).toEqual({ status: "completed", step: "a", result: { jobId: "j" } });
    expect(calls).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Crash injection: crash at every write/fsync, resume, and compare.

const PATH = "/work/.specc/runs/r/journal.jsonl";
const SCRIPT = [
  { step: "prepare", costUsd: 0 },
  { step: "preflight", costUsd: 0.4 },
  { step: "train", costUsd: 1.8 },
  { step: "evaluate", costUsd: 0 },
  { step: "publish", costUsd: 0.05 },
  { step: "report", costUsd: 0 },
] as const;

/** A provider that outlives our process: it remembers submissions by idempotency key. */
class FakeProvider {
  submissions = new Map<string, number>();
  private results = new Map<string, unknown>();
  submit(key: string, input: unknown): unknown {
    this.submissions.set(key, (this.submissions.get(key) ?? 0) + 1);
    const result = { jobId: `job-${key}`, input };
    this.results.set(key, result);
    return result;
  }
  lookup(key: string): { submitted: true; result: unknown } | { submitted: false } {
    return this.results.has(key) ? { submitted: true, result: this.results.get(key) } : { submitted: false };
  }
}

/** A simulated process: only the current one is alive, so a crashed one's lock is stale. */
function processOwner(pid: number): LockOwner {
  return { pid, isAlive: (other) => other === pid };
}

/** One "process": create or resume the run, skip what is done, finish the rest. */
async function runScript(fs: FakeFs, provider: FakeProvider, owner: LockOwner = processOwner(1)): Promise<void> {
  const options = { fs, owner, specHash: "sha256:abc" };
  const journal = fs.existsSync(PATH) ? resumeRunJournal(PATH, options) : createRunJournal(PATH, { ...options, args: { seed: 1 } });
  const state = journal.state();
  let previous: unknown = null;
  for (const { step, costUsd } of SCRIPT) {
    const billableKey = costUsd > 0 ? `${step}#1` : undefined;
    if (billableKey !== undefined) {
      if (!state.approvals[billableKey]) journal.append({ type: "approval", key: billableKey, step, data: { decision: "approved", by: "policy" } });
      if (state.spend.reserved[billableKey] === undefined) journal.append({ type: "reservation", key: billableKey, step, data: { amountUsd: costUsd } });
    }
    const input = previous;
    const execute = async () => (billableKey ? provider.submit(billableKey, input) : { step, input });
    let outcome = await runStep(journal, { step, billableKey, execute });
    if (outcome.status === "needs-reconciliation") {
      const reconciled = reconcileBillable(journal, outcome, provider.lookup(outcome.key));
      outcome = reconciled.status === "voided" ? await runStep(journal, { step, billableKey, execute }) : reconciled;
    }
    if (outcome.status === "needs-reconciliation") throw new Error("a voided intent cannot need reconciliation again");
    previous = outcome.result;
    if (billableKey !== undefined && state.spend.settled[billableKey] === undefined) {
      journal.append({ type: "settlement", key: billableKey, step, data: { amountUsd: costUsd } });
    }
  }
  if (!state.stopped) journal.append({ type: "run-stopped", data: { stoppedReason: "completed" } });
  journal.close();
}

/** Run with a crash at each listed op count (one per process), then once more to finish. */
async function runWithCrashes(crashPoints: readonly number[]) {
  const fs = new FakeFs();
  const provider = new FakeProvider();
  let crashes = 0;
  let pid = 1000;
  for (const point of [...crashPoints, undefined]) {
    fs.arm(point);
    try {
      await runScript(fs, provider, processOwner(++pid));
      break;
    } catch (error) {
      // The only acceptable failure is our injected crash, surfaced as a journal write error.
      expect(error).toMatchObject({ code: "SPR101" });
      expect((error as Error).cause).toBeInstanceOf(Crash);
      crashes += 1;
    }
  }
  const loaded = loadJournal(PATH, { fs });
  return { fs, provider, crashes, state: replayState(loaded.records), loaded };
}

describe("crash injection", () => {
  const billableKeys = SCRIPT.filter((s) => s.costUsd > 0).map((s) => `${s.step}#1`);
  let reference: Awaited<ReturnType<typeof runWithCrashes>>;
  let totalOps = 0;
  let opPaths: string[] = [];
  beforeAll(async () => {
    reference = await runWithCrashes([]);
    const fs = new FakeFs();
    fs.arm(undefined);
    await runScript(fs, new FakeProvider());
    totalOps = fs.ops;
    opPaths = fs.opPaths;
  });

  it("the crash-free run completes every step and submits each billable job once", () => {
    expect(Object.keys(reference.state.completedSteps)).toEqual(SCRIPT.map((s) => s.step));
    expect(reference.state.stopped).toEqual({ stoppedReason: "completed" });
    expect(Object.fromEntries(reference.provider.submissions)).toEqual(Object.fromEntries(billableKeys.map((k) => [k, 1])));
  });

  it("the crash points include the lock, the first record's temp file, every record and every head write", () => {
    const files = new Set(opPaths);
    expect([...files].sort()).toEqual([PATH, `${PATH}.head.tmp`, `${PATH}.lock`, `${PATH}.new`].sort());
    // Each record after the first: write + fsync of the record, then write + fsync of the head.
    const records = reference.loaded.records.length;
    expect(opPaths.filter((p) => p === `${PATH}.head.tmp`)).toHaveLength(2 * records);
  });

  it("crashing at EVERY write/fsync and resuming gives the same final state, with no double submission", async () => {
    const n = totalOps;
    expect(n).toBeGreaterThan(40);
    for (let k = 1; k <= n; k++) {
      const run = await runWithCrashes([k]);
      expect(run.crashes, `crash at op ${k}`).toBe(1);
      expect(run.state, `crash at op ${k}`).toEqual(reference.state);
      for (const key of billableKeys) expect(run.provider.submissions.get(key), `crash at op ${k}, ${key}`).toBe(1);
      // The last process closed cleanly: no lock left, and the head names the last record.
      expect(run.fs.files.has(`${PATH}.lock`), `crash at op ${k}`).toBe(false);
      const last = run.loaded.records.at(-1)!;
      expect(run.loaded.head, `crash at op ${k}`).toEqual({ seq: last.seq, sum: last.sum });
    }
  });

  it("repeated crashes during resumes converge too (property)", async () => {
    const n = totalOps;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 5 }), async (points) => {
        const run = await runWithCrashes(points);
        expect(run.state).toEqual(reference.state);
        for (const key of billableKeys) expect(run.provider.submissions.get(key)).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("real-file torn tail from a killed writer", () => {
  it("recovers when bytes of a record are missing at the end", () => {
    const path = join(tmp(), "journal.jsonl");
    const journal = openJournal(path);
    journal.append({ type: "step-started", step: "a" });
    journal.close();
    appendFileSync(path, '{"seq":2,"type":"step-com');
    const reopened = openJournal(path);
    expect(reopened.records()).toHaveLength(1);
    reopened.close();
  });
});
