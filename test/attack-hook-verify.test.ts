// The spend guard settles reservations only with the provider's own record. The hook is compiled
// from the canonical spec and run as a real process on real hook JSON (PreToolUse, PostToolUse,
// Stop, SessionEnd); the provider is a local HTTP server standing in for the HF Jobs API
// (HF_ENDPOINT points the hook at it, as it points huggingface_hub). Each attack is an output or a
// record an agent could arrange so that a reservation settles low and frees the cap: none may.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { compile } from "../compiler/compile.js";
import { readSpec } from "../compiler/read-spec.js";
import { providerJobRecord, verifiedJobCost } from "../runtime/core/job-cost.js";
import { hookJobRefs } from "../runtime/hook/verify.js";
import { guardConfig } from "../targets/claude-code/hook.js";
import { TARGETS } from "../targets/index.js";
import { ROOT } from "./helpers/paths.js";

let dir = "";
let hook = "";
let server: Server;
let endpoint = "";
const records = new Map<string, unknown>();
const requests: { path: string; auth: string | undefined }[] = [];
let failing = false;

const SESSION = "7d1c2b3a-0000-4000-8000-000000000001";
const ID = (n: number): string => n.toString(16).padStart(24, "a");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "specc-hook-verify-"));
  const result = await compile(readSpec(join(ROOT, "specs/ml-research.md"), { displayPath: "specs/ml-research.md" }), {
    target: TARGETS["claude-code"],
    sourcePath: "specs/ml-research.md",
    speccVersion: "test",
  });
  const file = result.files.find((candidate) => candidate.path.endsWith("-spend-guard.mjs"))!;
  hook = join(dir, file.path);
  mkdirSync(dirname(hook), { recursive: true });
  writeFileSync(hook, file.content);
  chmodSync(hook, 0o755);
  server = createServer((request, response) => {
    requests.push({ path: request.url ?? "", auth: request.headers.authorization });
    const match = /^\/api\/jobs\/([^/]+)\/([^/?]+)$/.exec(request.url ?? "");
    if (failing) return void response.writeHead(500).end("down");
    if (request.url === "/api/whoami-v2") return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "alice" }));
    if (match && records.has(`${match[1]}/${match[2]}`)) return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(records.get(`${match[1]}/${match[2]}`)));
    response.writeHead(404).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  rmSync(join(dir, ".specc"), { recursive: true, force: true });
  records.clear();
  requests.length = 0;
  failing = false;
});

/** Run the hook as Claude Code does: one process, the event's JSON on stdin. */
function hookProcess(event: { [key: string]: unknown }, env: { [key: string]: string } = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [hook], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, CLAUDE_PROJECT_DIR: dir, HF_TOKEN: "hf_test_token_for_the_stand_in", HF_ENDPOINT: endpoint, ...env },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stderr }));
    child.stdin.end(JSON.stringify({ session_id: SESSION, cwd: dir, permission_mode: "acceptEdits", ...event }));
  });
}

const pre = (command: string, call: string, env?: { [key: string]: string }) =>
  hookProcess({ hook_event_name: "PreToolUse", tool_name: "Bash", tool_input: { command }, tool_use_id: call }, env);
const post = (command: string, call: string, stdout: string, env?: { [key: string]: string }) =>
  hookProcess({ hook_event_name: "PostToolUse", tool_name: "Bash", tool_input: { command }, tool_use_id: call, tool_response: { stdout, stderr: "", interrupted: false } }, env);
const stop = (env?: { [key: string]: string }) => hookProcess({ hook_event_name: "Stop", stop_hook_active: false, background_tasks: [] }, env);

function ledger() {
  const file = join(dir, ".specc", "spend.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).runs[`session-${SESSION}`] : null;
}

/** A job record as the HF Jobs API returns it (`ApiJob`), created now. */
function record(id: string, options: { flavor: string; minutes: number | null; stage?: string; createdMinutesAgo?: number }): unknown {
  const created = Date.now() - (options.createdMinutesAgo ?? 0) * 60_000;
  return {
    type: "job",
    id,
    flavor: options.flavor,
    status: { stage: options.stage ?? (options.minutes === null ? "RUNNING" : "COMPLETED"), message: null, failureCount: 0 },
    createdAt: new Date(created).toISOString(),
    startedAt: new Date(created + 30_000).toISOString(),
    finishedAt: options.minutes === null ? null : new Date(created + 30_000 + options.minutes * 60_000).toISOString(),
  };
}

const SUBMIT = "hf jobs uv run --flavor l40sx1 --timeout 2h train.py";
const started = (id: string) => `Job started with ID: ${id}\nView at: https://huggingface.co/jobs/alice/${id}\n`;

describe("settling with the provider's record", () => {
  test("the published run's job: reserved at its 2 h worst case (3.60 USD), settled at 59 billed minutes on one L40S (1.77 USD) at the stop", async () => {
    expect((await pre(SUBMIT, "toolu_1")).code).toBe(0);
    expect(ledger().reserved).toEqual({ "job-1": 3.6 });
    expect((await post(SUBMIT, "toolu_1", started(ID(1)))).code).toBe(0);
    expect(ledger().jobs["job-1"].job).toEqual({ namespace: "alice", id: ID(1) });
    records.set(`alice/${ID(1)}`, record(ID(1), { flavor: "l40sx1", minutes: 58.5 }));
    const result = await stop();
    expect(result.code).toBe(0);
    expect(ledger()).toMatchObject({ reserved: {}, settled: { "job-1": 1.77 }, how: { "job-1": "verified" } });
    expect(requests).toEqual([{ path: `/api/jobs/alice/${ID(1)}`, auth: "Bearer hf_test_token_for_the_stand_in" }]);
  });

  test("over the cap on reservations, a finished job's recorded cost frees room for the next submission", async () => {
    expect((await pre("hf jobs uv run --flavor a100-large --timeout 3h train.py", "toolu_a")).code).toBe(0); // 7.50 reserved of 10
    expect((await post("hf jobs uv run --flavor a100-large --timeout 3h train.py", "toolu_a", started(ID(2)))).code).toBe(0);
    records.set(`alice/${ID(2)}`, record(ID(2), { flavor: "a100-large", minutes: 20 })); // 0.83 USD
    const next = await pre(SUBMIT, "toolu_b"); // 3.60 more: over 10 on reservations, under on the record
    expect(next).toEqual({ code: 0, stderr: "" });
    expect(ledger()).toMatchObject({ reserved: { "job-2": 3.6 }, settled: { "job-1": 0.833333 }, how: { "job-1": "verified" } });
  });

  test("a job named only by its id is looked up in the user's namespace (whoami)", async () => {
    await pre(SUBMIT, "toolu_1");
    await post(SUBMIT, "toolu_1", `Job started with ID: ${ID(3)}\n`);
    records.set(`alice/${ID(3)}`, record(ID(3), { flavor: "l40sx1", minutes: 10 }));
    await stop();
    expect(ledger().settled).toEqual({ "job-1": 0.3 });
    expect(requests.map((request) => request.path)).toEqual(["/api/whoami-v2", `/api/jobs/alice/${ID(3)}`]);
  });
});

describe("attacks on the settlement: every reservation stays at its worst case", () => {
  test("the submit is followed by an echo of an old, cheap job's URL: a compound command's output is not trusted", async () => {
    const command = `${SUBMIT}; echo https://huggingface.co/jobs/alice/${ID(9)}`;
    expect((await pre(command, "toolu_1")).code).toBe(0);
    await post(command, "toolu_1", started(ID(9)));
    records.set(`alice/${ID(9)}`, record(ID(9), { flavor: "l40sx1", minutes: 1 }));
    await stop();
    expect(ledger()).toMatchObject({ reserved: { "job-1": 3.6 }, settled: {} });
    expect(requests).toEqual([]);
  });

  test("the output names a job created before the reservation (an old job of the user's)", async () => {
    await pre(SUBMIT, "toolu_1");
    await post(SUBMIT, "toolu_1", started(ID(4)));
    records.set(`alice/${ID(4)}`, record(ID(4), { flavor: "l40sx1", minutes: 1, createdMinutesAgo: 600 }));
    await stop();
    expect(requests.map((request) => request.path)).toEqual([`/api/jobs/alice/${ID(4)}`]);
    expect(ledger()).toMatchObject({ reserved: { "job-1": 3.6 }, settled: {} });
  });

  test("the record ran on a cheaper flavor than the one priced", async () => {
    await pre(SUBMIT, "toolu_1");
    await post(SUBMIT, "toolu_1", started(ID(5)));
    records.set(`alice/${ID(5)}`, record(ID(5), { flavor: "t4-small", minutes: 59 }));
    await stop();
    expect(requests.map((request) => request.path)).toEqual([`/api/jobs/alice/${ID(5)}`]);
    expect(ledger()).toMatchObject({ reserved: { "job-1": 3.6 }, settled: {} });
  });

  test("two reservations whose outputs name the same job: the second is not attached", async () => {
    await pre(SUBMIT, "toolu_1");
    await post(SUBMIT, "toolu_1", started(ID(6)));
    await pre(SUBMIT, "toolu_2");
    await post(SUBMIT, "toolu_2", started(ID(6)));
    expect(ledger().jobs["job-2"].job).toBeNull();
    records.set(`alice/${ID(6)}`, record(ID(6), { flavor: "l40sx1", minutes: 5 }));
    await stop();
    expect(ledger()).toMatchObject({ reserved: { "job-2": 3.6 }, settled: { "job-1": 0.15 } });
  });

  test("a job still running, a provider that is down, no token: nothing settles, and a stop is never blocked", async () => {
    await pre(SUBMIT, "toolu_1");
    await post(SUBMIT, "toolu_1", started(ID(7)));
    records.set(`alice/${ID(7)}`, record(ID(7), { flavor: "l40sx1", minutes: null }));
    expect((await stop()).code).toBe(0);
    failing = true;
    expect((await stop()).code).toBe(0);
    failing = false;
    records.set(`alice/${ID(7)}`, record(ID(7), { flavor: "l40sx1", minutes: 3 }));
    expect(requests).toHaveLength(2); // the running job, then the provider down
    expect((await stop({ HF_TOKEN: "" })).code).toBe(0);
    expect(requests).toHaveLength(2); // no token: nothing asked
    expect(ledger()).toMatchObject({ reserved: { "job-1": 3.6 }, settled: {} });
    // A ledger that cannot be read fails a stop softly (exit 1), never with the blocking exit 2.
    writeFileSync(join(dir, ".specc", "spend.json"), "{broken");
    expect((await stop()).code).toBe(1);
  });

  test("a job id in the agent's own words (a PostToolUse of another call) attaches to nothing", async () => {
    await pre(SUBMIT, "toolu_1");
    await post("cat notes.txt", "toolu_x", started(ID(8)));
    await post(SUBMIT, "toolu_other", started(ID(8)));
    expect(ledger().jobs["job-1"].job).toBeNull();
  });
});

describe("the pure parts", () => {
  test("billed minutes round up; a job that never started costs nothing; open stages and unknown flavors give no cost", () => {
    const base = { id: "x", flavor: "l40sx1", createdAt: 0, startedAt: 0 };
    expect(verifiedJobCost({ ...base, stage: "COMPLETED", finishedAt: 59 * 60_000 + 1 })).toEqual({ ok: true, usd: 1.8, minutes: 60 });
    expect(verifiedJobCost({ ...base, stage: "CANCELED", startedAt: null, finishedAt: 1 })).toEqual({ ok: true, usd: 0, minutes: 0 });
    expect(verifiedJobCost({ ...base, stage: "RUNNING", finishedAt: null }).ok).toBe(false);
    expect(verifiedJobCost({ ...base, flavor: "quantum-1", stage: "COMPLETED", finishedAt: 1 }).ok).toBe(false);
    expect(verifiedJobCost({ ...base, stage: "COMPLETED", startedAt: 10, finishedAt: 5 }).ok).toBe(false);
    expect(providerJobRecord({ id: "x", flavor: "l40sx1", status: { stage: "COMPLETED" }, createdAt: "not a date" }, Date.parse)).toBeNull();
    expect(providerJobRecord({ id: "x", flavor: "l40sx1" }, Date.parse)).toBeNull();
  });

  test("job references: URLs first, else bare ids, each once", () => {
    const provider = guardConfig({
      pipeline: { name: "x", contract: { costCapUsd: 10 }, steps: [] },
      profile: JSON.parse(readFileSync(join(ROOT, "profiles/hf-skills.json"), "utf8")),
    } as never).provider!;
    expect(hookJobRefs(`a https://huggingface.co/jobs/bob/${ID(1)} b ${ID(2)}`, provider)).toEqual([{ namespace: "bob", id: ID(1) }]);
    expect(hookJobRefs(`ID: ${ID(2)} again ${ID(2)}`, provider)).toEqual([{ namespace: null, id: ID(2) }]);
    expect(hookJobRefs("no job here", provider)).toEqual([]);
  });
});
