// The hook program's input and output: read the PreToolUse JSON from stdin (to EOF, bounded in size
// and in wait), decide, reserve allowed jobs in the ledger under a lock, and answer with an exit
// code: 0 lets the call run, 2 blocks it with stderr as the reason. Every failure is a block.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { posix } from "node:path";
import process from "node:process";
import { hookDecide, type HookConfig, type HookFileRead, type HookInput } from "./decide.js";
import { hookFormatLedger, hookParseLedger, hookProjectTotal, hookReserveJobs, hookRunId } from "./ledger.js";

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

/** Decide one hook call from its stdin text; returns the exit code and the reason for a block. */
export function hookRun(text: string, config: HookConfig): { code: 0 | 2; message: string } {
  let input: HookInput;
  try {
    input = JSON.parse(text) as HookInput;
  } catch {
    return { code: 2, message: "failed closed: the hook input is not JSON" };
  }
  const projectDir = posix.resolve(process.env.CLAUDE_PROJECT_DIR || (typeof input?.cwd === "string" ? input.cwd : process.cwd()));
  const cwd = typeof input?.cwd === "string" && input.cwd.startsWith("/") ? posix.resolve(input.cwd) : projectDir;
  const decision = hookDecide(input, config, { projectDir, cwd, home: process.env.HOME || null, readFile: hookReadScript });
  if (decision.action === "block") return { code: 2, message: `blocked: ${decision.reason}` };
  if (decision.action === "allow") return { code: 0, message: "" };
  const run = hookRunId(process.env[config.runEnv], input.session_id);
  if (!run.ok) return { code: 2, message: `blocked: ${run.reason}` };
  const cap = hookCap(config);
  const capHelp = `The cap is the one compiled into this guard, or ${config.capEnv} in the environment that starts Claude Code; only a human raises it.`;
  const ledgerFile = posix.resolve(projectDir, config.ledgerPath);
  return hookLocked(ledgerFile, () => {
    const file = hookParseLedger(hookReadLedgerText(ledgerFile));
    const result = hookReserveJobs(file, run.runId, decision.jobs, cap, capHelp);
    if (!result.ok) {
      const total = hookProjectTotal(file);
      return { code: 2 as const, message: `blocked: ${result.reason} (run ${run.runId}; all runs of this project have committed $${total.toFixed(2)})` };
    }
    const temporary = `${ledgerFile}.${process.pid}.tmp`;
    writeFileSync(temporary, hookFormatLedger(result.file));
    renameSync(temporary, ledgerFile);
    return { code: 0 as const, message: "" };
  });
}

/** The hook process: stdin in, exit code out; nothing escapes as an exit code other than 0 or 2. */
export function hookMain(config: HookConfig): void {
  process.exitCode = 2;
  const fail = (error: unknown): void => {
    const message = String(error !== null && typeof error === "object" && "message" in error ? (error as { message: unknown }).message : error);
    process.stderr.write(`specc spend guard: failed closed: ${message.replace(/\s+/g, " ")}\n`);
    process.exitCode = 2;
  };
  process.on("uncaughtException", (error) => {
    fail(error);
    process.exit(2);
  });
  hookReadAll(process.stdin, HOOK_STDIN_LIMIT, HOOK_STDIN_WAIT_MS).then(
    (text) => {
      try {
        const result = hookRun(text, config);
        if (result.code !== 0) process.stderr.write(`specc spend guard: ${result.message.replace(/\s+/g, " ")}\n`);
        process.exitCode = result.code;
      } catch (error) {
        fail(error);
      }
      process.stdin.destroy();
    },
    (error) => {
      fail(error);
      process.exit(2);
    },
  );
}
