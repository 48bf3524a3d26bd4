// Stop reasons, as metadata for the compiler: every reason a run can end with,
// and the reason each runtime guard's violation produces. The driver itself
// never reads these tables, so an inlined script may drop them.

/** Every `stoppedReason` a run can end with; `completed` and `answered` are the happy ends. */
export const STOP_REASONS = [
  "completed",
  "answered",
  "missing-argument",
  "invalid-argument",
  "invalid-pipeline",
  "iteration-budget-exhausted",
  "agent-failed",
  "needs-clarification",
  "step-blocked",
  "scope-change-requires-approval",
  "critic-rejected",
  "resource-missing",
  "no-hardware-fits",
  "smoke-test-failed",
  "check-failed",
  "repetition-detected",
  "needs-approval",
  "cost-cap-reached",
  "oom-ladder-exhausted",
  "preflight-failed",
  "checklist-incomplete",
  "submit-invariant-violated",
  "monitoring-budget-exhausted",
  "retries-exhausted",
  "alert-unresolved",
  "completion-criteria-unmet",
];

/**
 * The stop reason each guard's violation produces (`decideApproval` stops
 * with `cost-cap-reached` over the cap, and with `needs-approval` when a
 * human must sign off, as in interactive mode).
 */
export const GUARD_STOP_REASONS = {
  checkScopeChange: "scope-change-requires-approval",
  checkRepetition: "repetition-detected",
  decideApproval: "cost-cap-reached",
  checkIterationBudget: "iteration-budget-exhausted",
  nextOomRung: "oom-ladder-exhausted",
  sizeHardware: "no-hardware-fits",
  sizeTimeout: "submit-invariant-violated",
  checkSubmitInvariant: "submit-invariant-violated",
  criticReview: "critic-rejected",
  approvalGate: "needs-approval",
  checkCompletion: "completion-criteria-unmet",
  checklistEvidence: "checklist-incomplete",
};
