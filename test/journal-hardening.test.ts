import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as nodeFs from "node:fs";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { RuntimeError } from "../runtime/errors.js";
import {
  createRunJournal,
  journalHeadPath,
  journalLockPath,
  loadJournal,
  openJournal,
  replayState,
  resumeRunJournal,
  type JournalEntry,
  type JournalFs,
} from "../runtime/journal.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST_JOURNAL = join(ROOT, "dist", "runtime", "journal.js");
const SPEC = "sha256:5f1d0c9e2b7a4e38a6d1c0ffee00112233445566778899aabbccddeeff0011";

const tmp = () => mkdtempSync(join(tmpdir(), "specc-journal-hard-"));
const newPath = () => join(tmp(), ".specc", "runs", "r1", "journal.jsonl");

function catchError(run: () => unknown): RuntimeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error("expected a throw");
}

/** The documented chain, computed independently of the module. */
function sumOf(previous: string, record: object): string {
  return createHash("sha256").update(`${previous}\n${canonical(record)}`).digest("hex").slice(0, 16);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

function seal(records: readonly object[]): string {
  let previous = "";
  return records
    .map((record) => {
      previous = sumOf(previous, record);
      return JSON.stringify({ ...record, sum: previous }) + "\n";
    })
    .join("");
}

/** A run of 11 records with every kind of keyed and stepped record, closed. */
function sampleRun(path: string, { seed = 7, extra = [] }: { seed?: number; extra?: readonly JournalEntry[] } = {}): void {
  const journal = createRunJournal(path, { specHash: SPEC, args: { seed }, clock: () => "2026-01-01T00:00:00Z" });
  const entries: JournalEntry[] = [
    { type: "approval", key: "train#1", step: "train", data: { decision: "approved", by: "policy" } },
    { type: "reservation", key: "train#1", step: "train", data: { amountUsd: 1.8 } },
    { type: "step-started", step: "train" },
    { type: "billable-intent", key: "train#1", step: "train" },
    { type: "billable-done", key: "train#1", step: "train", data: { result: { jobId: "j1" } } },
    { type: "step-completed", step: "train", data: { result: { jobId: "j1" } } },
    { type: "settlement", key: "train#1", step: "train", data: { amountUsd: 1.8 } },
    { type: "step-failed", step: "eval", data: { error: "boom", code: "X1" } },
    { type: "billable-intent", key: "eval#1", step: "eval" },
    { type: "billable-void", key: "eval#1", step: "eval", data: { reason: "not found" } },
    ...extra,
  ];
  for (const entry of entries) journal.append(entry);
  journal.close();
}

type Call = { op: string; path: string; flags?: string; to?: string; length?: number };

/** Real node:fs, recording every mutating call; `fail` turns a call into a crash before it happens. */
function tracingFs(calls: Call[], fail: (call: Call) => boolean = () => false): JournalFs {
  const paths = new Map<number, string>();
  const note = (call: Call) => {
    calls.push(call);
    if (fail(call)) throw new Error(`injected crash at ${call.op} ${call.path}`);
  };
  return {
    existsSync: (path) => nodeFs.existsSync(path),
    readFileSync: (path) => nodeFs.readFileSync(path),
    mkdirSync: (path, options) => nodeFs.mkdirSync(path, options),
    openSync: (path, flags) => {
      note({ op: "open", path, flags });
      const fd = nodeFs.openSync(path, flags);
      paths.set(fd, path);
      return fd;
    },
    writeSync: (fd, buffer, offset, length) => {
      note({ op: "write", path: paths.get(fd)! });
      return nodeFs.writeSync(fd, buffer, offset, length);
    },
    fsyncSync: (fd) => {
      note({ op: "fsync", path: paths.get(fd)! });
      nodeFs.fsyncSync(fd);
    },
    closeSync: (fd) => nodeFs.closeSync(fd),
    truncateSync: (path, length) => {
      note({ op: "truncate", path, length });
      nodeFs.truncateSync(path, length);
    },
    renameSync: (from, to) => {
      note({ op: "rename", path: from, to });
      nodeFs.renameSync(from, to);
    },
    unlinkSync: (path) => {
      note({ op: "unlink", path });
      nodeFs.unlinkSync(path);
    },
  };
}

/** A pid that surely belonged to a process which has exited (spawnSync reaps it). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ["-e", ""]).pid!;
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  return pid;
}

// ---------------------------------------------------------------------------
// 1. The lock.

describe("lock: one process per journal", () => {
  it("a second opener in the same process is refused (SPR106, naming the pid and the lock path); close() releases the lock", () => {
    const path = newPath();
    const lockPath = journalLockPath(path);
    const first = createRunJournal(path, { specHash: SPEC, args: {} });
    expect(readFileSync(lockPath, "utf8")).toBe(`${process.pid}\n`);

    for (const open of [() => resumeRunJournal(path, { specHash: SPEC }), () => openJournal(path)]) {
      const error = catchError(open);
      expect(error.code).toBe("SPR106");
      expect(error.message).toContain(`process ${process.pid}`);
      expect(error.message).toContain(lockPath);
      expect(error.hint).toContain(lockPath);
    }
    expect(first.records()).toHaveLength(1); // the refused openers wrote nothing
    expect(loadJournal(path).records).toHaveLength(1);

    first.close();
    expect(existsSync(lockPath)).toBe(false);
    const second = resumeRunJournal(path, { specHash: SPEC });
    expect(second.records().map((r) => r.type)).toEqual(["run-started", "run-resumed"]);
    second.close();
    expect(existsSync(lockPath)).toBe(false);
  });

  it("a lock whose pid is dead (ESRCH) is stale and taken over, with a warning", () => {
    const path = newPath();
    createRunJournal(path, { specHash: SPEC, args: {} }).close();
    const pid = deadPid();
    writeFileSync(journalLockPath(path), `${pid}\n`);

    const journal = resumeRunJournal(path, { specHash: SPEC });
    expect(journal.recovery.warnings.join("\n")).toMatch(new RegExp(`stale lock .* of process ${pid}, which no longer runs`));
    expect(readFileSync(journalLockPath(path), "utf8")).toBe(`${process.pid}\n`);
    journal.close();
    expect(existsSync(journalLockPath(path))).toBe(false);
  });

  it.each([["empty", ""], ["cut short", "12"], ["garbage", "hello\n"], ["an impossible pid", "9999999999\n"]])(
    "a lock whose creator died before writing its pid (%s) is taken over",
    (_name, text) => {
      const path = newPath();
      createRunJournal(path, { specHash: SPEC, args: {} }).close();
      writeFileSync(journalLockPath(path), text);
      const journal = resumeRunJournal(path, { specHash: SPEC });
      expect(journal.recovery.warnings.join("\n")).toMatch(/incomplete lock/);
      journal.close();
    },
  );

  it("a live pid's lock is respected (pid 1 always runs: the probe succeeds as root, says EPERM otherwise)", () => {
    const path = newPath();
    createRunJournal(path, { specHash: SPEC, args: {} }).close();
    writeFileSync(journalLockPath(path), "1\n");
    expect(catchError(() => resumeRunJournal(path, { specHash: SPEC })).message).toContain("process 1 ");
    expect(readFileSync(journalLockPath(path), "utf8")).toBe("1\n"); // not taken over
  });

  it("an open that fails after taking the lock gives the lock back", () => {
    const path = newPath();
    createRunJournal(path, { specHash: SPEC, args: {} }).close();
    expect(catchError(() => resumeRunJournal(path, { specHash: "sha256:other" })).code).toBe("SPR110");
    expect(existsSync(journalLockPath(path))).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// Child processes run the built module, like a real second `specc` would.

let childScript = "";

/** Used by the describes that spawn processes. */
function prepareChildren(): void {
  // The suite runs after `npx tsc -p tsconfig.json`; a stale dist would test old code.
  if (!existsSync(DIST_JOURNAL)) throw new Error(`${DIST_JOURNAL} is missing: run \`npx tsc -p tsconfig.json\` first`);
  if (statSync(DIST_JOURNAL).mtimeMs < statSync(join(ROOT, "runtime", "journal.ts")).mtimeMs) {
    throw new Error(`${DIST_JOURNAL} is older than runtime/journal.ts: run \`npx tsc -p tsconfig.json\` first`);
  }
  if (childScript !== "") return;
  childScript = join(tmp(), "journal-child.mjs");
  writeFileSync(childScript, CHILD_SOURCE);
}

/**
 * One run process: resume the journal (or create it), hold the lock for
 * `holdMs`, then run `steps` steps, every third billable through a "provider"
 * that appends the key to a log file (it outlives the process). An open
 * intent is reconciled from that log. Exit 3 with the error as JSON on stdout.
 */
const CHILD_SOURCE = `
import * as fs from "node:fs";
const { createRunJournal, resumeRunJournal, runStep, reconcileBillable } = await import(process.env.JOURNAL_MODULE);
const [path, providerLog, stepsText, holdText] = process.argv.slice(2);
const SPEC = ${JSON.stringify(SPEC)};
const submitted = (key) => fs.existsSync(providerLog) && fs.readFileSync(providerLog, "utf8").split("\\n").includes(key);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A provider call takes a moment on either side of the submission, so kills land with an intent
// open both before the provider has the job (void, run again) and after (confirm from the provider).
const submit = async (key) => { await pause(1); fs.appendFileSync(providerLog, key + "\\n"); await pause(3); return { jobId: "job-" + key }; };
process.stdout.write("ready\\n");
try {
  const journal = fs.existsSync(path)
    ? resumeRunJournal(path, { specHash: SPEC })
    : createRunJournal(path, { specHash: SPEC, args: { steps: Number(stepsText) } });
  process.stdout.write("locked\\n");
  if (Number(holdText) > 0) await new Promise((resolve) => setTimeout(resolve, Number(holdText)));
  for (let i = 0; i < Number(stepsText); i++) {
    const step = "s" + i;
    const billableKey = i % 3 === 0 ? "k" + i : undefined;
    const execute = async () => (billableKey ? submit(billableKey) : { i });
    const outcome = await runStep(journal, { step, billableKey, execute });
    if (outcome.status === "needs-reconciliation") {
      const verdict = submitted(outcome.key)
        ? { submitted: true, result: { jobId: "job-" + outcome.key } }
        : { submitted: false, reason: "provider has no such job" };
      const reconciled = reconcileBillable(journal, outcome, verdict);
      if (reconciled.status === "voided") await runStep(journal, { step, billableKey, execute });
    }
  }
  if (!journal.state().stopped) journal.append({ type: "run-stopped", data: { stoppedReason: "completed" } });
  journal.close();
  process.stdout.write("done\\n");
} catch (error) {
  process.stdout.write(JSON.stringify({ code: error.code, message: error.message }) + "\\n");
  process.exit(3);
}
`;

interface Child {
  process: ChildProcess;
  pid: number;
  stdout: () => string;
  /** Resolves when a line equal to `text` has been printed. */
  printed(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(path: string, providerLog: string, steps: number, holdMs = 0): Child {
  const child = spawn(process.execPath, [childScript, path, providerLog, String(steps), String(holdMs)], {
    env: { ...process.env, JOURNAL_MODULE: pathToFileURL(DIST_JOURNAL).href },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (out.split("\n").includes(text) ? resolve() : waiters.push(check));
      check();
      void exited.then(() => (out.split("\n").includes(text) ? resolve() : reject(new Error(`child exited without printing ${text}: ${out}`))));
    });
  return { process: child, pid: child.pid!, stdout: () => out, printed, exited };
}

function providerCounts(providerLog: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(providerLog)) return counts;
  for (const key of readFileSync(providerLog, "utf8").split("\n").filter(Boolean)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

const billableKeysOf = (steps: number) => Array.from({ length: steps }, (_, i) => i).filter((i) => i % 3 === 0).map((i) => `k${i}`);

describe("lock: two real processes", () => {
  beforeAll(prepareChildren);

  it("a second process started while the first holds the journal is refused, naming the holder's pid and the lock path", async () => {
    const dir = tmp();
    const path = join(dir, "journal.jsonl");
    const log = join(dir, "provider.log");
    createRunJournal(path, { specHash: SPEC, args: {} }).close();

    const holder = startChild(path, log, 12, 600);
    await holder.printed("locked");
    const second = startChild(path, log, 12);
    expect(await second.exited).toEqual({ code: 3, signal: null });
    const error = JSON.parse(second.stdout().trim().split("\n").at(-1)!);
    expect(error.code).toBe("SPR106");
    expect(error.message).toContain(`process ${holder.pid}`);
    expect(error.message).toContain(journalLockPath(path));

    expect(await holder.exited).toEqual({ code: 0, signal: null });
    expect(Object.fromEntries(providerCounts(log))).toEqual(Object.fromEntries(billableKeysOf(12).map((k) => [k, 1])));
    expect(existsSync(journalLockPath(path))).toBe(false);
  });

  it("two processes resuming at the same moment: exactly one proceeds, every job is submitted once, the journal still loads", async () => {
    const dir = tmp();
    const path = join(dir, "journal.jsonl");
    const log = join(dir, "provider.log");
    createRunJournal(path, { specHash: SPEC, args: {} }).close();

    const children = [startChild(path, log, 30, 300), startChild(path, log, 30, 300)];
    const results = await Promise.all(children.map((child) => child.exited));
    expect(results.map((r) => r.code).sort()).toEqual([0, 3]);
    const loser = children[results.findIndex((r) => r.code === 3)]!;
    const winner = children[results.findIndex((r) => r.code === 0)]!;
    expect(JSON.parse(loser.stdout().trim().split("\n").at(-1)!)).toMatchObject({
      code: "SPR106",
      message: expect.stringContaining(`process ${winner.pid} (lock file ${journalLockPath(path)})`),
    });
    expect(Object.fromEntries(providerCounts(log))).toEqual(Object.fromEntries(billableKeysOf(30).map((k) => [k, 1])));
    expect(loadJournal(path).records.filter((r) => r.type === "run-resumed")).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// 2. The checksum chain.

describe("checksum chain", () => {
  it("every record's sum is sha256(previous sum + newline + canonical JSON without sum), first 16 hex digits", () => {
    const path = newPath();
    sampleRun(path);
    let previous = "";
    for (const line of readFileSync(path, "utf8").trimEnd().split("\n")) {
      const { sum, ...record } = JSON.parse(line);
      expect(sum).toBe(sumOf(previous, record));
      previous = sum;
    }
  });

  /** Edits that keep every record well-formed, so only the chain can catch them. */
  const TYPE_SWAPS: Record<string, string> = {
    "billable-intent": "billable-void",
    "billable-void": "billable-intent",
    reservation: "settlement",
    settlement: "reservation",
    "step-started": "run-resumed",
  };
  const EDITS: Array<[string, (record: Record<string, any>) => boolean]> = [
    ["key", (r) => typeof r.key === "string" && ((r.key = `${r.key}x`), true)],
    ["type", (r) => r.type in TYPE_SWAPS && ((r.type = TYPE_SWAPS[r.type]), true)],
    ["step", (r) => typeof r.step === "string" && ((r.step = `${r.step}x`), true)],
    ["data", (r) => typeof r.data === "object" && ((r.data = { ...r.data, tampered: 1 }), true)],
    ["ts", (r) => typeof r.ts === "string" && ((r.ts = "2030-01-01T00:00:00Z"), true)],
  ];

  it("a changed key, record type, step, data or ts on any line is SPR102 `checksum mismatch` naming that line", () => {
    const path = newPath();
    sampleRun(path);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    const tried = new Set<string>();
    for (const [index, line] of lines.entries()) {
      for (const [field, edit] of EDITS) {
        const record = JSON.parse(line);
        if (!edit(record)) continue;
        tried.add(field);
        writeFileSync(path, [...lines.slice(0, index), JSON.stringify(record), ...lines.slice(index + 1)].join("\n") + "\n");
        const error = catchError(() => loadJournal(path));
        expect(error.code, `${field} on line ${index + 1}`).toBe("SPR102");
        expect(error.message, `${field} on line ${index + 1}`).toBe(`journal corrupt at line ${index + 1}: checksum mismatch`);
        expect(() => resumeRunJournal(path, { specHash: SPEC }), `${field} on line ${index + 1}`).toThrow(expect.objectContaining({ code: "SPR102" }));
      }
    }
    expect([...tried].sort()).toEqual(["data", "key", "step", "ts", "type"]);
  });

  it("an edit that recomputes its own sum still breaks the next line's link", () => {
    const text = seal([
      { seq: 1, type: "run-started", data: { specHash: SPEC, args: {} } },
      { seq: 2, type: "step-completed", step: "a", data: { result: 1 } },
      { seq: 3, type: "step-completed", step: "b", data: { result: 2 } },
    ]);
    const [l1, l2, l3] = text.trimEnd().split("\n");
    const { sum: _sum, ...edited } = { ...JSON.parse(l2!), data: { result: 999 } };
    const resealed = JSON.stringify({ ...edited, sum: sumOf(JSON.parse(l1!).sum, edited) });
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(path, [l1, resealed, l3].join("\n") + "\n");
    expect(catchError(() => loadJournal(path)).message).toBe("journal corrupt at line 3: checksum mismatch");
  });

  it("key order within a line does not matter (the sum covers canonical JSON)", () => {
    const path = newPath();
    sampleRun(path);
    const shuffled = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => {
        const record = JSON.parse(line);
        return JSON.stringify(Object.fromEntries(Object.entries(record).reverse()));
      });
    writeFileSync(path, shuffled.join("\n") + "\n");
    expect(loadJournal(path).records).toHaveLength(11);
  });

  it("a journal without sums (written before the chain) is refused as corrupt", () => {
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(path, '{"seq":1,"type":"run-started","data":{"specHash":"h","args":{}}}\n');
    const error = catchError(() => loadJournal(path));
    expect(error.code).toBe("SPR102");
    expect(error.message).toBe("journal corrupt at line 1: missing `sum`");
  });
});

// ---------------------------------------------------------------------------
// 3. The head.

describe("head file", () => {
  it("after every record's fsync, the head is written to a temp file, fsync'd and renamed over `<journal>.head`", () => {
    const calls: Call[] = [];
    const path = newPath();
    const journal = createRunJournal(path, { specHash: SPEC, args: {}, fs: tracingFs(calls) });
    calls.length = 0;
    const record = journal.append({ type: "step-started", step: "a" });
    const head = journalHeadPath(path);
    expect(calls).toEqual([
      { op: "write", path },
      { op: "fsync", path },
      { op: "open", path: `${head}.tmp`, flags: "wx" },
      { op: "write", path: `${head}.tmp` },
      { op: "fsync", path: `${head}.tmp` },
      { op: "rename", path: `${head}.tmp`, to: head },
    ]);
    expect(readFileSync(head, "utf8")).toBe(`{"seq":2,"sum":"${record.sum}"}\n`);
    journal.close();
  });

  it.each([
    ["in the middle of a line (it looks like a torn last line)", (text: string) => text.indexOf("\n", text.indexOf('{"seq":6,')) - 10],
    ["at a line boundary", (text: string) => text.indexOf('{"seq":6,')],
  ])("a truncation %s is refused with SPR107 naming the head's record and the file's count", (_name, cutAt) => {
    const path = newPath();
    sampleRun(path);
    const text = readFileSync(path, "utf8");
    const lastSum = JSON.parse(text.trimEnd().split("\n").at(-1)!).sum;
    writeFileSync(path, text.slice(0, cutAt(text)));
    const before = readFileSync(path);

    for (const open of [() => loadJournal(path), () => resumeRunJournal(path, { specHash: SPEC }), () => openJournal(path)]) {
      const error = catchError(open);
      expect(error.code).toBe("SPR107");
      expect(error.message).toBe(`journal truncated or replaced: the head says record 11 (sum ${lastSum}) but the file has 5 records`);
      expect(error.hint).toContain(journalHeadPath(path));
    }
    expect(readFileSync(path)).toEqual(before); // not even the "torn" tail was cut
    expect(existsSync(journalLockPath(path))).toBe(false);
  });

  it("a journal swapped for another run's is refused, naming both sums", () => {
    const [a, b] = [newPath(), newPath()];
    sampleRun(a);
    // Another run (other args, so every sum differs), two records longer: a plain length check would pass it.
    sampleRun(b, { seed: 8, extra: [{ type: "step-started", step: "x" }, { type: "step-started", step: "y" }] });
    const headA = JSON.parse(readFileSync(journalHeadPath(a), "utf8"));
    writeFileSync(a, readFileSync(b));
    const error = catchError(() => resumeRunJournal(a, { specHash: SPEC }));
    expect(error.code).toBe("SPR107");
    expect(error.message).toMatch(
      new RegExp(`^journal truncated or replaced: the head says record 11 \\(sum ${headA.sum}\\) but the file has 13 records and its record 11 has sum [0-9a-f]{16}$`),
    );
  });

  it("a head ahead of an empty journal file is SPR107, not a fresh start", () => {
    const path = newPath();
    sampleRun(path);
    writeFileSync(path, "");
    expect(catchError(() => resumeRunJournal(path, { specHash: SPEC })).message).toMatch(/^journal truncated or replaced: the head says record 11 .* but the file has 0 records$/);
  });

  it("a crash between a record's fsync and its head write resumes (head one behind) and the head catches up", () => {
    const path = newPath();
    sampleRun(path);
    const calls: Call[] = [];
    const journal = resumeRunJournal(path, {
      specHash: SPEC,
      fs: tracingFs(calls, (call) => call.op === "open" && call.path.endsWith(".head.tmp") && calls.filter((c) => c.op === "open" && c.path.endsWith(".head.tmp")).length === 3),
    });
    journal.append({ type: "step-started", step: "after-1" });
    expect(() => journal.append({ type: "step-started", step: "after-2" })).toThrow(expect.objectContaining({ code: "SPR101" }));
    journal.close();
    expect(JSON.parse(readFileSync(journalHeadPath(path), "utf8")).seq).toBe(13); // record 14 is durable, its head is not

    const resumed = resumeRunJournal(path, { specHash: SPEC });
    expect(resumed.recovery.warnings).toEqual([]);
    expect(resumed.records().map((r) => r.type).slice(-3)).toEqual(["step-started", "step-started", "run-resumed"]);
    const last = resumed.records().at(-1)!;
    expect(JSON.parse(readFileSync(journalHeadPath(path), "utf8"))).toEqual({ seq: last.seq, sum: last.sum });
    resumed.close();
  });

  it.each([
    ["unreadable", "{\"seq\":", /unreadable \(invalid JSON\)/],
    ["not a head", '{"seq":0,"sum":"x"}\n', /unreadable \(not a \{seq, sum\} object\)/],
    ["invalid UTF-8", Buffer.from([0xff, 0xfe]), /unreadable \(invalid UTF-8\)/],
    ["missing", undefined, /is missing/],
  ])("a head that is %s, with records that all verify, is a warning and is rewritten on open", (_name, content, warning) => {
    const path = newPath();
    sampleRun(path);
    if (content === undefined) nodeFs.unlinkSync(journalHeadPath(path));
    else writeFileSync(journalHeadPath(path), content);
    expect(loadJournal(path).warnings.join("\n")).toMatch(warning);
    const journal = resumeRunJournal(path, { specHash: SPEC });
    expect(journal.recovery.warnings.join("\n")).toMatch(warning);
    const last = journal.records().at(-1)!;
    expect(JSON.parse(readFileSync(journalHeadPath(path), "utf8"))).toEqual({ seq: last.seq, sum: last.sum });
    journal.close();
  });
});

// ---------------------------------------------------------------------------
// 4. Explicit create and resume.

describe("createRunJournal / resumeRunJournal", () => {
  it("create makes the directories and a journal that already holds run-started, its head and its lock", () => {
    const path = newPath();
    const journal = createRunJournal(path, { specHash: SPEC, args: { lr: 0.1 } });
    expect(existsSync(journalLockPath(path))).toBe(true);
    journal.close();
    const [record] = loadJournal(path).records;
    expect(record).toMatchObject({ seq: 1, type: "run-started", data: { specHash: SPEC, args: { lr: 0.1 } } });
    expect(JSON.parse(readFileSync(journalHeadPath(path), "utf8"))).toEqual({ seq: 1, sum: record!.sum });
    expect(nodeFs.readdirSync(dirname(path)).sort()).toEqual(["journal.jsonl", "journal.jsonl.head"]);
  });

  it.each([
    ["empty (0 bytes)", ""],
    ["only a torn line", '{"seq":1,"type":"run-sta'],
    ["a whole journal", null],
  ])("create refuses a file that exists, %s (SPR108), and leaves it as it was", (_name, content) => {
    const path = newPath();
    if (content === null) sampleRun(path);
    else {
      nodeFs.mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    const before = readFileSync(path);
    const error = catchError(() => createRunJournal(path, { specHash: SPEC, args: {} }));
    expect(error.code).toBe("SPR108");
    expect(error.message).toBe(`journal exists, a journal is never overwritten: ${path}`);
    expect(error.hint).toMatch(/resume .* new run id/);
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(journalLockPath(path))).toBe(false);
  });

  it("resume of a missing journal is SPR103", () => {
    expect(catchError(() => resumeRunJournal(newPath(), { specHash: SPEC })).code).toBe("SPR103");
  });

  it.each([
    ["empty (0 bytes)", ""],
    ["only a torn line", '{"seq":1,"type":"run-started","data":{"specHash":"h","args":{}},"sum":"0123456789abcdef"}'],
    ["not started by run-started", seal([{ seq: 1, type: "step-started", step: "a" }])],
  ])("resume refuses a journal that is %s (SPR109) instead of starting over, and changes nothing", (_name, content) => {
    const path = newPath();
    nodeFs.mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    const error = catchError(() => resumeRunJournal(path, { specHash: SPEC }));
    expect(error.code).toBe("SPR109");
    expect(error.message).toBe(`journal has no run-started record: cannot resume ${path}`);
    expect(error.hint).toMatch(/new run id/);
    expect(readFileSync(path, "utf8")).toBe(content);
    expect(existsSync(journalLockPath(path))).toBe(false);
  });

  it("resume refuses another spec version (SPR110), naming both hashes", () => {
    const path = newPath();
    createRunJournal(path, { specHash: "sha256:aaaaaaaaaaaaaaaaaaaaaaaa", args: {} }).close();
    const error = catchError(() => resumeRunJournal(path, { specHash: "sha256:bbbbbbbbbbbbbbbbbbbbbbbb" }));
    expect(error.code).toBe("SPR110");
    expect(error.message).toBe("journal is from another spec version (hash sha256:aaaaaaaaaaa… ≠ sha256:bbbbbbbbbbb…)");
    expect(error.hint).toBe("finish the run with the spec version that started it, or start a new run id");
    // Hashes that only differ past the cut are shown whole.
    const late = catchError(() => resumeRunJournal(path, { specHash: "sha256:aaaaaaaaaaaaaaaaaaaaaaab" }));
    expect(late.message).toBe("journal is from another spec version (hash sha256:aaaaaaaaaaaaaaaaaaaaaaaa ≠ sha256:aaaaaaaaaaaaaaaaaaaaaaab)");
  });

  it("resume restores the state and appends run-resumed; openJournal still opens a plain journal", () => {
    const path = newPath();
    sampleRun(path);
    const journal = resumeRunJournal(path, { specHash: SPEC });
    expect(journal.records().at(-1)).toMatchObject({ seq: 12, type: "run-resumed" });
    expect(journal.state()).toMatchObject({ run: { specHash: SPEC }, completedSteps: { train: { jobId: "j1" } }, billable: { "train#1": "done" } });
    journal.close();
    const plain = openJournal(path);
    expect(plain.records()).toHaveLength(12);
    plain.close();
  });
});

// ---------------------------------------------------------------------------
// 5. UTF-8.

describe("UTF-8", () => {
  it.each([
    ["a stray continuation byte", [0x80]],
    ["an invalid byte", [0xff]],
    ["a cut-off sequence", [0xc3]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
  ])("%s is SPR102 `invalid UTF-8` at its line, never a replacement character", (_name, bad) => {
    const text = seal([
      { seq: 1, type: "run-started", data: { specHash: SPEC, args: {} } },
      { seq: 2, type: "step-completed", step: "a", data: { result: "A@B" } },
    ]);
    const bytes = Buffer.from(text, "utf8");
    const at = bytes.indexOf("A@B") + 1;
    const path = join(tmp(), "journal.jsonl");
    writeFileSync(path, Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at + 1)]));
    const error = catchError(() => loadJournal(path));
    expect(error.code).toBe("SPR102");
    expect(error.message).toBe("journal corrupt at line 2: invalid UTF-8");
  });

  it("valid multi-byte text round-trips, and a byte-order mark is not silently dropped", () => {
    const path = newPath();
    const journal = createRunJournal(path, { specHash: SPEC, args: { note: "ünïcödé 🚀 中文" } });
    journal.close();
    expect(loadJournal(path).records[0]).toMatchObject({ data: { args: { note: "ünïcödé 🚀 中文" } } });
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(path)]));
    expect(catchError(() => loadJournal(path)).message).toBe("journal corrupt at line 1: invalid JSON");
  });
});

// ---------------------------------------------------------------------------
// 6. Never overwritten.

describe("a journal is never overwritten", () => {
  it("over a whole life (create, append, torn tail, refused create and resume, resume), files open only with a / wx / r, and the one truncate cuts exactly the torn line", () => {
    const calls: Call[] = [];
    const fs = tracingFs(calls);
    const path = newPath();
    const journal = createRunJournal(path, { specHash: SPEC, args: {}, fs });
    journal.append({ type: "step-started", step: "a" });
    journal.close();
    const intact = readFileSync(path);
    appendFileSync(path, '{"seq":3,"type":"step-com');
    const torn = readFileSync(path);

    expect(catchError(() => createRunJournal(path, { specHash: SPEC, args: {}, fs })).code).toBe("SPR108");
    expect(catchError(() => resumeRunJournal(path, { specHash: "sha256:other", fs })).code).toBe("SPR110");
    expect(readFileSync(path)).toEqual(torn); // refused opens cut nothing
    const resumed = resumeRunJournal(path, { specHash: SPEC, fs });
    resumed.append({ type: "step-started", step: "b" });
    resumed.close();

    expect(new Set(calls.filter((c) => c.op === "open").map((c) => c.flags))).toEqual(new Set(["a", "wx", "r"]));
    expect(calls.filter((c) => c.op === "truncate")).toEqual([{ op: "truncate", path, length: intact.length }]);
    // The journal itself is only ever created by renaming its first record's temp file, once.
    expect(calls.filter((c) => c.op === "rename" && c.to === path)).toEqual([{ op: "rename", path: `${path}.new`, to: path }]);
    expect(calls.filter((c) => c.op === "open" && c.path === path).map((c) => c.flags)).toEqual(["a", "a"]);
    expect(calls.filter((c) => c.op === "unlink" && c.path === path)).toEqual([]);
    expect(readFileSync(path).subarray(0, intact.length)).toEqual(intact);
  });
});

// ---------------------------------------------------------------------------
// SIGKILL at random moments, resumed each time by a fresh process.

/** mulberry32: a small seeded generator, so a failing schedule can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KILL_SEED = 20260101;
const KILL_STEPS = 200;
const MIN_KILLS = 30;

/** Run one child to its end; returns its run time after start-up. */
async function runToEnd(path: string, log: string): Promise<number> {
  const child = startChild(path, log, KILL_STEPS);
  await child.printed("ready");
  const start = performance.now();
  expect(await child.exited).toEqual({ code: 0, signal: null });
  return performance.now() - start;
}

describe("SIGKILL", () => {
  beforeAll(prepareChildren);

  it(`${MIN_KILLS}+ kill -9 at seeded random moments (seed ${KILL_SEED}), each resumed by a fresh process: no job twice, same final state`, async () => {
    const started = performance.now();
    const referenceDir = tmp();
    const reference = join(referenceDir, "journal.jsonl");
    const crashFreeMs = await runToEnd(reference, join(referenceDir, "provider.log"));

    const dir = tmp();
    const path = join(dir, "journal.jsonl");
    const log = join(dir, "provider.log");
    const random = seeded(KILL_SEED);
    // Kill windows sized to the run, so ~30 kills land mid-run on a fast or a slow machine.
    const windowMs = Math.max(4, crashFreeMs / 20);
    let kills = 0;
    let killsMidRun = 0;
    for (let round = 0; kills < MIN_KILLS; round++) {
      expect(round, "children kept finishing before the kill").toBeLessThan(10 * MIN_KILLS);
      const child = startChild(path, log, KILL_STEPS);
      await child.printed("ready").catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, random() * windowMs));
      child.process.kill("SIGKILL");
      const exit = await child.exited;
      if (exit.signal !== "SIGKILL") continue; // it finished first
      kills += 1;
      // Every state a kill leaves must load, and no job may have been paid twice so far.
      if (existsSync(path) && Object.keys(replayState(loadJournal(path).records).completedSteps).length < KILL_STEPS) killsMidRun += 1;
      for (const [key, count] of providerCounts(log)) expect(count, `${key} after kill ${kills}`).toBe(1);
    }
    await runToEnd(path, log);

    const expectedKeys = billableKeysOf(KILL_STEPS);
    expect(Object.fromEntries(providerCounts(log))).toEqual(Object.fromEntries(expectedKeys.map((k) => [k, 1])));
    expect(Object.fromEntries(providerCounts(join(referenceDir, "provider.log")))).toEqual(Object.fromEntries(expectedKeys.map((k) => [k, 1])));
    const killed = loadJournal(path);
    expect(replayState(killed.records)).toEqual(replayState(loadJournal(reference).records));
    expect(existsSync(journalLockPath(path))).toBe(false);
    expect(killsMidRun).toBeGreaterThanOrEqual(MIN_KILLS / 2);

    const resumes = killed.records.filter((r) => r.type === "run-resumed").length;
    const voided = killed.records.filter((r) => r.type === "billable-void").length;
    const reconciledDone = killed.records.filter((r, i) => {
      if (r.type !== "billable-done") return false;
      const intent = killed.records.findLastIndex((o, j) => j < i && o.type === "billable-intent" && o.key === r.key);
      return killed.records.slice(intent, i).some((o) => o.type === "run-resumed");
    }).length;
    console.info(
      `SIGKILL: ${kills} kills (${killsMidRun} mid-run), ${resumes} resumes, ${voided} intents voided, ${reconciledDone} confirmed from the provider; ` +
        `crash-free run ${crashFreeMs.toFixed(0)} ms, kill window ${windowMs.toFixed(0)} ms, total ${(performance.now() - started).toFixed(0)} ms`,
    );
  });
});
