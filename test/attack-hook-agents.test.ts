// The spend guard knows the workflow's agents: only the steps that run billable work behind the
// workflow's approvals and ledger may submit a job. An agent told "not in this step" is held to it.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { readSpec } from "../compiler/read-spec.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

let dir = "";
let hook = "";
beforeAll(async () => {
  const spec = "specs/ml-research.md";
  const result = await compile(readSpec(join(ROOT, spec), { displayPath: spec }), { target: TARGETS["claude-code"], sourcePath: spec, speccVersion: "test" });
  const file = result.files.find((candidate) => candidate.path.endsWith("spend-guard.mjs"))!;
  dir = mkdtempSync(join(tmpdir(), "specc-hook-agents-"));
  hook = join(dir, file.path);
  mkdirSync(dirname(hook), { recursive: true });
  writeFileSync(hook, file.content);
  chmodSync(hook, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const JOB = "hf jobs uv run --flavor t4-small --timeout 30m https://example.org/train.py";

function run(agentType: string | null) {
  const input = {
    session_id: "7a1c0000-1111-4222-8333-944455556666",
    transcript_path: "/tmp/t.jsonl",
    cwd: dir,
    permission_mode: "acceptEdits",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: JOB },
    tool_use_id: "toolu_01",
    ...(agentType ? { agent_id: "a1", agent_type: agentType } : {}),
  };
  const result = spawnSync(process.execPath, [hook], { input: JSON.stringify(input), env: { PATH: process.env.PATH ?? "", HOME: dir, CLAUDE_PROJECT_DIR: dir }, encoding: "utf8" });
  return { code: result.status, stderr: result.stderr };
}

test("the implement agent, told the preflight is not its step, cannot submit a job", () => {
  const blocked = run("ml-research-implement");
  expect(blocked.code).toBe(2);
  expect(blocked.stderr).toMatch(/agent `ml-research-implement` submits a billable job, but its step does not spend/);
  expect(blocked.stderr).toContain("`ml-research-gpu-preflight`");
});

test("nor can a fixer, the monitor, a critic or the code reviewer", () => {
  for (const agent of ["ml-research-gpu-preflight-fixer", "ml-research-full-job-monitor", "ml-research-full-job-fixer", "ml-research-code-review", "ml-research-cpu-smoke-test"]) {
    expect(run(agent).code, agent).toBe(2);
  }
});

test("the preflight worker and the job submitter can, within the cap; the user's own session too", () => {
  expect(run("ml-research-gpu-preflight").code).toBe(0);
  expect(run("ml-research-full-job").code).toBe(0);
  expect(run(null).code).toBe(0);
});
