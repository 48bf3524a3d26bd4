// The one registry of step kinds: for each kind, the agent slots it reads, the
// runtime guards its driver runs (names from GUARD_STOP_REASONS), the stop
// reasons it can produce, the spec gates it checks, the config it reads, and its driver function. `runStep` dispatches
// through it, `stepAgents` reads its slots and the compiler reads all of it.
// Each entry stands alone, so an inlined script may keep only the kinds its
// pipeline uses.
import { runAgentWithReview, runCriticStep } from "./run.js";
import { runApprovalStep, runCheckStep, runChecklistStep } from "./steps-check.js";
import { runCompletionStep, runLoopStep } from "./steps-end.js";
import { runJobStep } from "./steps-job.js";
import { runFanoutStep, runIntakeStep, runResourcesStep } from "./steps-plan.js";
import { runPreflightStep, runReadinessStep, runSmokeStep } from "./steps-test.js";

/**
 * Settings every step may carry, whatever its kind: the task classes it runs for, the classes
 * whose run ends after it, and extra request wording from the profile.
 */
export const STEP_CONFIG_COMMON = { branches: "string[]", endsBranch: "string[]", request: "string" };

/**
 * The step-kind registry. Per kind: `slots` (its agents), `guards` (the runtime guards its
 * driver runs), `stops` (the stop reasons it can produce), `gates` (the spec gate kinds it
 * checks as code), `config` (the settings its driver reads, with their JSON types) and `run`.
 */
export const STEP_KINDS = {
  intake: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-clarification", "answered", "scope-change-requires-approval"],
    gates: ["mandatory"],
    config: { baselineKeys: "string[]", classes: "string[]", answerClass: "string", keysByClass: "object" },
    run: runIntakeStep,
  },
  agent: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "critic", role: "critic", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkScopeChange", "criticReview"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "step-blocked", "scope-change-requires-approval", "critic-rejected"],
    gates: [],
    config: {},
    run: runAgentWithReview,
  },
  fanout: {
    slots: [
      { slot: "finder", role: "finder", many: true, optional: false },
      { slot: "synthesis", role: "synthesis", many: false, optional: false },
    ],
    guards: ["checkIterationBudget"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed"],
    gates: [],
    config: { finderRequest: "string" },
    run: runFanoutStep,
  },
  critic: {
    slots: [{ slot: "critic", role: "critic", many: false, optional: false }],
    guards: ["checkIterationBudget", "criticReview"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "critic-rejected"],
    gates: ["mandatory"],
    config: { reviews: "string", maxRetries: "integer" },
    run: runCriticStep,
  },
  resources: {
    slots: [{ slot: "checker", role: "checker", many: true, optional: false }],
    guards: ["checkIterationBudget", "sizeHardware"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "resource-missing", "no-hardware-fits"],
    gates: ["mandatory"],
    config: { work: "string", workByClass: "object", bytesPerParam: "number", overhead: "number", perGpu: "boolean" },
    run: runResourcesStep,
  },
  smoke: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkRepetition", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "repetition-detected", "scope-change-requires-approval", "smoke-test-failed"],
    gates: ["smoke-test"],
    config: { maxRetries: "integer" },
    run: runSmokeStep,
  },
  check: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkRepetition", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "repetition-detected", "scope-change-requires-approval", "check-failed"],
    gates: ["smoke-test"],
    config: { check: "string", maxRetries: "integer", fixerRequest: "string" },
    run: runCheckStep,
  },
  preflight: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "decideApproval", "nextOomRung", "checkRepetition", "checkScopeChange", "checkSubmitInvariant"],
    stops: [
      "invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-approval", "cost-cap-reached", "oom-ladder-exhausted",
      "repetition-detected", "scope-change-requires-approval", "submit-invariant-violated", "preflight-failed",
    ],
    gates: [],
    config: { maxRetries: "integer", flavor: "string", timeoutHours: "number" },
    run: runPreflightStep,
  },
  checklist: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "checklistEvidence"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "checklist-incomplete"],
    gates: ["checklist"],
    config: { items: "string[]" },
    run: runChecklistStep,
  },
  readiness: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "checklistEvidence", "checkSubmitInvariant", "sizeTimeout", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "checklist-incomplete", "submit-invariant-violated", "scope-change-requires-approval"],
    gates: ["checklist"],
    config: { items: "string[]" },
    run: runReadinessStep,
  },
  job: {
    slots: [
      { slot: "submitter", role: "worker", many: false, optional: false },
      { slot: "monitor", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkSubmitInvariant", "sizeTimeout", "decideApproval", "nextOomRung", "checkRepetition", "checkScopeChange"],
    stops: [
      "invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "submit-invariant-violated", "needs-approval", "cost-cap-reached",
      "oom-ladder-exhausted", "repetition-detected", "scope-change-requires-approval", "monitoring-budget-exhausted", "retries-exhausted",
      "alert-unresolved",
    ],
    gates: ["approval"],
    config: { maxRetries: "integer", maxPolls: "integer" },
    run: runJobStep,
  },
  completion: {
    slots: [{ slot: "critic", role: "critic", many: false, optional: false }],
    guards: ["checkIterationBudget", "checkCompletion"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "completion-criteria-unmet"],
    gates: [],
    config: { criteria: "object[]" },
    run: runCompletionStep,
  },
  loop: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "decideApproval"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-approval", "cost-cap-reached"],
    gates: [],
    config: { enabledBy: "string", maxIterations: "integer", billable: "boolean", estimateUsd: "number", flavor: "string", timeoutHours: "number" },
    run: runLoopStep,
  },
  approval: {
    slots: [],
    guards: ["approvalGate"],
    stops: ["needs-approval"],
    gates: ["approval"],
    config: { gate: "string", autoUnderCap: "boolean" },
    run: runApprovalStep,
  },
};

/** A step kind the driver runs. */
export type StepKind = keyof typeof STEP_KINDS;
