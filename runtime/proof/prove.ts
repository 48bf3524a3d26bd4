// Proof runs: drive a pipeline with stand-in agents, one of which breaks a guard the way an agent
// would to get around it, and check the run stops with that guard's own stop reason. compile
// runs one per enforcement claim; a claim without a passing run fails the build.
import { GUARD_STOP_REASONS } from "../workflow/stops.js";
import { finishRun, runStep, startRun, stepSlots } from "../workflow/index.js";
import type { DriverPipeline, DriverStep, RunResult, RunState, WorkflowApi } from "../workflow/types.js";
import { cooperativeAnswer, VIOLATIONS, type AnswerInfo } from "./answers.js";

/** A passing proof: the guard, the step where the agent broke it, how, and the stop it caused. */
export interface GuardProof {
  guard: string;
  step: string;
  violation: string;
  stoppedReason: string;
}

/** Why a claim could not be proven. */
export interface ProofFailure {
  guard: string;
  problem: string;
}

type AgentAnswer = (info: AnswerInfo) => unknown;

/**
 * Run the pipeline to its end with stand-in agents answering through `answer`. `from` starts at a
 * step with a run state recorded by an earlier run; `snapshots` collects the state before each step.
 */
export async function standInRun(
  pipeline: DriverPipeline,
  options: { args: { [key: string]: unknown }; answer: AgentAnswer; baseline: { [key: string]: string }; from?: { run: RunState; index: number }; snapshots?: RunState[] },
): Promise<RunResult> {
  const owners = new Map<string, { step: DriverStep; slot: string }>();
  for (const step of pipeline.steps) {
    const slots = stepSlots(step);
    step.agents.forEach((agent, index) => owners.set(agent.name, { step, slot: slots[index] }));
  }
  const counts = new Map<string, number>();
  const wf: WorkflowApi = {
    async agent(_prompt, callOptions) {
      const owner = owners.get(callOptions.agentType);
      if (!owner) return null;
      const count = (counts.get(callOptions.agentType) ?? 0) + 1;
      counts.set(callOptions.agentType, count);
      return options.answer({ ...owner, count, baseline: options.baseline, prompt: _prompt });
    },
    async parallel(thunks) {
      return Promise.all(thunks.map((thunk) => thunk().catch(() => null)));
    },
    log() {},
  };
  let run = options.from ? options.from.run : startRun(pipeline, options.args);
  for (let index = options.from ? options.from.index : 0; index < pipeline.steps.length; index++) {
    if (run.stop) break;
    options.snapshots?.push(run);
    run = await runStep(wf, pipeline, pipeline.steps[index], run);
  }
  return finishRun(pipeline, run);
}

/** Arguments that let a cooperative run pass every gate but `except`, with every declared param filled. */
function argsFor(pipeline: DriverPipeline, options: { except: string | null; costCapUsd: number | null }): { [key: string]: unknown } {
  const args: { [key: string]: unknown } = { task: "a task", mode: "autonomous" };
  for (const param of pipeline.params) {
    if (param.name === "cost_cap_usd") continue;
    args[param.name] = param.type === "boolean" ? false : param.type === "number" || param.type === "integer" ? 1 : `value of ${param.name}`;
  }
  args.approve = pipeline.steps.filter((step) => step.kind === "approval" && step.id !== options.except).map((step) => step.id);
  if (options.costCapUsd !== null) args.cost_cap_usd = options.costCapUsd;
  return args;
}

/** Values for the protected keys the stand-in intake reports. */
function baselineOf(pipeline: DriverPipeline & { protectedKeys?: unknown }): { [key: string]: string } {
  const keys = pipeline.protectedKeys && typeof pipeline.protectedKeys === "object" ? Object.keys(pipeline.protectedKeys as object) : [];
  const declared = pipeline.params.filter((param) => param.type === "string" && param.name !== "task").map((param) => param.name);
  // Declared params first: the runtime freezes them at start, so they always have a baseline.
  return Object.fromEntries([...declared, ...keys.filter((key) => !declared.includes(key))].map((key) => [key, declared.includes(key) ? `value of ${key}` : `${key}-a`]));
}

/**
 * Prove that `guard` stops a run of `pipeline`: at the first step whose kind runs it and where an
 * agent can break it, that agent answers as VIOLATIONS[guard] says, and the run must stop with
 * the guard's stop reason. Returns the proof, or why there is none.
 */
export async function proveGuard(pipeline: DriverPipeline, guard: string, shared?: SharedPrefix): Promise<GuardProof | ProofFailure> {
  const violation = Object.hasOwn(VIOLATIONS, guard) ? VIOLATIONS[guard] : undefined;
  const expected = Object.hasOwn(GUARD_STOP_REASONS, guard) ? (GUARD_STOP_REASONS as { [name: string]: string })[guard] : undefined;
  if (!violation || !expected) return { guard, problem: `no violation scenario for the guard \`${guard}\`` };
  const target = violation.kinds.map((kind) => pipeline.steps.find((step) => step.kind === kind)).find((step) => step !== undefined);
  if (!target) return { guard, problem: `no step of this pipeline runs \`${guard}\` where an agent can break it` };
  const setup = violation.setup ?? {};
  const tested: DriverPipeline = setup.maxIterations === undefined ? pipeline : { ...pipeline, contract: { ...pipeline.contract, maxIterations: setup.maxIterations } };
  const baseline = baselineOf(pipeline);
  const claimApproval = guard === "approvalGate";
  const answer: AgentAnswer = (info) => {
    const broken = info.step.id === target.id ? violation.answer(info) : undefined;
    const given = broken !== undefined ? broken : cooperativeAnswer(info);
    // An agent that claims the gate is approved, in every answer it gives.
    return claimApproval && given && typeof given === "object" ? { ...given, approved: true, approve: pipeline.steps.map((step) => step.id), approvedBy: "user" } : given;
  };
  const args = argsFor(pipeline, { except: guard === "approvalGate" ? target.id : null, costCapUsd: setup.costCapUsd ?? 1_000_000 });
  // Guards proven with the cooperative arguments start where the shared cooperative run reached the
  // target: the steps before it would answer the same, so running them again proves nothing new.
  const index = pipeline.steps.indexOf(target);
  const snapshot = shared && violation.setup === undefined && !claimApproval ? shared.snapshots[index] : undefined;
  const result = await standInRun(tested, { args, answer, baseline, from: snapshot ? { run: snapshot, index } : undefined });
  const stoppedAtTarget = setup.maxIterations !== undefined || result.step === target.id;
  const accepted = guard === "decideApproval" ? ["cost-cap-reached", "needs-approval"] : [expected];
  if (result.status === "stopped" && accepted.includes(result.stoppedReason) && stoppedAtTarget) {
    return { guard, step: result.step ?? target.id, violation: violation.what, stoppedReason: result.stoppedReason };
  }
  return { guard, problem: `the run ended \`${result.stoppedReason}\` at ${result.step ?? "no step"} (${result.detail}), expected \`${expected}\` at \`${target.id}\`` };
}

/** The cooperative run's state before each step, shared by the proofs that use the same arguments. */
export interface SharedPrefix {
  snapshots: RunState[];
}

/** Prove several guards, running the cooperative prefix they share once. */
export async function proveGuards(pipeline: DriverPipeline, guards: string[]): Promise<Map<string, GuardProof | ProofFailure>> {
  const snapshots: RunState[] = [];
  const args = argsFor(pipeline, { except: null, costCapUsd: 1_000_000 });
  await standInRun(pipeline, { args, answer: cooperativeAnswer, baseline: baselineOf(pipeline), snapshots });
  const results = new Map<string, GuardProof | ProofFailure>();
  for (const guard of guards) if (!results.has(guard)) results.set(guard, await proveGuard(pipeline, guard, { snapshots }));
  return results;
}

/** Whether a proof result passed. */
export function isProof(result: GuardProof | ProofFailure): result is GuardProof {
  return "stoppedReason" in result;
}
