// Failure taxonomy: each failure class has exactly one allowed minimal fix,
// and none of them may change the user's scope. Also the training-alert policy.
import { nextOomRung, type FailureClass, type OomConfig, type OomState } from "./oom.js";
import { checkScopeChange, freezeBaseline, type ProtectedKeyTable } from "./scope.js";
import { TIMEOUT_TIERS } from "./sizing.js";

/** The one allowed minimal fix per failure class; `scopeChange: true` means no automatic fix exists. */
export const FAILURE_TAXONOMY = {
  "oom": {
    fix: "Walk the OOM ladder: halve the per-device batch (same effective batch), then enable gradient checkpointing, then larger hardware. Never shorten sequences or switch method.",
    scopeChange: false,
  },
  "wrong-argument": {
    fix: "Rename or drop the rejected argument to match the installed library version (for example TRL's max_seq_length is now max_length), keeping the same value and meaning.",
    scopeChange: false,
  },
  "import-error": {
    fix: "Add the missing package to the job's dependencies, or pin the version that provides the missing name.",
    scopeChange: false,
  },
  "dataset-schema": {
    fix: "Map the dataset's actual columns to the format the trainer expects (for example build 'messages' from existing columns). Do not switch to another dataset.",
    scopeChange: false,
  },
  "api-misuse": {
    fix: "Change the script's use of the library the error names (call order, a call made twice, a missing setup call) so it runs as the library expects, keeping what the script does.",
    scopeChange: false,
  },
  "timeout": {
    fix: "Resubmit with a longer timeout (at least double, never under the training floor), resuming from the last pushed checkpoint.",
    scopeChange: false,
  },
  "divergence": {
    fix: "Lower the learning rate to a tenth and restart from the last good checkpoint.",
    scopeChange: false,
  },
  "unknown": {
    fix: "No automatic fix: stop and report the log excerpt to the user.",
    scopeChange: true,
  },
};

/** Per-class retry budget for fixes other than the OOM ladder (which is bounded by its rungs). */
export const FAILURE_FIX_DEFAULTS = { maxAttempts: 3 };

/** Plan for one failure: retry with `changes` (plus the agent-applied `fix`), or stop. */
export type FailurePlan =
  | { action: "retry"; cls: FailureClass; fix: string; changes: Record<string, unknown>; state: OomState; rung?: number; step?: string }
  | { action: "stop"; cls: FailureClass; stoppedReason: string; reason: string; state: OomState };

/**
 * Plan the fix for a classified failure. OOM goes to the ladder; divergence
 * and timeout get mechanical config changes; the other known classes get the
 * taxonomy fix for the agent to apply; unknown stops. `state.attempts` bounds
 * repeats of non-OOM fixes.
 */
export function planFailureFix(
  cls: FailureClass,
  state: OomState,
  config: OomConfig & { learning_rate?: number; timeoutHours?: number },
  options: { maxAttempts?: number } = {},
): FailurePlan {
  if (cls === "oom") {
    const step = nextOomRung(state, config);
    if (step.action === "stop") return { action: "stop", cls, stoppedReason: step.stoppedReason, reason: step.reason, state: step.state };
    return { action: "retry", cls, fix: FAILURE_TAXONOMY.oom.fix, changes: step.changes, state: step.state, rung: step.rung, step: step.step };
  }
  const entry = Object.hasOwn(FAILURE_TAXONOMY, cls) ? FAILURE_TAXONOMY[cls] : FAILURE_TAXONOMY.unknown;
  if (entry.scopeChange) return { action: "stop", cls, stoppedReason: "no-automatic-fix", reason: entry.fix, state };
  const attempts = (state.attempts || 0) + 1;
  if (attempts > (options.maxAttempts ?? FAILURE_FIX_DEFAULTS.maxAttempts)) {
    return { action: "stop", cls, stoppedReason: "fix-attempts-exhausted", reason: "the " + cls + " fix did not work after repeated attempts; ask the user", state };
  }
  return { action: "retry", cls, fix: entry.fix, changes: failureChanges(cls, config), state: { rung: state.rung || 0, attempts } };
}

/** Mechanical config changes for classes whose fix is a number. */
function failureChanges(cls: FailureClass, config: { learning_rate?: number; timeoutHours?: number }): Record<string, unknown> {
  if (cls === "divergence") return applyAlertPolicy({ kind: "diverged" }, config).changes;
  if (cls === "timeout" && typeof config.timeoutHours === "number" && config.timeoutHours > 0) {
    return { timeoutHours: Math.max(config.timeoutHours * 2, TIMEOUT_TIERS.trainingFloorHours) };
  }
  return {};
}

/** Hyperparameter change per training alert: the key it justifies and the factor. */
export const ALERT_POLICY = {
  "diverged": { key: "learning_rate", factor: 0.1 },
  "overfitting": { key: "weight_decay", factor: 10 },
  "early-stopping": { key: "learning_rate", factor: 0.5 },
};

/** Weight decay used when overfitting strikes with none set (ten times zero is still zero). */
export const ALERT_DEFAULT_WEIGHT_DECAY = 0.01;

/**
 * Respond to a training alert by scaling the one hyperparameter it justifies.
 * The result is checked against the scope guard with the protected `keys`
 * (the pipeline's table; none by default), so a policy edit that named a
 * protected key would yield no changes.
 */
export function applyAlertPolicy(
  alert: { kind: "diverged" | "overfitting" | "early-stopping" },
  config: Record<string, unknown>,
  keys: ProtectedKeyTable = {},
): { changes: Record<string, unknown>; reason: string } {
  if (!Object.hasOwn(ALERT_POLICY, alert.kind)) return { changes: {}, reason: "unknown alert `" + alert.kind + "`" };
  const { key, factor } = ALERT_POLICY[alert.kind];
  const current = config[key];
  const known = typeof current === "number" && Number.isFinite(current);
  if (!known && key !== "weight_decay") return { changes: {}, reason: key + " is not set in the config, so it cannot be scaled" };
  const unsetDecay = key === "weight_decay" && (!known || current === 0);
  const scaled = unsetDecay ? ALERT_DEFAULT_WEIGHT_DECAY : Number(((current as number) * factor).toPrecision(12));
  const changes = { [key]: scaled };
  const scope = checkScopeChange(freezeBaseline(config, keys), { ...config, ...changes }, { keys });
  if (scope.verdict !== "ok") return { changes: {}, reason: scope.reason };
  return { changes, reason: alert.kind + ": " + key + " " + String(current ?? "unset") + " -> " + scaled };
}
