// The hook program's input and output: read the PreToolUse JSON from stdin (to EOF, bounded in size
// and in wait), decide, reserve allowed jobs in the ledger under a lock, and answer with an exit
// code: 0 lets the call run, 2 blocks it with stderr as the reason. Every failure is a block.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { posix } from "node:path";
import process from "node:process";
import { hookDecide, hookSubmitArgument, type HookConfig, type HookFileRead, type HookInput } from "./decide.js";
import { hookFormatLedger, hookParseLedger, hookProjectTotal, hookReserveJobs, hookRunId, type HookLedgerFile } from "./ledger.js";
import { hookApplySettlements, hookAttachJobs, hookJobRefs, hookVerifyJobs, type HookProviderAccess, type HookProviderConfig, type HookSettlement } from "./verify.js";

/** The most stdin the hook reads (bytes); more blocks. */
export const HOOK_STDIN_LIMIT = 4 * 1024 * 1024;
/** How long the hook waits for stdin to end (ms) before it blocks; below the settings timeout. */
export const HOOK_STDIN_WAIT_MS = 20_000;
/** The largest local script the hook reads to check what it runs. */
export const HOOK_SCRIPT_LIMIT = 1024 * 1024;

/** Read a stream to its end, as UTF-8; rejects past `limit` bytes or `waitMs`. */
export function hookReadAll(stream: NodeJS.ReadableStream, limit: number, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(() => finish(new Error(`no complete hook input within ${waitMs / 1000} s`)), waitMs);
    stream.on("data", (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limit) finish(new Error(`the hook input is larger than ${limit} bytes`));
      else chunks.push(buffer);
    });
    stream.on("end", () => finish(null));
    stream.on("error", (error: Error) => finish(error));
  });
}

/** Read a local script for the checks (bounded; never follows into special files). */
export function hookReadScript(path: string): HookFileRead {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { unreadable: "not a regular file" };
    if (stat.size > HOOK_SCRIPT_LIMIT) return { unreadable: `larger than ${HOOK_SCRIPT_LIMIT} bytes` };
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === "ENOENT" || code === "ENOTDIR" ? { missing: true } : { unreadable: String(code ?? error) };
  }
}

function hookSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process that wrote a lock is gone (its lock is stale). */
function hookLockStale(lock: string): boolean {
  let text: string;
  try {
    text = readFileSync(lock, "utf8");
  } catch {
    return false;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === "ESRCH";
  }
}

/** Run fn holding an exclusive lock file next to the ledger, so parallel hooks cannot both spend. */
function hookLocked<T>(ledgerFile: string, fn: () => T): T {
  const lock = ledgerFile + ".lock";
  mkdirSync(posix.dirname(ledgerFile), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EEXIST") throw error;
      if (hookLockStale(lock)) {
        try {
          unlinkSync(lock);
        } catch {
          // another hook removed it first
        }
      } else if (attempt >= 200) throw new Error(`the spend ledger is locked by another check (${lock})`);
      else hookSleep(25);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

function hookReadLedgerText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return null;
    throw error;
  }
}

/** The cap for this call: the environment's, else the compiled one. */
function hookCap(config: HookConfig): number {
  const text = process.env[config.capEnv];
  if (text === undefined || text.trim() === "") return config.costCapUsd;
  const cap = Number(text);
  if (!Number.isFinite(cap) || cap < 0) throw new Error(`${config.capEnv}=${JSON.stringify(text.slice(0, 40))} is not a dollar amount`);
  return cap;
}

/** What a hook call needs from outside: the provider (null: none configured or no credentials) and the clock. */
export interface HookDeps {
  provider: HookProviderAccess | null;
  now: number;
}

/** The events the guard answers; a call without a name is a PreToolUse call. */
type HookEvent = "PreToolUse" | "PostToolUse" | "Stop" | "SubagentStop" | "SessionEnd";

/**
 * Handle one hook call from its stdin text; returns the exit code and a message. PreToolUse blocks
 * with 2; the other events never block (a guard that kept Claude Code from stopping would be worse
 * than none) and only settle the ledger.
 */
export async function hookRun(text: string, config: HookConfig, deps: HookDeps): Promise<{ code: 0 | 1 | 2; message: string }> {
  let input: HookInput;
  try {
    input = JSON.parse(text) as HookInput;
  } catch {
    return { code: 2, message: "failed closed: the hook input is not JSON" };
  }
  const event = (typeof input?.hook_event_name === "string" ? input.hook_event_name : "PreToolUse") as HookEvent;
  const projectDir = posix.resolve(process.env.CLAUDE_PROJECT_DIR || (typeof input?.cwd === "string" ? input.cwd : process.cwd()));
  const ledgerFile = posix.resolve(projectDir, config.ledgerPath);
  if (event !== "PreToolUse") {
    try {
      return await hookAfter(event, input, config, deps, { projectDir, ledgerFile });
    } catch (error) {
      return { code: 1, message: `could not settle the ledger: ${String((error as { message?: unknown })?.message ?? error)}` };
    }
  }
  const cwd = typeof input?.cwd === "string" && input.cwd.startsWith("/") ? posix.resolve(input.cwd) : projectDir;
  const decision = hookDecide(input, config, { projectDir, cwd, home: process.env.HOME || null, readFile: hookReadScript });
  if (decision.action === "block") return { code: 2, message: `blocked: ${decision.reason}` };
  if (decision.action === "allow") return { code: 0, message: "" };
  const run = hookRunId(process.env[config.runEnv], input.session_id);
  if (!run.ok) return { code: 2, message: `blocked: ${run.reason}` };
  const cap = hookCap(config);
  const capHelp = `The cap is the one compiled into this guard, or ${config.capEnv} in the environment that starts Claude Code; only a human raises it.`;
  const call = typeof input.tool_use_id === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(input.tool_use_id) ? input.tool_use_id : null;
  const attempt = (): { code: 0 | 2; message: string } =>
    hookLocked(ledgerFile, () => {
      const file = hookParseLedger(hookReadLedgerText(ledgerFile));
      const result = hookReserveJobs(file, run.runId, decision.jobs, cap, capHelp, { now: deps.now, call });
      if (!result.ok) {
        const total = hookProjectTotal(file);
        return { code: 2 as const, message: `blocked: ${result.reason} (run ${run.runId}; all runs of this project have committed $${total.toFixed(2)})` };
      }
      hookWriteLedger(ledgerFile, result.file);
      return { code: 0 as const, message: "" };
    });
  const first = attempt();
  if (first.code === 0 || deps.provider === null) return first;
  // Over the cap on reservations: settle the finished jobs at what the provider says they cost, then try once more.
  const settled = await hookSettle(ledgerFile, run.runId, deps.provider);
  return settled > 0 ? attempt() : first;
}

/** PostToolUse: attach the job a submit printed to its reservation. Stop and SessionEnd: settle the run. */
async function hookAfter(event: HookEvent, input: HookInput, config: HookConfig, deps: HookDeps, where: { projectDir: string; ledgerFile: string }): Promise<{ code: 0 | 1 | 2; message: string }> {
  const run = hookRunId(process.env[config.runEnv], input.session_id);
  if (!run.ok || !config.provider) return { code: 0, message: "" };
  if (event === "PostToolUse") {
    const attached = hookAttachFromOutput(input, config, config.provider, where, run.runId);
    return { code: 0, message: attached };
  }
  if (event !== "Stop" && event !== "SubagentStop" && event !== "SessionEnd") return { code: 0, message: "" };
  if (deps.provider === null) return { code: 0, message: "" };
  const settled = await hookSettle(where.ledgerFile, run.runId, deps.provider);
  return { code: 0, message: settled > 0 ? `settled ${settled} job(s) of run ${run.runId} at the provider's recorded cost` : "" };
}

/** Read the submit call's own output for the job it started; attach it to the call's reservations. */
function hookAttachFromOutput(input: HookInput, config: HookConfig, provider: HookProviderConfig, where: { projectDir: string; ledgerFile: string }, runId: string): string {
  const call = typeof input.tool_use_id === "string" ? input.tool_use_id : null;
  const fields = input.tool_input !== null && typeof input.tool_input === "object" ? (input.tool_input as { [key: string]: unknown }) : null;
  if (input.tool_name !== "Bash" || call === null || typeof fields?.command !== "string") return "";
  // Only a call that is the job command and nothing else: anything around it could print a job id.
  const submit = hookSubmitArgument(fields.command, config, provider.namespaceFlag);
  if (submit === null) return "";
  const refs = hookJobRefs(hookResponseText(input.tool_response), provider);
  if (refs.length === 0) return "";
  return hookLocked(where.ledgerFile, () => {
    const file = hookParseLedger(hookReadLedgerText(where.ledgerFile));
    const result = hookAttachJobs(file, runId, call, refs, submit.namespace);
    if (result.attached > 0) hookWriteLedger(where.ledgerFile, result.file);
    return "";
  });
}

/** The text of a tool's response (Bash gives stdout and stderr). */
function hookResponseText(response: unknown): string {
  if (typeof response === "string") return response;
  if (response === null || typeof response !== "object") return "";
  const fields = response as { [key: string]: unknown };
  return [fields.stdout, fields.stderr, fields.output].filter((part): part is string => typeof part === "string").join("\n");
}

/** Ask the provider about the run's jobs (outside the lock), then apply what it confirmed; returns how many settled. */
async function hookSettle(ledgerFile: string, runId: string, provider: HookProviderAccess): Promise<number> {
  const snapshot = hookLocked(ledgerFile, () => hookParseLedger(hookReadLedgerText(ledgerFile)));
  const settlements: HookSettlement[] = await hookVerifyJobs(snapshot, runId, provider);
  const confirmed = settlements.filter((settlement) => "usd" in settlement);
  if (confirmed.length === 0) return 0;
  hookLocked(ledgerFile, () => hookWriteLedger(ledgerFile, hookApplySettlements(hookParseLedger(hookReadLedgerText(ledgerFile)), runId, confirmed)));
  return confirmed.length;
}

function hookWriteLedger(ledgerFile: string, file: HookLedgerFile): void {
  const temporary = `${ledgerFile}.${process.pid}.tmp`;
  writeFileSync(temporary, hookFormatLedger(file));
  renameSync(temporary, ledgerFile);
}

/**
 * The provider as the hook reaches it: the configured endpoint (or the environment's override),
 * the user's token from the environment or its token file. Without a token nothing is asked and
 * every reservation stands.
 */
export function hookProviderAccess(
  provider: HookProviderConfig | undefined,
  env: { [name: string]: string | undefined },
  fetchFn: typeof fetch | undefined,
  parseTime: (text: string) => number,
): HookProviderAccess | null {
  if (!provider || typeof fetchFn !== "function") return null;
  let token = provider.tokenEnvs.map((name) => env[name]).find((value) => typeof value === "string" && value.trim() !== "")?.trim();
  if (token === undefined && provider.tokenFile !== null && env.HOME) {
    try {
      token = readFileSync(posix.join(env.HOME, provider.tokenFile), "utf8").trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  if (token === undefined) return null;
  const endpoint = (env[provider.endpointEnv] || provider.defaultEndpoint).replace(/\/+$/, "");
  const get = async (path: string): Promise<unknown> => {
    const response = await fetchFn(endpoint + path, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };
  return {
    parseTime,
    record: (namespace, id) => get(provider.recordPath.replace("{namespace}", encodeURIComponent(namespace)).replace("{id}", encodeURIComponent(id))),
    whoami: async () => {
      const data = (await get(provider.whoamiPath)) as { name?: unknown } | null;
      return typeof data?.name === "string" ? data.name : null;
    },
  };
}

/** Whether a failure to handle this input must block: everything but the events after a call or at a stop. */
function hookBlocksOnFailure(text: string): boolean {
  try {
    const event = (JSON.parse(text) as { hook_event_name?: unknown })?.hook_event_name;
    return !["PostToolUse", "Stop", "SubagentStop", "SessionEnd"].includes(event as string);
  } catch {
    return true;
  }
}

/**
 * The hook process: stdin in, exit code out. The clock is passed in by the emitted script: the
 * runtime is inlined into workflow scripts too, where reading the clock is forbidden.
 */
export function hookMain(config: HookConfig, clock: { now: () => number; parse: (text: string) => number }): void {
  process.exitCode = 2;
  // A failure blocks a tool call (2); after the call, or at a stop, it must not block (1).
  let failCode = 2;
  const fail = (error: unknown): void => {
    const message = String(error !== null && typeof error === "object" && "message" in error ? (error as { message: unknown }).message : error);
    process.stderr.write(`specc spend guard: ${failCode === 2 ? "failed closed" : "failed"}: ${message.replace(/\s+/g, " ")}\n`);
    process.exitCode = failCode;
  };
  process.on("uncaughtException", (error) => {
    fail(error);
    process.exit(failCode);
  });
  hookReadAll(process.stdin, HOOK_STDIN_LIMIT, HOOK_STDIN_WAIT_MS).then(
    (text) => {
      process.stdin.destroy();
      failCode = hookBlocksOnFailure(text) ? 2 : 1;
      const deps: HookDeps = { provider: hookProviderAccess(config.provider, process.env, globalThis.fetch, clock.parse), now: clock.now() };
      hookRun(text, config, deps).then(
        (result) => {
          if (result.message !== "") process.stderr.write(`specc spend guard: ${result.message.replace(/\s+/g, " ")}\n`);
          process.exitCode = result.code;
        },
        fail,
      );
    },
    (error) => {
      fail(error);
      process.exit(2);
    },
  );
}
