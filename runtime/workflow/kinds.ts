// The one registry of step kinds: for each kind, the agent slots it reads, the
// runtime guards its driver runs (names from GUARD_STOP_REASONS), the stop
// reasons it can produce, and its driver function. `runStep` dispatches
// through it, `stepAgents` reads its slots and the compiler reads all of it.
// Each entry stands alone, so an inlined script may keep only the kinds its
// pipeline uses.
import { runAgentWithReview, runCriticStep } from "./run.js";
import { runApprovalStep, runCheckStep, runChecklistStep } from "./steps-check.js";
import { runCompletionStep, runLoopStep } from "./steps-end.js";
import { runJobStep } from "./steps-job.js";
import { runFanoutStep, runIntakeStep, runResourcesStep } from "./steps-plan.js";
import { runPreflightStep, runReadinessStep, runSmokeStep } from "./steps-test.js";

/** The step-kind registry. */
export const STEP_KINDS = {
  intake: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-clarification", "answered"],
    run: runIntakeStep,
  },
  agent: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "critic", role: "critic", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkScopeChange", "criticReview"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "step-blocked", "scope-change-requires-approval", "critic-rejected"],
    run: runAgentWithReview,
  },
  fanout: {
    slots: [
      { slot: "finder", role: "finder", many: true, optional: false },
      { slot: "synthesis", role: "synthesis", many: false, optional: false },
    ],
    guards: ["checkIterationBudget"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed"],
    run: runFanoutStep,
  },
  critic: {
    slots: [{ slot: "critic", role: "critic", many: false, optional: false }],
    guards: ["checkIterationBudget", "criticReview"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "critic-rejected"],
    run: runCriticStep,
  },
  resources: {
    slots: [{ slot: "checker", role: "checker", many: true, optional: false }],
    guards: ["checkIterationBudget", "sizeHardware"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "resource-missing", "no-hardware-fits"],
    run: runResourcesStep,
  },
  smoke: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkRepetition", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "repetition-detected", "scope-change-requires-approval", "smoke-test-failed"],
    run: runSmokeStep,
  },
  check: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "checkRepetition", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "repetition-detected", "scope-change-requires-approval", "check-failed"],
    run: runCheckStep,
  },
  preflight: {
    slots: [
      { slot: "worker", role: "worker", many: false, optional: false },
      { slot: "fixer", role: "worker", many: false, optional: true },
    ],
    guards: ["checkIterationBudget", "decideApproval", "nextOomRung", "checkRepetition", "checkScopeChange"],
    stops: [
      "invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-approval", "cost-cap-reached", "oom-ladder-exhausted",
      "repetition-detected", "scope-change-requires-approval", "preflight-failed",
    ],
    run: runPreflightStep,
  },
  checklist: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "checklistEvidence"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "checklist-incomplete"],
    run: runChecklistStep,
  },
  readiness: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "checklistEvidence", "checkSubmitInvariant", "sizeTimeout", "checkScopeChange"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "checklist-incomplete", "submit-invariant-violated", "scope-change-requires-approval"],
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
    run: runJobStep,
  },
  completion: {
    slots: [{ slot: "critic", role: "critic", many: false, optional: false }],
    guards: ["checkIterationBudget", "checkCompletion"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "completion-criteria-unmet"],
    run: runCompletionStep,
  },
  loop: {
    slots: [{ slot: "worker", role: "worker", many: false, optional: false }],
    guards: ["checkIterationBudget", "decideApproval"],
    stops: ["invalid-pipeline", "iteration-budget-exhausted", "agent-failed", "needs-approval", "cost-cap-reached"],
    run: runLoopStep,
  },
  approval: {
    slots: [],
    guards: ["approvalGate"],
    stops: ["needs-approval"],
    run: runApprovalStep,
  },
};

/** A step kind the driver runs. */
export type StepKind = keyof typeof STEP_KINDS;
