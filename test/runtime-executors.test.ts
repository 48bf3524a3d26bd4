import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RuntimeError } from "../runtime/errors.js";
import { createAgentSdkExecutor, type QueryFn, type SdkMessage } from "../runtime/executors/claude-agent-sdk.js";
import { createReplayExecutor, loadReplayFixture } from "../runtime/executors/replay.js";
import { createShellExecutor } from "../runtime/executors/shell.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/replay/${name}`, import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error("expected a rejection");
}

function catchSync(run: () => unknown): RuntimeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error("expected a throw");
}

// ---------------------------------------------------------------------------

describe("replay executor", () => {
  it("returns recorded results, successive attempts from an array", async () => {
    const executor = createReplayExecutor(loadReplayFixture(fixture("pipeline.json")));
    expect(executor.name).toBe("replay");
    const plan = await executor.run({ step: "plan" }, {});
    expect(plan).toMatchObject({ status: "ok", costUsd: 0.12, output: { model: "openai-community/gpt2" } });
    expect(await executor.run({ step: "train" }, {})).toMatchObject({ status: "error", exitCode: 1 });
    expect(await executor.run({ step: "train" }, {})).toMatchObject({ status: "ok", costUsd: 1.77 });
    expect((await executor.run({ step: "report" }, {})).status).toBe("timeout");
    // A single (non-array) result answers every attempt.
    expect(await executor.run({ step: "plan" }, {})).toEqual(plan);
  });

  it("errors clearly on a step with no recorded result", async () => {
    const executor = createReplayExecutor({ steps: {} });
    const error = await rejection(executor.run({ step: "evaluate" }, {}));
    expect(error.code).toBe("SPR202");
    expect(error.message).toBe("replay fixture has no recorded result for step `evaluate`");
    expect(error.hint).toContain('steps["evaluate"]');
  });

  it("errors when more attempts are requested than were recorded", async () => {
    const executor = createReplayExecutor({ steps: { a: [{ status: "error", costUsd: 0 }] } });
    await executor.run({ step: "a" }, {});
    const error = await rejection(executor.run({ step: "a" }, {}));
    expect(error.code).toBe("SPR203");
    expect(error.message).toMatch(/1 recorded attempt\(s\).*attempt 2/);
  });

  it("hands out copies, so callers cannot alter the fixture", async () => {
    const executor = createReplayExecutor({ steps: { a: { status: "ok", output: { n: 1 }, costUsd: 0 } } });
    const first = await executor.run({ step: "a" }, {});
    (first.output as { n: number }).n = 99;
    expect((await executor.run({ step: "a" }, {})).output).toEqual({ n: 1 });
  });

  it("rejects an aborted run", async () => {
    const executor = createReplayExecutor({ steps: { a: { status: "ok", costUsd: 0 } } });
    const error = await rejection(executor.run({ step: "a" }, { signal: AbortSignal.abort() }));
    expect(error.code).toBe("SPR206");
  });

  it("loadReplayFixture reports bad JSON, a bad shape and a missing file as SPR204", () => {
    const bad = catchSync(() => loadReplayFixture(fixture("not-json.json")));
    expect(bad.code).toBe("SPR204");
    expect(bad.message).toMatch(/not-json\.json is not valid JSON/);
    expect(bad.message).not.toContain("\n");
    const malformed = catchSync(() => loadReplayFixture(fixture("malformed.json")));
    expect(malformed.message).toMatch(/`steps\.plan\[1\]` needs `status` ok, error or timeout/);
    expect(catchSync(() => loadReplayFixture(fixture("missing.json"))).code).toBe("SPR204");
  });
});

// ---------------------------------------------------------------------------
// Canned SDK messages, shaped like @anthropic-ai/claude-agent-sdk 0.3.332's SDKMessage.

const init: SdkMessage = { type: "system", subtype: "init", session_id: "s1", model: "claude-sonnet-4-5", tools: ["Read", "Bash"] };
const assistant: SdkMessage = { type: "assistant", session_id: "s1", message: { role: "assistant", content: [{ type: "text", text: "Working." }] } };
const resultBase = {
  type: "result",
  duration_ms: 8123,
  duration_api_ms: 7001,
  num_turns: 3,
  stop_reason: "end_turn",
  usage: { input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  modelUsage: {},
  permission_denials: [],
  uuid: "u1",
  session_id: "s1",
};
const success = (extra: Record<string, unknown> = {}): SdkMessage => ({
  ...resultBase,
  subtype: "success",
  is_error: false,
  result: "Found 3 candidate datasets.",
  total_cost_usd: 0.0421,
  structured_output: { datasets: ["a", "b", "c"] },
  ...extra,
});

function cannedQuery(messages: SdkMessage[]) {
  const calls: { prompt: string; options?: Record<string, unknown> }[] = [];
  const query: QueryFn = (params) => {
    calls.push(params);
    return (async function* () {
      yield* messages;
    })();
  };
  return { query, calls };
}

describe("claude-agent-sdk executor", () => {
  it("maps the last result message to a StepResult and passes the SDK options", async () => {
    const { query, calls } = cannedQuery([init, assistant, success()]);
    const executor = createAgentSdkExecutor({ query, options: { model: "sonnet" }, maxTurns: 12 });
    const schema = { type: "object", properties: { datasets: { type: "array" } } };
    const result = await executor.run({ step: "research", prompt: "Find datasets", schema, cwd: "/w", agentType: "researcher" }, {});
    expect(result).toEqual({ status: "ok", costUsd: 0.0421, output: { datasets: ["a", "b", "c"] }, text: "Found 3 candidate datasets." });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.prompt).toBe("Find datasets");
    expect(calls[0]!.options).toMatchObject({
      settingSources: ["project"],
      maxTurns: 12,
      model: "sonnet",
      cwd: "/w",
      agent: "researcher",
      outputFormat: { type: "json_schema", schema },
    });
    expect(calls[0]!.options!.abortController).toBeInstanceOf(AbortController);
  });

  it("omits outputFormat without a schema and uses the default turn cap", async () => {
    const { query, calls } = cannedQuery([success({ structured_output: undefined })]);
    await createAgentSdkExecutor({ query }).run({ step: "s", prompt: "p" }, {});
    expect(calls[0]!.options).not.toHaveProperty("outputFormat");
    expect(calls[0]!.options).toMatchObject({ maxTurns: 50, settingSources: ["project"] });
  });

  it("uses the LAST result message", async () => {
    const { query } = cannedQuery([success({ total_cost_usd: 0.01, result: "first" }), success({ total_cost_usd: 0.03, result: "second" })]);
    expect(await createAgentSdkExecutor({ query }).run({ step: "s", prompt: "p" }, {})).toMatchObject({ costUsd: 0.03, text: "second" });
  });

  it.each(["error_max_turns", "error_max_budget_usd", "error_during_execution", "error_max_structured_output_retries"])(
    "turns subtype %s into status error with the errors joined",
    async (subtype) => {
      const { query } = cannedQuery([init, { ...resultBase, subtype, is_error: true, total_cost_usd: 0.9, errors: ["first problem", "second problem"] }]);
      const result = await createAgentSdkExecutor({ query }).run({ step: "s", prompt: "p" }, {});
      expect(result).toEqual({
        status: "error",
        costUsd: 0.9,
        text: `${subtype}: first problem; second problem`,
        logTail: `${subtype}\nfirst problem\nsecond problem`,
      });
    },
  );

  it("treats a success subtype flagged is_error as an error", async () => {
    const { query } = cannedQuery([success({ is_error: true, result: "API Error: 529 overloaded", structured_output: undefined })]);
    const result = await createAgentSdkExecutor({ query }).run({ step: "s", prompt: "p" }, {});
    expect(result).toMatchObject({ status: "error", text: "success: API Error: 529 overloaded", costUsd: 0.0421 });
  });

  it("reports a missing structured output when a schema was requested", async () => {
    const { query } = cannedQuery([success({ structured_output: undefined })]);
    const result = await createAgentSdkExecutor({ query }).run({ step: "s", prompt: "p", schema: { type: "object" } }, {});
    expect(result).toMatchObject({ status: "error", costUsd: 0.0421 });
  });

  it("reports a stream without a result message, and a stream that throws", async () => {
    expect(await createAgentSdkExecutor({ query: cannedQuery([init, assistant]).query }).run({ step: "s", prompt: "p" }, {})).toMatchObject({
      status: "error",
      text: "the agent ended without a result message",
      costUsd: 0,
    });
    const throwing: QueryFn = () =>
      (async function* () {
        yield init;
        throw new Error("Claude Code process exited with code 1\nstack...");
      })();
    expect(await createAgentSdkExecutor({ query: throwing }).run({ step: "s", prompt: "p" }, {})).toMatchObject({
      status: "error",
      text: "Claude Code process exited with code 1",
    });
  });

  /** A stream that never ends unless aborted through its abortController (like the real SDK). */
  const hanging = (opts: { honourAbort: boolean }): QueryFn => (params) =>
    (async function* () {
      yield init;
      const controller = params.options!.abortController as AbortController;
      await new Promise((_, reject) => {
        if (opts.honourAbort) controller.signal.addEventListener("abort", () => reject(new Error("Claude Code process aborted by user")));
      });
    })();

  it("times out a step whose agent runs too long, even if the stream ignores abort", async () => {
    for (const honourAbort of [true, false]) {
      const started = Date.now();
      const result = await createAgentSdkExecutor({ query: hanging({ honourAbort }) }).run({ step: "s", prompt: "p", timeoutSeconds: 0.1 }, {});
      expect(result).toMatchObject({ status: "timeout", costUsd: 0 });
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it("rejects with SPR206 when the caller aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(createAgentSdkExecutor({ query: hanging({ honourAbort: true }) }).run({ step: "s", prompt: "p" }, { signal: controller.signal }));
    expect(error.code).toBe("SPR206");
  });

  it("requires a prompt (SPR205)", async () => {
    const error = await rejection(createAgentSdkExecutor({ query: cannedQuery([]).query }).run({ step: "s" }, {}));
    expect(error.code).toBe("SPR205");
  });

  it("explains how to install the SDK when it is missing (SPR201)", async () => {
    const notFound = Object.assign(new Error("Cannot find package '@anthropic-ai/claude-agent-sdk' imported from /x.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const executor = createAgentSdkExecutor({ importModule: async () => Promise.reject(notFound) });
    const error = await rejection(executor.run({ step: "s", prompt: "p" }, {}));
    expect(error.code).toBe("SPR201");
    expect(error.message).toBe(
      "the claude-agent-sdk executor needs @anthropic-ai/claude-agent-sdk; install it with `npm install @anthropic-ai/claude-agent-sdk@0.3.332`",
    );
  });

  it("calls the lazily imported SDK's query()", async () => {
    const { query, calls } = cannedQuery([success()]);
    const requested: string[] = [];
    const executor = createAgentSdkExecutor({
      importModule: async (specifier) => {
        requested.push(specifier);
        return { query };
      },
    });
    await executor.run({ step: "a", prompt: "p" }, {});
    await executor.run({ step: "b", prompt: "p" }, {});
    expect(requested).toEqual(["@anthropic-ai/claude-agent-sdk"]); // imported once
    expect(calls).toHaveLength(2);
  });

  it("does not call a missing transitive dependency 'not installed'", async () => {
    const transitive = Object.assign(
      new Error("Cannot find package '@anthropic-ai/sdk' imported from /app/node_modules/@anthropic-ai/claude-agent-sdk/sdk.mjs"),
      { code: "ERR_MODULE_NOT_FOUND" },
    );
    const error = await rejection(createAgentSdkExecutor({ importModule: async () => Promise.reject(transitive) }).run({ step: "s", prompt: "p" }, {}));
    expect(error.code).toBe("SPR201");
    expect(error.message).toBe("could not load @anthropic-ai/claude-agent-sdk: Cannot find package '@anthropic-ai/sdk' imported from /app/node_modules/@anthropic-ai/claude-agent-sdk/sdk.mjs");
  });

  it("distinguishes a broken SDK install from a missing one", async () => {
    const executor = createAgentSdkExecutor({ importModule: async () => ({ notQuery: 1 }) });
    const error = await rejection(executor.run({ step: "s", prompt: "p" }, {}));
    expect(error.code).toBe("SPR201");
    expect(error.message).toMatch(/does not export query/);
  });

  // Only meaningful while the optional peer is absent; with it installed this would call the real query().
  const sdkInstalled = (() => {
    try {
      createRequire(import.meta.url).resolve("@anthropic-ai/claude-agent-sdk");
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(sdkInstalled)("with the real import, a missing SDK gives SPR201 (not a stack trace)", async () => {
    const error = await rejection(createAgentSdkExecutor().run({ step: "s", prompt: "p" }, {}));
    expect(error.code).toBe("SPR201");
    expect(error.message).toContain("npm install @anthropic-ai/claude-agent-sdk@0.3.332");
  });
});

// ---------------------------------------------------------------------------

/** True once `pid` is gone or a zombie (an orphan may wait for init to reap it). */
async function diesWithin(pid: number, ms: number): Promise<boolean> {
  const alive = () => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
    } catch {
      return false;
    }
  };
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (!alive()) return true;
  }
  return !alive();
}

describe("shell executor", () => {
  const node = process.execPath;
  const shell = createShellExecutor();

  it("runs argv and returns ok with the output tail and exit code", async () => {
    const result = await shell.run({ step: "s", command: [node, "-e", "console.log('hello'); console.error('warn')"] }, {});
    expect(result).toMatchObject({ status: "ok", exitCode: 0, costUsd: 0 });
    expect(result.logTail).toContain("hello");
    expect(result.logTail).toContain("warn");
  });

  it("never goes through a shell: metacharacters arrive literally", async () => {
    const literal = "$(echo injected); `id` | cat > /tmp/x && echo $HOME";
    const result = await shell.run({ step: "s", command: [node, "-e", "process.stdout.write(process.argv[1])", literal] }, {});
    expect(result.logTail).toBe(literal);
  });

  it("reports a non-zero exit as an error with the stderr tail", async () => {
    const result = await shell.run(
      { step: "s", command: [node, "-e", "console.error('CUDA error: out of memory'); process.exit(3)"] },
      {},
    );
    expect(result).toMatchObject({ status: "error", exitCode: 3, text: "exited with code 3" });
    expect(result.logTail).toContain("CUDA error: out of memory");
  });

  it("keeps only the last N bytes of output", async () => {
    const small = createShellExecutor({ logTailBytes: 100 });
    const result = await small.run({ step: "s", command: [node, "-e", "for (let i = 0; i < 2000; i++) console.log('line ' + i)"] }, {});
    expect(result.logTail).toMatch(/^\[… \d+ earlier bytes dropped\]\n/);
    expect(result.logTail!.split("\n").slice(1).join("\n").length).toBeLessThanOrEqual(100);
    expect(result.logTail).toContain("line 1999");
    expect(result.logTail).not.toContain("line 0\n");
  });

  it("kills a step that runs past its timeout", async () => {
    const started = Date.now();
    const result = await shell.run(
      { step: "s", command: [node, "-e", "console.log('started'); setTimeout(() => {}, 30000)"], timeoutSeconds: 0.3 },
      {},
    );
    expect(result).toMatchObject({ status: "timeout", costUsd: 0, text: "timed out after 0.3s" });
    expect(result.logTail).toContain("started");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("escalates to SIGKILL when the process ignores SIGTERM", async () => {
    const stubborn = createShellExecutor({ killGraceMs: 200 });
    const result = await stubborn.run(
      { step: "s", command: [node, "-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], timeoutSeconds: 0.5 },
      {},
    );
    expect(result.status).toBe("timeout");
  });

  it("also kills grandchildren (process group)", async () => {
    const script =
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {stdio: 'inherit'});" +
      "console.log('grandchild=' + c.pid); setTimeout(() => {}, 30000)";
    const result = await shell.run({ step: "s", command: [node, "-e", script], timeoutSeconds: 0.5 }, {});
    expect(result.status).toBe("timeout");
    const pid = Number(/grandchild=(\d+)/.exec(result.logTail ?? "")?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await diesWithin(pid, 2000)).toBe(true);
  });

  it("rejects with SPR206 when aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(shell.run({ step: "s", command: [node, "-e", "setTimeout(() => {}, 30000)"] }, { signal: controller.signal }));
    expect(error.code).toBe("SPR206");
  });

  it("reports a missing program as a step error, and a missing command as SPR205", async () => {
    const result = await shell.run({ step: "s", command: ["specc-no-such-program-xyz"] }, {});
    expect(result).toMatchObject({ status: "error", costUsd: 0 });
    expect(result.text).toMatch(/could not start `specc-no-such-program-xyz`: .*ENOENT/);
    expect((await rejection(shell.run({ step: "s", command: [] }, {}))).code).toBe("SPR205");
  });

  it("uses an injected spawn with shell: false", async () => {
    const seen: unknown[] = [];
    const { spawn } = await import("node:child_process");
    const spy = ((cmd: string, args: string[], options: Record<string, unknown>) => {
      seen.push({ cmd, args, shell: options.shell, cwd: options.cwd });
      return spawn(cmd, args, options);
    }) as unknown as typeof spawn;
    await createShellExecutor({ spawn: spy }).run({ step: "s", command: [node, "-e", "0"], cwd: process.cwd() }, {});
    expect(seen).toEqual([{ cmd: node, args: ["-e", "0"], shell: false, cwd: process.cwd() }]);
  });
});
