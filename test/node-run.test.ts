// `specc run` and the node runner, durable: a real process killed with SIGKILL at every write to
// its journal (every record, half of them torn mid-line) resumes in a fresh process to the same
// final state as a run never killed, and no billable agent call reaches the provider twice. Also
// the CLI's contract: exit codes, the printed resume command, journals never overwritten, a second
// process refused while one holds the run, a refused billable call through an executor that
// cannot bill.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { realizeSpec } from "../compiler/compile.js";
import { runnablePipeline } from "../compiler/driver-pipeline.js";
import { readSpec } from "../compiler/read-spec.js";
import { runNodePipeline } from "../runtime/node/run.js";
import { cooperativeAnswer } from "../runtime/proof/answers.js";
import type { DriverPipeline } from "../runtime/workflow/index.js";
import { standInExecutor } from "./helpers/executor.js";
import { ROOT } from "./helpers/paths.js";

const SCRATCH = join(ROOT, ".tmp-node-run");
const CHILD = join(ROOT, "test/fixtures/node-run/crash-child.mjs");
const BIN = join(ROOT, "dist/bin/specc.mjs");
let pipeline: DriverPipeline;
const replay = join(SCRATCH, "coop.jsonl");

beforeAll(async () => {
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(SCRATCH, { recursive: true });
  const realized = realizeSpec(readSpec(join(ROOT, "specs/ml-research.md"), { displayPath: "specs/ml-research.md" }), { sourcePath: "specs/ml-research.md" });
  if (!realized.ok) throw new Error("ml-research does not realize");
  pipeline = runnablePipeline(realized.pipeline);
  writeFileSync(join(SCRATCH, "pipeline.json"), JSON.stringify(pipeline));
  // A recording of cooperative agents: the replay every run below answers from.
  const lines: string[] = [];
  const recorder = standInExecutor(pipeline, (info) => cooperativeAnswer(info));
  const recording = { ...recorder, async run(request: Parameters<typeof recorder.run>[0], options: Parameters<typeof recorder.run>[1]) {
    const result = await recorder.run(request, options);
    lines.push(JSON.stringify({ agent: request.agentType, output: result.output, costUsd: 0 }));
    return result;
  } };
  const outcome = await runNodePipeline(pipeline, { args: { task: "Fine-tune X", approve: ["all-under-cap"] }, executor: recording });
  expect(outcome.result?.stoppedReason).toBe("completed");
  writeFileSync(replay, `${lines.join("\n")}\n`);
});

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

function child(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const process_ = spawn(process.execPath, [CHILD, ...args], { cwd: ROOT });
    let stderr = "";
    process_.stderr.on("data", (chunk) => (stderr += chunk));
    process_.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** One crash point: start, killed at write N; resume (or start again, when the kill came before the run existed) until done. */
async function crashAndResume(crashAt: number): Promise<{ result: unknown; provider: string[] }> {
  const dir = join(SCRATCH, `crash-${crashAt}`);
  mkdirSync(dir, { recursive: true });
  const journal = join(dir, "run", "journal.jsonl");
  const files = [join(SCRATCH, "pipeline.json"), replay, join(dir, "provider.log"), join(dir, "result.json")];
  const first = await child(["start", journal, String(crashAt), ...files]);
  if (first.signal !== "SIGKILL") expect(first.code, first.stderr).toBe(0);
  if (!existsSync(files[3])) {
    const started = existsSync(journal) && readFileSync(journal, "utf8").includes('"run-started"');
    const again = await child([started ? "resume" : "start", journal, "0", ...files]);
    expect(again.code, again.stderr).toBe(0);
  }
  const provider = existsSync(files[2]) ? readFileSync(files[2], "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line).key as string) : [];
  return { result: JSON.parse(readFileSync(files[3], "utf8")).result, provider };
}

describe("killed at every journal write", () => {
  test("resumes to the same final state, and no billable call reaches the provider twice", async () => {
    const clean = await crashAndResume(0);
    const writes = (JSON.parse(readFileSync(join(SCRATCH, "crash-0", "result.json"), "utf8")) as { writes: number }).writes;
    expect(writes).toBeGreaterThan(20);
    expect(clean.provider.length).toBeGreaterThan(0);
    const points = Array.from({ length: writes }, (_, index) => index + 1);
    const failures: string[] = [];
    // Two at a time (the machine has two cores); every write index is a crash point.
    for (let index = 0; index < points.length; index += 2) {
      const outcomes = await Promise.all(points.slice(index, index + 2).map(async (crashAt) => ({ crashAt, ...(await crashAndResume(crashAt)) })));
      for (const { crashAt, result, provider } of outcomes) {
        if (JSON.stringify(result) !== JSON.stringify(clean.result)) failures.push(`crash at write ${crashAt}: a different final state`);
        const twice = provider.filter((key, at) => provider.indexOf(key) !== at);
        if (twice.length > 0) failures.push(`crash at write ${crashAt}: ${twice.join(", ")} reached the provider twice`);
      }
    }
    expect(failures).toEqual([]);
  }, 240_000);
});

function specc(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("specc run", () => {
  const runDir = () => join(SCRATCH, "cli-runs");

  test("a completed run exits 0 with its report; the same task again is refused (a journal is never overwritten)", () => {
    rmSync(runDir(), { recursive: true, force: true });
    const first = specc(["run", "specs/ml-research.md", "--task", "Fine-tune X", "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^ml-research run ml-research-[0-9a-f]{14}: completed \(completed\)$/m);
    expect(first.stdout).toMatch(/full-job +done +attempts 1 +spend \$4\.00/);
    expect(first.stderr).toMatch(/^\[13\/13\] final-verification: done, spend \$4\.20 of \$10\.00$/m);
    const again = specc(["run", "specs/ml-research.md", "--task", "Fine-tune X", "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^specc: error: SPR108 journal exists, a journal is never overwritten/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });

  test("an interactive run stops for each approval with exit 3 and the exact command that goes on; that command completes it from the journal", () => {
    rmSync(runDir(), { recursive: true, force: true });
    let result = specc(["run", "specs/ml-research.md", "--task", "Fine-tune X", "--param", "mode=interactive", "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    const commands: string[] = [];
    for (let round = 0; round < 4 && result.code === 3; round++) {
      const next = /^next: specc run (.*)$/m.exec(result.stderr)?.[1];
      expect(next, result.stderr).toBeDefined();
      commands.push(next!);
      const argv = next!.split(" ").map((word) => word.replace(/^'|'$/g, ""));
      result = specc(["run", ...argv, "--executor", `replay:${replay}`]);
    }
    expect(result.code, result.stderr).toBe(0);
    expect(commands.map((command) => command.replace(/^.*--run-dir \S+ /, ""))).toEqual(["--approve gpu-preflight", "--approve full-job"]);
    expect(result.stdout).toMatch(/ml-research-intake-and-planning: 1 call \(1 from the journal\)/);
  });

  test("--json writes one event a line and the report last", () => {
    rmSync(runDir(), { recursive: true, force: true });
    const result = specc(["run", "specs/ml-research.md", "--task", "Fine-tune Y", "--json", "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string });
    expect(events[0].type).toBe("run-started");
    expect(events.at(-1)).toMatchObject({ type: "report", report: { status: "completed", steps: expect.any(Array) } });
    expect(events.filter((event) => event.type === "step-finished")).toHaveLength(13);
  });

  test("--step pauses after a step (exit 0, status=continue in --outcome); resumed to the end it ends as one run does", () => {
    rmSync(runDir(), { recursive: true, force: true });
    const outcome = join(SCRATCH, "outcome.txt");
    rmSync(outcome, { force: true });
    const first = specc(["run", "specs/ml-research.md", "--task", "Fine-tune Z", "--step", "intake-and-planning", "--outcome", outcome, "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    expect(first.code, first.stderr).toBe(0);
    const run = /^run=(\S+)$/m.exec(readFileSync(outcome, "utf8"))?.[1];
    expect(readFileSync(outcome, "utf8")).toBe(`status=continue\nreason=paused\nstep=intake-and-planning\nrun=${run}\n`);
    for (const step of ["research", "verify-research"]) expect(specc(["run", "specs/ml-research.md", "--resume", run!, "--step", step, "--executor", `replay:${replay}`, "--run-dir", runDir()]).code).toBe(0);
    const rest = specc(["run", "specs/ml-research.md", "--resume", run!, "--outcome", outcome, "--executor", `replay:${replay}`, "--run-dir", runDir()]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(readFileSync(outcome, "utf8").split("\n").slice(-5, -1)).toEqual(["status=completed", "reason=completed", "step=", `run=${run}`]);
    expect(rest.stdout).toMatch(/ml-research-verify-research: 1 call \(1 from the journal\)/);
    expect(specc(["run", "specs/ml-research.md", "--task", "x", "--step", "no-such-step", "--executor", `replay:${replay}`, "--run-dir", runDir()]).stderr).toMatch(/no step `no-such-step` in ml-research/);
  });

  test("without the Agent SDK installed, the default executor stops the run at its first call with the install command, exit 2", () => {
    rmSync(runDir(), { recursive: true, force: true });
    const result = specc(["run", "specs/ml-research.md", "--task", "Fine-tune W", "--run-dir", runDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/interrupted: the claude-agent-sdk executor needs @anthropic-ai\/claude-agent-sdk; install it with `npm install @anthropic-ai\/claude-agent-sdk@0\.3\.332`/);
    expect(result.stderr).not.toMatch(/dynamic import callback/);
  });

  test("bad invocations are one line and exit 2", () => {
    expect(specc(["run", "specs/ml-research.md", "--executor", `replay:${replay}`]).stderr).toMatch(/^specc: error: SPR402 missing --task/);
    expect(specc(["run", "specs/ml-research.md", "--task", "x", "--param", "colour=blue", "--executor", `replay:${replay}`]).stderr).toMatch(/unknown parameter `colour`/);
    expect(specc(["run", "specs/ml-research.md", "--task", "x", "--executor", "teleport"]).stderr).toMatch(/unknown executor `teleport`/);
    expect(specc(["run", "specs/ml-research.md", "--resume", "no-such-run", "--run-dir", runDir(), "--executor", `replay:${replay}`])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^specc: error: SPR103 journal not found/) });
  });
});

describe("executors that cannot bill", () => {
  test("a billable call through an executor that cannot report its cost is refused before it runs", async () => {
    const executor = { ...standInExecutor(pipeline, (info) => cooperativeAnswer(info)), capabilities: { read: true, write: true, bill: false, reportsCost: false } };
    const outcome = await runNodePipeline(pipeline, { args: { task: "Fine-tune X", approve: ["all-under-cap"] }, executor });
    expect(outcome.interrupt).toMatchObject({ kind: "executor-cannot-bill", agent: "ml-research-gpu-preflight" });
    expect(executor.calls).not.toContain("ml-research-gpu-preflight");
  });
});
