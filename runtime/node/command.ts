// One run of a pipeline from the command line, shared by `specc run` (which realizes the spec
// first) and a generated `<name>.workflow.mjs` run with node: arguments, the journal (a new run's
// created, never over an old one; a resumed run's args from it, with the approvals given now),
// the executor, the live view, the report and the exit code.
import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stableStringify } from "../core/hash.js";
import { RuntimeError } from "../errors.js";
import { createAgentSdkExecutor } from "../executors/claude-agent-sdk.js";
import type { Executor } from "../executors/executor.js";
import { createReplayExecutor, loadReplayFixture } from "../executors/replay.js";
import { createRunJournal, resumeRunJournal, type Journal } from "../journal.js";
import { startRun } from "../workflow/state.js";
import type { DriverPipeline, RunResult } from "../workflow/types.js";
import { runNodePipeline, type NodeRunEvent, type NodeRunOutcome } from "./run.js";
import { reportText, runView, type ViewIo } from "./view.js";

/** Exit codes of a run: 3 waits for a person (approval, clarification, scope change, reconciliation). */
export const RUN_EXIT = { ok: 0, failed: 1, usage: 2, human: 3 } as const;

/** Stops that wait for a person: the run can go on once they decide. */
const HUMAN_STOPS = ["needs-approval", "needs-clarification", "scope-change-requires-approval"];
/** Stops that mean the invocation itself was wrong. */
const USAGE_STOPS = ["missing-argument", "invalid-argument"];

/** The run flags: one table for `specc run` (its help) and a generated script's own parser. */
export const RUN_FLAGS = {
  task: { type: "string", value: "text", help: "The task (required for a new run)" },
  param: { type: "string", value: "name=value", multiple: true, help: "A declared parameter (also mode=interactive, cost_cap_usd=N)" },
  executor: { type: "string", value: "executor", help: "replay:<file> (a recorded run) or claude-agent-sdk (default; needs @anthropic-ai/claude-agent-sdk)" },
  "run-dir": { type: "string", value: "dir", help: "Where runs are journaled (default: .specc/runs in the project)" },
  resume: { type: "string", value: "run", help: "Resume this run from its journal (its task and params come from the journal)" },
  approve: { type: "string", value: "step", multiple: true, help: "Approve a gated step (or all-under-cap) for this run" },
  "approve-scope": { type: "string", value: "key=value", multiple: true, help: "Allow a change to a protected value the run stopped on" },
  reconcile: { type: "string", value: "key=not-submitted", multiple: true, help: "Record that a billable call cut off by a crash never reached the provider, so it runs again" },
  json: { type: "boolean", help: "Write one JSON event a line to stdout, then the report" },
  step: { type: "string", value: "step", help: "Run up to this step and pause after it (the next call resumes); for one CI job per step" },
  outcome: { type: "string", value: "file", help: "Append status=continue|completed|stopped, reason and step lines to this file (GitHub's $GITHUB_OUTPUT format)" },
  summary: { type: "string", value: "file", help: "Append the report as Markdown to this file ($GITHUB_STEP_SUMMARY)" },
} as const;

/** Parsed run flags. */
export interface RunValues {
  task?: string;
  param?: string[];
  executor?: string;
  "run-dir"?: string;
  resume?: string;
  approve?: string[];
  "approve-scope"?: string[];
  reconcile?: string[];
  json?: boolean;
  step?: string;
  outcome?: string;
  summary?: string;
}

/** Where a run writes and how it is resumed. */
export interface RunIo extends ViewIo {
  /** Whether stderr is a terminal (the live view redraws in place). */
  tty?: boolean;
}

export interface RunContext {
  io: RunIo;
  cwd: string;
  /** Where runs are journaled (absolute). */
  runDir: string;
  /** How this run is started, for the printed resume commands (`specc run specs/x.md`). */
  command: string;
}

/** Run the pipeline with these flags; returns the exit code. Bad arguments throw a RuntimeError (SPR402). */
export async function runPipelineCommand(pipeline: DriverPipeline, values: RunValues, context: RunContext): Promise<number> {
  const executor = await executorFor(values.executor ?? "claude-agent-sdk", context.cwd);
  // A journal belongs to the pipeline that started it: another version of the spec (one that
  // realizes differently) is refused on resume, whichever entry point runs it.
  const { journal, args, runId, resumed } = openRun({ pipeline, values, runDir: context.runDir, specHash: pipelineHash(pipeline) });
  try {
    for (const entry of values.reconcile ?? []) reconcile(journal, entry);
    const view = runView(context.io, values.json ? "json" : context.io.tty ? "live" : "lines");
    const outcome = await runNodePipeline(pipeline, { args, executor, journal, resumed, until: values.step, onEvent: (event: NodeRunEvent) => view.onEvent(event) });
    const code = finish(outcome, { io: context.io, json: values.json === true, command: context.command, runId, runDir: values["run-dir"] });
    recordOutcome(outcome, { values, cwd: context.cwd, runId });
    return code;
  } finally {
    journal.close();
  }
}

/**
 * A generated script run with node: parse `argv` with the same flags, journal under
 * `.specc/runs` of the working directory, print to the process, set the exit code.
 */
export async function runFromArgv(pipeline: DriverPipeline, argv: string[], script: { command: string }): Promise<number> {
  const io: RunIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    write: (text) => process.stderr.write(text),
    tty: Boolean(process.stderr.isTTY),
  };
  try {
    const options = Object.fromEntries(Object.entries(RUN_FLAGS).map(([name, flag]) => [name, { type: flag.type, multiple: "multiple" in flag && flag.multiple === true }]));
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    const cwd = process.cwd();
    const runDir = resolve(cwd, (values["run-dir"] as string | undefined) ?? join(".specc", "runs"));
    return await runPipelineCommand(pipeline, values as RunValues, { io, cwd, runDir, command: script.command });
  } catch (error) {
    const hint = error instanceof RuntimeError && error.hint ? `\n  hint: ${error.hint}` : "";
    io.err(`${script.command}: error: ${error instanceof Error ? error.message : String(error)}${hint}`);
    return RUN_EXIT.usage;
  }
}

/** The SHA-256 of the pipeline as the driver runs it (keys sorted): what a journal is bound to. */
export function pipelineHash(pipeline: DriverPipeline): string {
  return createHash("sha256").update(stableStringify(pipeline)).digest("hex");
}


/**
 * The host's `import()`, when the CLI's loader provides one: the bundled CLI runs from a V8 code
 * cache, where a dynamic import inside the bundle has no loader to ask (scripts/cli-loader.mjs).
 */
function hostImport(): ((specifier: string) => Promise<unknown>) | undefined {
  const provided = (globalThis as { [key: symbol]: unknown })[Symbol.for("specc.import")];
  return typeof provided === "function" ? (provided as (specifier: string) => Promise<unknown>) : undefined;
}

function runError(message: string, options: { hint?: string } = {}): RuntimeError {
  return new RuntimeError("SPR402", message, options);
}

/** The executor a `--executor` value names (the SDK is loaded only when a call needs it). */
export async function executorFor(name: string, cwd: string): Promise<Executor> {
  if (name.startsWith("replay:")) return createReplayExecutor(loadReplayFixture(resolve(cwd, name.slice("replay:".length))));
  if (name === "claude-agent-sdk") return createAgentSdkExecutor({ importModule: hostImport() });
  throw runError(`unknown executor \`${name}\`, expected replay:<file> or claude-agent-sdk`, { hint: "run `specc run --help`" });
}

interface OpenedRun {
  journal: Journal;
  args: { [key: string]: unknown };
  runId: string;
  resumed: boolean;
}

/**
 * A new run's journal (created, never over an existing one), or a resumed run's (its args from the
 * journal, plus the approvals given now, which are journaled too so a later resume keeps them).
 */
function openRun(input: { pipeline: DriverPipeline; values: RunValues; runDir: string; specHash: string }): OpenedRun {
  const { pipeline, values, runDir, specHash } = input;
  if (values.resume !== undefined) {
    if (values.task !== undefined || (values.param ?? []).length > 0) throw runError("--resume takes the task and params from the journal, not from --task or --param", { hint: "drop --task and --param, or start a new run without --resume" });
    const journal = resumeRunJournal(journalFile(runDir, values.resume), { specHash });
    return withJournal(journal, () => ({ journal, args: argsFromJournal(recordApprovals(journal, values)), runId: values.resume!, resumed: true }));
  }
  if (values.task === undefined || values.task.trim() === "") throw runError("missing --task, expected the task to run", { hint: 'run `specc run <spec> --task "…"`' });
  const args: { [key: string]: unknown } = { task: values.task, ...paramArgs(pipeline, values.param ?? []) };
  const runId = startRun(pipeline, args).runId;
  const journal = createRunJournal(journalFile(runDir, runId), { specHash, args });
  return withJournal(journal, () => ({ journal, args: argsFromJournal(recordApprovals(journal, values)), runId, resumed: false }));
}

/** `fn`'s value; the journal (and its lock) is closed when `fn` throws. */
function withJournal<T>(journal: Journal, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    journal.close();
    throw error;
  }
}

function journalFile(runDir: string, runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) throw runError(`\`${runId}\` is not a run id`, { hint: "run ids are printed when a run starts and stops" });
  return join(runDir, runId, "journal.jsonl");
}

/** `--param name=value` as typed args: numbers and booleans by the parameter's declared type. */
function paramArgs(pipeline: DriverPipeline, params: string[]): { [key: string]: unknown } {
  const args: { [key: string]: unknown } = {};
  const control = ["mode", "cost_cap_usd", "runId"];
  for (const entry of params) {
    const at = entry.indexOf("=");
    if (at <= 0) throw runError(`--param \`${entry}\` is not name=value`, { hint: "write --param max_items=20" });
    const name = entry.slice(0, at);
    const text = entry.slice(at + 1);
    // An empty value is no value (a CI input left blank): the param's default applies.
    if (text === "") continue;
    const declared = pipeline.params.find((param) => param.name === name);
    if (!declared && !control.includes(name)) {
      throw runError(`unknown parameter \`${name}\`, expected one of ${[...pipeline.params.map((param) => param.name), ...control].join(", ")}`);
    }
    const type = declared?.type ?? (name === "cost_cap_usd" ? "number" : "string");
    if (type === "number" || type === "integer") {
      const value = Number(text);
      if (!Number.isFinite(value)) throw runError(`--param ${name} needs a number, got \`${text}\``);
      args[name] = value;
    } else if (type === "boolean") {
      if (text !== "true" && text !== "false") throw runError(`--param ${name} needs true or false, got \`${text}\``);
      args[name] = text === "true";
    } else args[name] = text;
  }
  return args;
}

/** Approvals given on this invocation, journaled before the run goes on. */
function recordApprovals(journal: Journal, values: { approve?: string[]; "approve-scope"?: string[] }): Journal {
  for (const step of values.approve ?? []) journal.append({ type: "approval", key: `step:${step}`, data: { decision: "approved", by: "user" } });
  for (const entry of values["approve-scope"] ?? []) {
    const at = entry.indexOf("=");
    const key = at === -1 ? entry : entry.slice(0, at);
    const value = at === -1 ? null : entry.slice(at + 1);
    journal.append({ type: "approval", key: `scope:${key}`, data: { decision: "approved", by: "user", ...(value === null ? {} : { reason: JSON.stringify(value) }) } });
  }
  return journal;
}

/** The run's args: the ones it started with, plus every approval journaled since. */
function argsFromJournal(journal: Journal): { [key: string]: unknown } {
  const state = journal.state();
  const args: { [key: string]: unknown } = { ...(state.run?.args ?? {}) };
  const approve = new Set(Array.isArray(args.approve) ? (args.approve as string[]) : []);
  const scope: { [key: string]: unknown } = { ...((args.approvedScopeChanges as object | undefined) ?? {}) };
  for (const [key, record] of Object.entries(state.approvals)) {
    if (record.decision !== "approved") continue;
    if (key.startsWith("step:")) approve.add(key.slice(5));
    if (key.startsWith("scope:")) scope[key.slice(6)] = record.reason === undefined ? true : (JSON.parse(record.reason) as unknown);
  }
  if (approve.size > 0) args.approve = [...approve];
  if (Object.keys(scope).length > 0) args.approvedScopeChanges = scope;
  return args;
}

/** `--reconcile <key>=not-submitted`: the billable call cut off by a crash never reached the provider. */
function reconcile(journal: Journal, entry: string): void {
  const [key, verdict] = entry.split("=");
  if (verdict !== "not-submitted") throw runError(`--reconcile \`${entry}\`, expected <key>=not-submitted`, { hint: "a call that did reach the provider cannot be replayed: check the job there, and start a new run if you need its result" });
  if (journal.state().billable[key] !== "intent") throw runError(`no unconfirmed billable call \`${key}\` in this run`, { hint: "reconcile only the key the stop named" });
  journal.append({ type: "billable-void", step: key, key, data: { reason: "the user reconciled it: not submitted" } });
}

/**
 * `--outcome`: `status`, `reason`, `step` and `run` as `key=value` lines (values are plain words:
 * step ids and stop reasons); `--summary`: the report as Markdown. Both append, as CI files expect.
 */
function recordOutcome(outcome: NodeRunOutcome, context: { values: RunValues; cwd: string; runId: string }): void {
  const { values } = context;
  const status = outcome.pausedAfter !== undefined ? "continue" : outcome.interrupt ? "stopped" : outcome.result.status === "completed" ? "completed" : "stopped";
  const reason = outcome.interrupt ? outcome.interrupt.kind : outcome.result ? outcome.result.stoppedReason : "paused";
  const step = outcome.pausedAfter ?? (outcome.interrupt ? null : outcome.result.step) ?? "";
  if (values.outcome) appendFileSync(resolve(context.cwd, values.outcome), [`status=${status}`, `reason=${reason}`, `step=${step}`, `run=${context.runId}`].join("\n") + "\n");
  if (values.summary && outcome.report) appendFileSync(resolve(context.cwd, values.summary), `${reportMarkdown(outcome.report, status)}\n`);
}

/** The report as Markdown for a CI job summary. */
function reportMarkdown(report: NonNullable<NodeRunOutcome["report"]>, status: string): string {
  const rows = report.steps.filter((step) => step.status !== "not run").map((step) => `| ${step.id} | ${step.status} | ${step.attempts} | ${step.spendUsd > 0 ? `$${step.spendUsd.toFixed(2)}` : ""} |`);
  const head = status === "continue" ? `**${report.workflow}** run \`${report.runId}\`: going on` : `**${report.workflow}** run \`${report.runId}\`: ${report.status} (\`${report.stoppedReason}\`)${report.stoppedAt ? ` at \`${report.stoppedAt}\`` : ""}`;
  return [head, "", "| step | status | attempts | spend |", "| --- | --- | --- | --- |", ...rows, "", `spend: $${report.spend.committedUsd.toFixed(2)} of ${report.spend.capUsd === null ? "no cap" : `$${report.spend.capUsd.toFixed(2)}`}`].join("\n");
}

/** Print the outcome and pick the exit code; a human stop prints the exact command that goes on. */
function finish(outcome: NodeRunOutcome, context: { io: RunIo; json: boolean; command: string; runId: string; runDir?: string }): number {
  const { io } = context;
  const resume = `${context.command} --resume ${context.runId}${context.runDir ? ` --run-dir ${quote(context.runDir)}` : ""}`;
  if (outcome.pausedAfter !== undefined) {
    if (context.json) io.out(JSON.stringify({ type: "paused", after: outcome.pausedAfter, report: outcome.report }));
    io.err(`paused after ${outcome.pausedAfter}; go on with: ${resume}`);
    return RUN_EXIT.ok;
  }
  if (outcome.interrupt) {
    const { interrupt } = outcome;
    if (context.json) io.out(JSON.stringify({ type: "interrupted", interrupt }));
    io.err(`specc: run ${context.runId} interrupted: ${interrupt.detail}`);
    if (interrupt.kind === "needs-reconciliation") {
      io.err(`  check the provider for the work ${interrupt.agent} started; if nothing was submitted, go on with:\n  ${resume} --reconcile ${interrupt.key}=not-submitted`);
      return RUN_EXIT.human;
    }
    return interrupt.kind === "executor-unavailable" ? RUN_EXIT.usage : RUN_EXIT.failed;
  }
  const { result, report } = outcome;
  if (context.json) io.out(JSON.stringify({ type: "report", report }));
  else io.out(reportText(report));
  const next = nextCommand(result, { resume, command: context.command });
  if (next) io.err(`\nnext: ${next}`);
  if (result.status === "completed") return RUN_EXIT.ok;
  if (HUMAN_STOPS.includes(result.stoppedReason)) return RUN_EXIT.human;
  if (USAGE_STOPS.includes(result.stoppedReason)) return RUN_EXIT.usage;
  return RUN_EXIT.failed;
}

/** The command that continues after a human decision. */
function nextCommand(result: RunResult, context: { resume: string; command: string }): string | null {
  if (result.stoppedReason === "needs-approval") {
    const ids = [...result.detail.matchAll(/"approve":\s*\[([^\]]*)\]/g)].flatMap((match) => (JSON.parse(`[${match[1]}]`) as string[]));
    return ids.length > 0 ? `${context.resume} ${ids.map((id) => `--approve ${quote(id)}`).join(" ")}` : `${context.resume} --approve <step>`;
  }
  if (result.stoppedReason === "scope-change-requires-approval") {
    const touched = ((result.data as { touched?: { key: string; to: string }[] } | null)?.touched ?? []).filter((entry) => typeof entry?.key === "string");
    return `${context.resume} ${touched.map((entry) => `--approve-scope ${quote(`${entry.key}=${entry.to}`)}`).join(" ") || "--approve-scope <key>=<value>"}`;
  }
  if (result.stoppedReason === "needs-clarification") return `${context.command} --task "<the task, restated with what the run asked>"`;
  return null;
}

/** A word for a shell command line: plain words as they are, anything else single-quoted. */
export function quote(text: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
