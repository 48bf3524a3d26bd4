import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { RuntimeError } from "../runtime/errors.js";
import {
  journalPath,
  loadJournal,
  openJournal,
  parseJournal,
  reconcileBillable,
  replayState,
  runStep,
  type JournalFs,
} from "../runtime/journal.js";

const tmp = () => mkdtempSync(join(tmpdir(), "specc-journal-"));

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

class FakeFs implements JournalFs {
  files = new Map<string, Buffer>();
  private fds = new Map<number, string>();
  private nextFd = 10;
  /** Counts writeSync and fsyncSync calls since the last `arm`. */
  ops = 0;
  private crashAt: number | undefined;
  /** Short writes exercise the journal's write loop. */
  constructor(private readonly maxChunk = Infinity) {}

  arm(crashAt: number | undefined): void {
    this.ops = 0;
    this.crashAt = crashAt;
  }
  private tick(): boolean {
    this.ops += 1;
    return this.ops === this.crashAt;
  }
  existsSync(path: string): boolean {
    return this.files.has(path) || [...this.files.keys()].some((f) => f.startsWith(path + "/"));
  }
  readFileSync(path: string): Uint8Array {
    const data = this.files.get(path);
    if (!data) throw new Error(`ENOENT ${path}`);
    return Buffer.from(data);
  }
  mkdirSync(): unknown {
    return undefined;
  }
  openSync(path: string, flags: string): number {
    if (flags === "a" && !this.files.has(path)) this.files.set(path, Buffer.alloc(0));
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number {
    const path = this.fds.get(fd)!;
    const crash = this.tick();
    // A crashing write lands only half of its bytes: the torn-tail case.
    const n = crash ? Math.floor(length / 2) : Math.min(length, this.maxChunk);
    this.files.set(path, Buffer.concat([this.files.get(path)!, buffer.subarray(offset, offset + n)]));
    if (crash) throw new Crash("crash during write");
    return n;
  }
  fsyncSync(fd: number): void {
    // Directory fsyncs are best effort in the journal, so only file fsyncs are crash points.
    if (!this.files.has(this.fds.get(fd)!)) return;
    if (this.tick()) throw new Crash("crash during fsync");
  }
  closeSync(fd: number): void {
    this.fds.delete(fd);
  }
  truncateSync(path: string, length: number): void {
    this.files.set(path, this.files.get(path)!.subarray(0, length));
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
    });
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
    const a = parseJournal(entries.map((e) => JSON.stringify(e) + "\n").join(""));
    const b = parseJournal(withTs.map((e) => JSON.stringify(e) + "\n").join(""));
    expect(replayState(b.records)).toEqual(replayState(a.records));
  });

  it("tolerates and reports a torn last line, then truncates it on open", () => {
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(
      path,
      '{"seq":1,"type":"step-started","step":"a"}\n{"seq":2,"type":"step-completed","step":"a","data":{"result":1}}\n{"seq":3,"type":"step-sta',
    );
    const loaded = loadJournal(path);
    expect(loaded.tornTail).toBe(true);
    expect(loaded.records).toHaveLength(2);
    expect(loaded.warnings[0]).toMatch(/incomplete last line/);

    const journal = openJournal(path);
    expect(journal.recovery.tornTail).toBe(true);
    journal.append({ type: "step-started", step: "b" });
    journal.close();
    const reloaded = loadJournal(path);
    expect(reloaded.tornTail).toBe(false);
    expect(reloaded.records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it("treats a complete-looking last line without newline as torn (its append never returned)", () => {
    const loaded = parseJournal('{"seq":1,"type":"step-started","step":"a"}');
    expect(loaded).toMatchObject({ records: [], tornTail: true, validBytes: 0 });
  });

  it.each([
    ["invalid JSON in the middle", '{"seq":1,"type":"step-started","step":"a"}\n{"seq":2,"ty\n{"seq":3,"type":"step-started","step":"b"}\n', 2, /invalid JSON/],
    ["an empty line", '{"seq":1,"type":"step-started","step":"a"}\n\n', 2, /empty line/],
    ["seq out of order", '{"seq":1,"type":"step-started","step":"a"}\n{"seq":3,"type":"step-started","step":"b"}\n', 2, /expected seq 2, found 3/],
    ["an unknown record type", '{"seq":1,"type":"step-teleported","step":"a"}\n', 1, /unknown record type "step-teleported"/],
    ["a missing step", '{"seq":1,"type":"step-completed","data":{}}\n', 1, /needs a string `step`/],
    ["a bad amount", '{"seq":1,"type":"reservation","key":"k","data":{"amountUsd":"5"}}\n', 1, /amountUsd/],
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
    writeFileSync(path, '{"seq":1,"type":"step-started","step":"a"}\nnot json\n{"seq":3,"type":"step-started","step":"a"}\n');
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
    const first = await runStep(openJournal(path), { step: "a", execute });
    const second = await runStep(openJournal(path), { step: "a", execute });
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

    let calls = 0;
    const again = await runStep(openJournal(path), { step: "train", billableKey: "k", execute: async () => ++calls });
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

/** One "process": open the journal, skip what is done, finish the rest. */
async function runScript(fs: FakeFs, provider: FakeProvider): Promise<void> {
  const journal = openJournal(PATH, { fs });
  const state = journal.state();
  if (!state.run) journal.append({ type: "run-started", data: { specHash: "sha256:abc", args: { seed: 1 } } });
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
  for (const point of [...crashPoints, undefined]) {
    fs.arm(point);
    try {
      await runScript(fs, provider);
      break;
    } catch (error) {
      // The only acceptable failure is our injected crash, surfaced as a journal write error.
      expect(error).toMatchObject({ code: "SPR101" });
      expect((error as Error).cause).toBeInstanceOf(Crash);
      crashes += 1;
    }
  }
  return { fs, provider, crashes, state: replayState(loadJournal(PATH, { fs }).records) };
}

describe("crash injection", () => {
  const billableKeys = SCRIPT.filter((s) => s.costUsd > 0).map((s) => `${s.step}#1`);
  let reference: Awaited<ReturnType<typeof runWithCrashes>>;
  let totalOps = 0;
  beforeAll(async () => {
    reference = await runWithCrashes([]);
    const fs = new FakeFs();
    fs.arm(undefined);
    await runScript(fs, new FakeProvider());
    totalOps = fs.ops;
  });

  it("the crash-free run completes every step and submits each billable job once", () => {
    expect(Object.keys(reference.state.completedSteps)).toEqual(SCRIPT.map((s) => s.step));
    expect(reference.state.stopped).toEqual({ stoppedReason: "completed" });
    expect(Object.fromEntries(reference.provider.submissions)).toEqual(Object.fromEntries(billableKeys.map((k) => [k, 1])));
  });

  it("crashing at EVERY write/fsync and resuming gives the same final state, with no double submission", async () => {
    const n = totalOps;
    expect(n).toBeGreaterThan(40);
    for (let k = 1; k <= n; k++) {
      const run = await runWithCrashes([k]);
      expect(run.crashes, `crash at op ${k}`).toBe(1);
      expect(run.state, `crash at op ${k}`).toEqual(reference.state);
      for (const key of billableKeys) expect(run.provider.submissions.get(key), `crash at op ${k}, ${key}`).toBe(1);
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
    expect(openJournal(path).records()).toHaveLength(1);
  });
});
