/**
 * Executor that runs a step as a Claude agent through
 * `@anthropic-ai/claude-agent-sdk`'s `query()`.
 *
 * The SDK is an optional peer dependency, so it is imported lazily and only
 * when no `query` is injected; tests always inject one (calling the real
 * `query()` spawns the Claude Code binary and talks to the API).
 */
import { RuntimeError } from "../errors.js";
import { stepAbortedError, type Executor, type StepRequest, type StepResult } from "./executor.js";

/** The loose shape of an SDK message; we only read `type: "result"` ones. */
export interface SdkMessage {
  type: string;
  subtype?: string;
  [field: string]: unknown;
}

/** The part of the SDK's `query()` we use. */
export type QueryFn = (params: { prompt: string; options?: Record<string, unknown> }) => AsyncIterable<SdkMessage>;

/** Options for {@link createAgentSdkExecutor}. */
export interface AgentSdkExecutorOptions {
  /** Injected `query()`; when absent the SDK is imported on first use. */
  query?: QueryFn;
  /** Base SDK `Options`; per-step fields (cwd, agent, outputFormat, abortController) win. */
  options?: Record<string, unknown>;
  /** Turn cap per step (default 50) so a confused agent cannot loop forever. */
  maxTurns?: number;
  /** Module loader, injectable to test the "SDK not installed" path. */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** Name of the optional peer dependency. */
export const AGENT_SDK_PACKAGE = "@anthropic-ai/claude-agent-sdk";
/** The version specc is tested against (matches package.json peerDependencies). */
export const AGENT_SDK_VERSION = "0.3.332";
const DEFAULT_MAX_TURNS = 50;

/** Create the Claude Agent SDK executor. */
export function createAgentSdkExecutor(config: AgentSdkExecutorOptions = {}): Executor {
  let query = config.query;
  return {
    name: "claude-agent-sdk",
    // The agent's own tokens are reported (`total_cost_usd`), not what the jobs it starts cost: it
    // runs the reading and writing steps; billable steps stay in Claude Code, behind its spend guard.
    capabilities: { read: true, write: true, bill: false, reportsCost: false },
    async run(request, opts) {
      const prompt = request.prompt;
      if (prompt === undefined) {
        throw new RuntimeError("SPR205", `agent step \`${request.step}\` has no prompt`, {
          hint: "give the step a prompt, or run it with the shell executor",
        });
      }
      query ??= await loadSdkQuery(config.importModule ?? ((specifier) => import(specifier)));
      return runAgent(query, { ...request, prompt }, { config, signal: opts.signal });
    },
  };
}

/** Import the SDK and return its `query`, or explain how to install it. */
async function loadSdkQuery(importModule: (specifier: string) => Promise<unknown>): Promise<QueryFn> {
  let module: unknown;
  try {
    // A variable specifier keeps tsc from needing the SDK's types when it is not installed.
    const specifier: string = AGENT_SDK_PACKAGE;
    module = await importModule(specifier);
  } catch (cause) {
    throw sdkLoadError(cause);
  }
  const query = (module as { query?: unknown }).query;
  if (typeof query !== "function") {
    throw new RuntimeError("SPR201", `${AGENT_SDK_PACKAGE} does not export query()`, {
      hint: `reinstall it with \`npm install ${AGENT_SDK_PACKAGE}@${AGENT_SDK_VERSION}\``,
    });
  }
  return query as QueryFn;
}

function sdkLoadError(cause: unknown): RuntimeError {
  const code = (cause as { code?: unknown } | null)?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  // Only a missing SDK itself means "not installed"; a missing transitive dependency is a broken install.
  // Bundlers and test runners (vite: "Could not resolve …") report it without Node's error code.
  const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || /cannot find|could not resolve/i.test(detail);
  // Match the quoted name: a transitive failure mentions the SDK only in an unquoted "imported from" path.
  const missing = notFound && (detail.includes(`'${AGENT_SDK_PACKAGE}'`) || detail.includes(`"${AGENT_SDK_PACKAGE}"`));
  const install = `npm install ${AGENT_SDK_PACKAGE}@${AGENT_SDK_VERSION}`;
  return missing
    ? new RuntimeError("SPR201", `the claude-agent-sdk executor needs ${AGENT_SDK_PACKAGE}; install it with \`${install}\``, {
        cause,
        hint: "it is an optional peer dependency of specc; the replay and shell executors work without it",
      })
    : new RuntimeError("SPR201", `could not load ${AGENT_SDK_PACKAGE}: ${firstLine(detail)}`, {
        cause,
        hint: `reinstall it with \`${install}\``,
      });
}

const TIMEOUT = Symbol("timeout");

async function runAgent(
  query: QueryFn,
  request: StepRequest & { prompt: string },
  context: { config: AgentSdkExecutorOptions; signal: AbortSignal | undefined },
): Promise<StepResult> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(context.signal?.reason);
  if (context.signal?.aborted) throw stepAbortedError(request.step);
  context.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    request.timeoutSeconds === undefined ? undefined : setTimeout(() => controller.abort(TIMEOUT), request.timeoutSeconds * 1000);
  try {
    const messages = query({ prompt: request.prompt, options: sdkOptions(request, context.config, controller) });
    return toStepResult(await lastResultMessage(messages, controller.signal), request);
  } catch (error) {
    if (controller.signal.reason === TIMEOUT) {
      return { status: "timeout", costUsd: 0, text: `agent step timed out after ${request.timeoutSeconds}s` };
    }
    if (controller.signal.aborted) throw stepAbortedError(request.step);
    // The SDK failed before giving a result (spawn error, crash): a step error for the taxonomy.
    const detail = error instanceof Error ? error.message : String(error);
    return { status: "error", costUsd: 0, text: firstLine(detail), logTail: detail };
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener("abort", onAbort);
  }
}

function sdkOptions(request: StepRequest, config: AgentSdkExecutorOptions, controller: AbortController): Record<string, unknown> {
  return {
    // Explicit: omitting settingSources loads the user's own settings too, which makes runs unreproducible.
    settingSources: ["project"],
    maxTurns: config.maxTurns ?? DEFAULT_MAX_TURNS,
    ...config.options,
    ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    ...(request.agentType === undefined ? {} : { agent: request.agentType }),
    ...(request.schema === undefined ? {} : { outputFormat: { type: "json_schema", schema: request.schema } }),
    abortController: controller,
  };
}

/**
 * Drain the stream and keep the last `result` message. The race against the
 * abort signal matters: a stream that ignores its abortController must not
 * hang a timed-out step.
 */
async function lastResultMessage(messages: AsyncIterable<SdkMessage>, signal: AbortSignal): Promise<SdkMessage | undefined> {
  const iterator = messages[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
  });
  let last: SdkMessage | undefined;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return last;
      if (next.value.type === "result") last = next.value;
    }
  } finally {
    // Closing the generator is how the SDK's Query stops its child process.
    if (signal.aborted) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

function toStepResult(result: SdkMessage | undefined, request: StepRequest): StepResult {
  if (result === undefined) {
    return { status: "error", costUsd: 0, text: "the agent ended without a result message" };
  }
  const costUsd = typeof result.total_cost_usd === "number" ? result.total_cost_usd : 0;
  const text = typeof result.result === "string" ? result.result : undefined;
  if (result.subtype === "success" && result.is_error !== true) {
    if (request.schema !== undefined && result.structured_output === undefined) {
      return { status: "error", costUsd, text: "the agent returned no structured output for the step's schema", logTail: text };
    }
    return { status: "ok", costUsd, output: result.structured_output, ...(text === undefined ? {} : { text }) };
  }
  // Keep the subtype (e.g. error_max_budget_usd) in the log tail: the failure taxonomy keys on it.
  const errors = Array.isArray(result.errors) ? result.errors.map(String) : [];
  const detail = errors.length > 0 ? errors.join("; ") : (text ?? "no error details");
  return { status: "error", costUsd, text: `${result.subtype ?? "error"}: ${detail}`, logTail: [result.subtype, ...errors, text].filter(Boolean).join("\n") };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!;
}
