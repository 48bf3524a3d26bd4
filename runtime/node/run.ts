// The pipeline as a durable local program: the same driver the Claude Code script inlines
// (`startRun`, `runStep`, `finishRun`), over a Node adapter of the Workflow API. Agent calls go to
// an executor; every call is journaled under a deterministic key (`<agent>#<n>`) before and after
// it happens, so a resumed run replays the answers it already has (the driver is deterministic
// given them) and continues live: Claude Code's own replay-prefix resume, made durable. A billable
// call is write-ahead: an intent without its result on resume stops the run for a human instead
// of paying twice.
import { RuntimeError } from "../errors.js";
import type { Executor } from "../executors/executor.js";
import { runStep as journalStep, type Journal } from "../journal.js";
import { finishRun, runStep, startRun } from "../workflow/index.js";
import { billableAgents } from "../workflow/schemas.js";

// Part of the node runner's surface (which calls spend), defined beside the step slots it reads.
export { billableAgents };
import type { AgentCallOptions, DriverPipeline, RunResult, RunState, WorkflowApi } from "../workflow/types.js";

/** An executor the node runner can drive (its `capabilities` decide what it may do). */
export type NodeExecutor = Executor;

/** One thing that happened, for a live view, a JSON-lines log or a test. */
export type NodeRunEvent =
  | { type: "run-started"; runId: string; workflow: string; capUsd: number | null; steps: { id: string; title: string; kind: string }[]; resumed: boolean }
  | { type: "step-started"; index: number; id: string; title: string; kind: string; attempt: number }
  | { type: "agent-started"; step: string | null; agent: string; label: string; key: string }
  | { type: "agent-finished"; step: string | null; agent: string; key: string; cached: boolean; status: string; costUsd: number }
  | { type: "log"; message: string }
  | { type: "step-finished"; index: number; id: string; status: "done" | "skipped" | "stopped"; committedUsd: number; capUsd: number | null }
  | { type: "run-finished"; result: RunResult };

export interface NodeRunOptions {
  /** The workflow's arguments: the task, the params, and the control args (`approve`, `mode`, `cost_cap_usd`). */
  args: unknown;
  executor: NodeExecutor;
  /** The run's journal (already created or resumed); without one nothing is durable. */
  journal?: Journal | null;
  /** How many agents of a fan-out run at once. */
  concurrency?: number;
  onEvent?: (event: NodeRunEvent) => void;
  /** Whether this continues a journaled run (shown in the first event). */
  resumed?: boolean;
  /**
   * Run up to this step id and pause after it (one CI job per step): the steps before it replay
   * from the journal, and a pause writes no stop, so the next invocation resumes after it.
   */
  until?: string;
}

/** Why a run was interrupted before the driver could finish it (it did not stop: it can resume). */
export interface NodeInterrupt {
  kind: "needs-reconciliation" | "executor-cannot-bill" | "executor-unavailable";
  key: string;
  agent: string;
  detail: string;
}

/** The run's result, or the interrupt that ended it early. */
export type NodeRunOutcome =
  | { result: RunResult; interrupt: null; report: RunReport; pausedAfter?: undefined }
  | { result: null; interrupt: NodeInterrupt; report: null; pausedAfter?: undefined }
  /** `until` was reached and the run goes on: `report` covers the steps so far. */
  | { result: null; interrupt: null; report: RunReport; pausedAfter: string };

/** Drive every step of the pipeline, in order, as the Claude Code script does. */
export async function runNodePipeline(pipeline: DriverPipeline, options: NodeRunOptions): Promise<NodeRunOutcome> {
  const emit = options.onEvent ?? (() => {});
  const adapter = nodeWorkflowApi(pipeline, options);
  if (options.until !== undefined && !pipeline.steps.some((step) => step.id === options.until)) {
    throw new RuntimeError("SPR402", `no step \`${options.until}\` in ${pipeline.name}, expected one of ${pipeline.steps.map((step) => step.id).join(", ")}`);
  }
  let run: RunState = startRun(pipeline, options.args);
  emit({ type: "run-started", runId: run.runId, workflow: pipeline.name, capUsd: run.costCapUsd, steps: pipeline.steps.map(({ id, title, kind }) => ({ id, title, kind })), resumed: options.resumed === true });
  for (const [index, step] of pipeline.steps.entries()) {
    if (run.stop) break;
    adapter.current = step.id;
    emit({ type: "step-started", index, id: step.id, title: step.title, kind: step.kind, attempt: (run.attempts[step.id] ?? 0) + 1 });
    run = await runStep(adapter.api, pipeline, step, run);
    if (adapter.interrupt) return { result: null, interrupt: adapter.interrupt, report: null };
    const skipped = (run.outputs[step.id] as { skipped?: unknown } | undefined)?.skipped === true;
    const status = run.stop && run.stop.step === step.id && run.stop.stoppedReason !== "completed" && run.stop.stoppedReason !== "answered" ? "stopped" : skipped ? "skipped" : "done";
    emit({ type: "step-finished", index, id: step.id, status, committedUsd: committed(run), capUsd: run.costCapUsd });
    if (step.id === options.until && !run.stop && index < pipeline.steps.length - 1) {
      return { result: null, interrupt: null, report: runReport(pipeline, finishRun(pipeline, run), { calls: adapter.calls, attempts: run.attempts }), pausedAfter: step.id };
    }
  }
  const result = finishRun(pipeline, run);
  if (options.journal && !options.journal.state().stopped) options.journal.append({ type: "run-stopped", data: { stoppedReason: result.stoppedReason } });
  emit({ type: "run-finished", result });
  return { result, interrupt: null, report: runReport(pipeline, result, { calls: adapter.calls, attempts: run.attempts }) };
}

function committed(run: RunState): number {
  const sum = (record: { [key: string]: number }) => Object.values(record).reduce((total, usd) => total + Math.round(usd * 1e6), 0);
  return (sum(run.ledger.reserved) + sum(run.ledger.settled)) / 1e6;
}

/** One agent call as the report lists it. */
export interface AgentCallRecord {
  key: string;
  agent: string;
  step: string | null;
  cached: boolean;
  status: string;
  costUsd: number;
}

interface Adapter {
  api: WorkflowApi;
  current: string | null;
  interrupt: NodeInterrupt | null;
  calls: AgentCallRecord[];
}

/**
 * The Workflow API over an executor and a journal. `agent` journals each call under
 * `<agentType>#<n>` (n counts that agent's calls in this run, assigned when the call starts, so a
 * fan-out numbers its calls in the order the driver makes them); `parallel` runs at most
 * `concurrency` thunks at once and never rejects, like the Workflow primitive.
 */
export function nodeWorkflowApi(pipeline: DriverPipeline, options: NodeRunOptions): Adapter {
  const emit = options.onEvent ?? (() => {});
  const billable = new Set(billableAgents(pipeline));
  const counts = new Map<string, number>();
  const adapter: Adapter = { current: null, interrupt: null, calls: [], api: undefined as unknown as WorkflowApi };
  const stop = (interrupt: NodeInterrupt): never => {
    adapter.interrupt ??= interrupt;
    throw new RuntimeError("SPR401", interrupt.detail);
  };
  adapter.api = {
    async agent(prompt: string, call: AgentCallOptions): Promise<unknown> {
      if (adapter.interrupt) throw new RuntimeError("SPR401", adapter.interrupt.detail);
      const n = (counts.get(call.agentType) ?? 0) + 1;
      counts.set(call.agentType, n);
      const key = `${call.agentType}#${n}`;
      const step = adapter.current;
      const pays = billable.has(call.agentType);
      const caps = options.executor.capabilities;
      if (pays && !(caps?.bill && caps.reportsCost)) {
        stop({ kind: "executor-cannot-bill", key, agent: call.agentType, detail: `agent \`${call.agentType}\` submits billable work, but the executor \`${options.executor.name}\` ${caps?.bill ? "cannot report what it cost" : "cannot bill"}; run this step with an executor that reports its cost (replay), or in Claude Code` });
      }
      emit({ type: "agent-started", step, agent: call.agentType, label: call.label, key });
      let status = "ok";
      let costUsd = 0;
      const execute = async (): Promise<unknown> => {
        let result;
        try {
          result = await options.executor.run({ step: key, prompt, schema: call.schema, agentType: call.agentType }, {});
        } catch (error) {
          // An executor that cannot start at all (its SDK missing, say) is no agent failure: the
          // run stops with the executor's own message and resumes once it is fixed.
          if (error instanceof RuntimeError && error.code === "SPR201") stop({ kind: "executor-unavailable", key, agent: call.agentType, detail: error.hint ? `${error.message} (${error.hint})` : error.message });
          throw error;
        }
        status = result.status;
        costUsd = result.costUsd;
        return result.status === "ok" ? (result.output ?? null) : null;
      };
      let output: unknown;
      let cached = false;
      if (options.journal) {
        const outcome = await journalStep(options.journal, { step: key, billableKey: pays ? key : undefined, execute });
        if (outcome.status === "needs-reconciliation") {
          stop({ kind: "needs-reconciliation", key, agent: call.agentType, detail: `agent \`${call.agentType}\` (${key}) started billable work before the last run ended and its result was never recorded: it may have been submitted and billed` });
        }
        cached = outcome.status === "cached";
        output = outcome.status === "needs-reconciliation" ? null : outcome.result;
      } else {
        output = await execute();
      }
      if (cached) status = output === null ? "error" : "ok";
      adapter.calls.push({ key, agent: call.agentType, step, cached, status, costUsd });
      emit({ type: "agent-finished", step, agent: call.agentType, key, cached, status, costUsd });
      return output;
    },
    async parallel(thunks) {
      return limited(thunks, Math.max(1, Math.floor(options.concurrency ?? 4)));
    },
    log(message: string) {
      emit({ type: "log", message });
    },
  };
  return adapter;
}

/** Run thunks with at most `limit` at once; a failure becomes null, as in the Workflow API. */
async function limited(thunks: (() => Promise<unknown>)[], limit: number): Promise<unknown[]> {
  const results: unknown[] = new Array(thunks.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < thunks.length) {
      const index = next++;
      try {
        results[index] = await thunks[index]();
      } catch {
        results[index] = null;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, thunks.length) }, worker));
  return results;
}


/** What a finished run did: per step, per agent, spend by step, the stop and the artifacts. */
export interface RunReport {
  workflow: string;
  runId: string;
  status: string;
  stoppedReason: string;
  stoppedAt: string | null;
  detail: string;
  steps: { id: string; title: string; status: "done" | "skipped" | "stopped" | "not run"; attempts: number; spendUsd: number }[];
  agents: { agent: string; calls: number; replayed: number; failed: number; costUsd: number }[];
  spend: { capUsd: number | null; committedUsd: number };
  artifacts: unknown[];
}

/** The report of a finished run, from its result and the calls the adapter made. */
export function runReport(pipeline: DriverPipeline, result: RunResult, made: { calls: AgentCallRecord[]; attempts: { [stepId: string]: number } }): RunReport {
  const { calls, attempts } = made;
  const spendOf = (stepId: string): number => {
    let micros = 0;
    for (const record of [result.spend.reserved, result.spend.settled]) for (const [key, usd] of Object.entries(record)) if (key.split("/")[0] === stepId) micros += Math.round(usd * 1e6);
    return micros / 1e6;
  };
  const steps = pipeline.steps.map((step) => {
    const output = result.outputs[step.id] as { skipped?: unknown } | undefined;
    const status: RunReport["steps"][number]["status"] = result.step === step.id && result.status === "stopped" ? "stopped" : output === undefined ? "not run" : output.skipped === true ? "skipped" : "done";
    return { id: step.id, title: step.title, status, attempts: Object.hasOwn(attempts, step.id) ? attempts[step.id] : 0, spendUsd: spendOf(step.id) };
  });
  const byAgent = new Map<string, RunReport["agents"][number]>();
  for (const call of calls) {
    const entry = byAgent.get(call.agent) ?? { agent: call.agent, calls: 0, replayed: 0, failed: 0, costUsd: 0 };
    entry.calls++;
    if (call.cached) entry.replayed++;
    if (call.status !== "ok") entry.failed++;
    entry.costUsd = Math.round((entry.costUsd + call.costUsd) * 1e6) / 1e6;
    byAgent.set(call.agent, entry);
  }
  return {
    workflow: result.workflow,
    runId: result.runId,
    status: result.status,
    stoppedReason: result.stoppedReason,
    stoppedAt: result.step,
    detail: result.detail,
    steps,
    agents: [...byAgent.values()],
    spend: { capUsd: result.spend.capUsd, committedUsd: result.spend.committedUsd },
    artifacts: result.artifacts,
  };
}
