/**
 * Shell executor: runs a step's argv as a local process.
 *
 * The command is an argv array passed to `spawn` with `shell: false`, so spec
 * text can never be interpreted by a shell. The tail of combined
 * stdout/stderr is kept for the failure taxonomy (OOM, CUDA errors, …).
 */
import { spawn as nodeSpawn, type ChildProcess } from "node:child_process";
import { RuntimeError } from "../errors.js";
import { stepAbortedError, type Executor, type StepRequest, type StepResult } from "./executor.js";

/** Options for {@link createShellExecutor}. */
export interface ShellExecutorOptions {
  /** Injected `child_process.spawn` (tests, sandboxes). */
  spawn?: typeof nodeSpawn;
  /** How much of the end of the combined output to keep (default 64 KiB). */
  logTailBytes?: number;
  /** Delay between SIGTERM and SIGKILL when stopping a step (default 2000 ms). */
  killGraceMs?: number;
  /** Environment for the child; inherits ours when absent. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TAIL_BYTES = 64 * 1024;
const DEFAULT_GRACE_MS = 2000;
/** After `exit`, how long to wait for stdio to close (a daemonised grandchild may hold it open). */
const DRAIN_MS = 1000;
/** Process groups let us kill grandchildren too; Windows has no POSIX groups. */
const USE_PROCESS_GROUP = process.platform !== "win32";

/** Create the local-process executor. Cost is always 0. */
export function createShellExecutor(config: ShellExecutorOptions = {}): Executor {
  return {
    name: "shell",
    // Runs local commands; a billable command's cost is not something it can see.
    capabilities: { read: true, write: true, bill: false, reportsCost: false },
    async run(request, opts) {
      const argv = request.command;
      if (argv === undefined || argv.length === 0) {
        throw new RuntimeError("SPR205", `shell step \`${request.step}\` has no command`, {
          hint: "give the step a command as an argv list, e.g. [\"python\", \"train.py\"]",
        });
      }
      if (opts.signal?.aborted) throw stepAbortedError(request.step);
      return runProcess(argv, request, { config, signal: opts.signal });
    },
  };
}

type Ending = "timeout" | "abort" | undefined;

function runProcess(
  argv: string[],
  request: StepRequest,
  context: { config: ShellExecutorOptions; signal: AbortSignal | undefined },
): Promise<StepResult> {
  const { config, signal } = context;
  const spawn = config.spawn ?? nodeSpawn;
  const tail = createTailBuffer(config.logTailBytes ?? DEFAULT_TAIL_BYTES);
  return new Promise<StepResult>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      cwd: request.cwd,
      env: config.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: USE_PROCESS_GROUP,
    });
    let ending: Ending;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = (why: Exclude<Ending, undefined>) => {
      if (ending !== undefined) return;
      ending = why;
      killTree(child, "SIGTERM");
      timers.push(setTimeout(() => killTree(child, "SIGKILL"), config.killGraceMs ?? DEFAULT_GRACE_MS));
    };
    const onAbort = () => stop("abort");
    const finish = (result: StepResult | RuntimeError) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      signal?.removeEventListener("abort", onAbort);
      if (result instanceof RuntimeError) reject(result);
      else resolve(result);
    };

    child.stdout?.on("data", tail.push);
    child.stderr?.on("data", tail.push);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (request.timeoutSeconds !== undefined) timers.push(setTimeout(() => stop("timeout"), request.timeoutSeconds * 1000));

    child.on("error", (error) => {
      finish({ status: "error", costUsd: 0, text: `could not start \`${argv[0]}\`: ${error.message}`, logTail: tail.text() });
    });
    const onDone = (code: number | null, exitSignal: NodeJS.Signals | null) => {
      if (ending === "abort") return finish(stepAbortedError(request.step));
      finish(processResult({ code, exitSignal, ending, logTail: tail.text(), timeoutSeconds: request.timeoutSeconds }));
    };
    child.on("close", onDone);
    child.on("exit", (code, exitSignal) => {
      timers.push(setTimeout(() => onDone(code, exitSignal), DRAIN_MS).unref());
    });
  });
}

function processResult(done: {
  code: number | null;
  exitSignal: NodeJS.Signals | null;
  ending: Ending;
  logTail: string;
  timeoutSeconds: number | undefined;
}): StepResult {
  const exit = done.code === null ? {} : { exitCode: done.code };
  if (done.ending === "timeout") {
    return { status: "timeout", costUsd: 0, text: `timed out after ${done.timeoutSeconds}s`, logTail: done.logTail, ...exit };
  }
  if (done.code === 0) return { status: "ok", costUsd: 0, text: "exited with code 0", logTail: done.logTail, exitCode: 0 };
  // A signal we did not send (e.g. the kernel OOM killer's SIGKILL) is worth naming for the taxonomy.
  const text = done.code === null ? `killed by ${done.exitSignal}` : `exited with code ${done.code}`;
  return { status: "error", costUsd: 0, text, logTail: done.logTail, ...exit };
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid = the whole group, so a wrapper's children die with it.
    if (USE_PROCESS_GROUP) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

/** Keeps only the last `limit` bytes of everything pushed into it. */
function createTailBuffer(limit: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    push: (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      chunks.push(buffer);
      kept += buffer.length;
      while (chunks.length > 1 && kept - chunks[0]!.length >= limit) {
        const first = chunks.shift()!;
        kept -= first.length;
        dropped += first.length;
      }
    },
    text: (): string => {
      const all = Buffer.concat(chunks);
      const cut = Math.max(0, all.length - limit);
      const body = all.subarray(cut).toString("utf8");
      const total = dropped + cut;
      return total > 0 ? `[… ${total} earlier bytes dropped]\n${body}` : body;
    },
  };
}
