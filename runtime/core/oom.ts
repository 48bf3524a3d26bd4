// Failure-log classification and the OOM recovery ladder. The ladder only
// trades speed or money for memory; it never touches sequence length or method.
import { HARDWARE_FLAVORS, type FlavorSpec } from "./sizing.js";

/** What a failed job's log says went wrong. */
export type FailureClass =
  | "oom"
  | "wrong-argument"
  | "import-error"
  | "dataset-schema"
  | "timeout"
  | "divergence"
  | "unknown";

/**
 * Log patterns per class, checked in this order: a CUDA OOM traceback often
 * also prints a `Killed` line or a timeout, and the first match is the cause.
 */
export const FAILURE_LOG_PATTERNS = [
  {
    cls: "oom",
    patterns: [
      "out ?of ?memory", "OutOfMemoryError", "CUBLAS_STATUS_ALLOC_FAILED", "CUDNN_STATUS_(ALLOC_FAILED|NOT_ENOUGH_WORKSPACE)",
      "DefaultCPUAllocator: can't allocate memory", "\\bMemoryError\\b", "OOMKilled", "RESOURCE_EXHAUSTED",
      "exit(ed)?( with)? (code|status)[: ]*137\\b", "\\bSIGKILL\\b.*\\b(memory|oom)\\b",
    ],
  },
  {
    cls: "import-error",
    patterns: ["ModuleNotFoundError: No module named", "ImportError: cannot import name", "ImportError: .* requires", "No matching distribution found for", "Because .* depends on .* (is|are) unsatisfiable"],
  },
  {
    cls: "wrong-argument",
    patterns: ["got an unexpected keyword argument", "error: unrecognized arguments:", "missing \\d+ required (positional|keyword-only) argument", "error: argument --?[\\w-]+: (invalid|expected)"],
  },
  {
    cls: "dataset-schema",
    patterns: [
      "KeyError: ['\"](messages|text|prompt|completion|chosen|rejected|conversations|input|output|label|labels|question|answer)['\"]",
      "Column .* not (found|in the dataset)", "column names? don'?t match", "DatasetGenerationCastError",
      "CastError: Couldn't cast", "Invalid (dataset|data) format", "ArrowInvalid",
    ],
  },
  {
    cls: "divergence",
    patterns: [
      "['\"]?(loss|train_loss|eval_loss)['\"]?\\s*[:=]\\s*['\"]?(nan|-?inf)\\b", "['\"]?grad_norm['\"]?\\s*[:=]\\s*['\"]?nan\\b",
      "\\bloss (is|became|went) (nan|inf)",
      "Detected (NaN|inf) (loss|gradient)", "non-finite (loss|gradient)",
    ],
  },
  {
    cls: "timeout",
    patterns: [
      "\\bjob (has )?(timed out|timeout)", "\\btimeout (reached|exceeded|expired)\\b", "exceeded (its |the )?(maximum )?(timeout|duration|run ?time)",
      "maximum (duration|run ?time) (reached|exceeded)", "DeadlineExceeded|DEADLINE_EXCEEDED",
    ],
  },
];

/** Weak OOM evidence, trusted only when nothing above matched: a bare `Killed` line is usually the kernel OOM killer. */
export const FAILURE_WEAK_OOM_PATTERNS = ["^\\s*Killed\\s*$", "\\bkilled\\b.*\\bsignal 9\\b"];

/** Classify a failed job's log text into one failure class. */
export function classifyFailureLog(log: string): FailureClass {
  const text = typeof log === "string" ? log : "";
  for (const entry of FAILURE_LOG_PATTERNS) {
    if (entry.patterns.some((pattern) => new RegExp(pattern, "im").test(text))) return entry.cls as FailureClass;
  }
  if (FAILURE_WEAK_OOM_PATTERNS.some((pattern) => new RegExp(pattern, "im").test(text))) return "oom";
  return "unknown";
}

/** OOM recovery rungs, in the only allowed order. */
export const OOM_LADDER = ["halve-batch", "gradient-checkpointing", "larger-hardware"];

/** Flavors to climb on rung 3; a move always goes to strictly more VRAM. */
export const OOM_FLAVOR_LADDER = ["t4-small", "l4x1", "a10g-large", "l40sx1", "a100-large", "a100x4", "a100x8"];

/** Ladder position carried across attempts: `rung` is the last rung applied (0 = none). */
export interface OomState {
  rung: number;
  attempts: number;
}

/** The training settings the ladder reads. */
export interface OomConfig {
  per_device_train_batch_size?: number;
  gradient_accumulation_steps?: number;
  gradient_checkpointing?: boolean;
  flavor?: string;
  [key: string]: unknown;
}

/** Next step on the ladder: retry with `changes` applied, or stop. */
export type OomStep =
  | { action: "retry"; rung: number; step: string; changes: Record<string, unknown>; state: OomState; reason: string }
  | { action: "stop"; stoppedReason: "oom-ladder-exhausted"; reason: string; state: OomState };

/**
 * Pick the next OOM rung. Rungs never go back: halving repeats while the
 * batch is above 1, checkpointing is skipped when already on, and hardware
 * climbs the flavor ladder until nothing larger is left. Apply `changes` to
 * the config and carry `state` into the next call.
 */
export function nextOomRung(
  state: OomState,
  config: OomConfig,
  options: { ladder?: string[]; flavors?: Record<string, FlavorSpec> } = {},
): OomStep {
  const from = Math.max(1, Math.floor(state.rung) || 1);
  const attempts = (state.attempts || 0) + 1;
  for (let rung = from; rung <= OOM_LADDER.length; rung++) {
    const changes = oomRungChanges(rung, config, options);
    if (changes) {
      const step = OOM_LADDER[rung - 1];
      return { action: "retry", rung, step, changes, state: { rung, attempts }, reason: "OOM: " + step };
    }
  }
  return {
    action: "stop",
    stoppedReason: "oom-ladder-exhausted",
    reason: "OOM persists after smaller batches, gradient checkpointing and the largest hardware on the ladder; ask the user",
    state: { rung: OOM_LADDER.length, attempts: state.attempts || 0 },
  };
}

/** The changes one rung makes to this config, or null when the rung cannot help. */
function oomRungChanges(
  rung: number,
  config: OomConfig,
  options: { ladder?: string[]; flavors?: Record<string, FlavorSpec> },
): Record<string, unknown> | null {
  if (rung === 1) return oomHalveBatch(config);
  if (rung === 2) return config.gradient_checkpointing === true ? null : { gradient_checkpointing: true };
  const next = oomLargerFlavor(config.flavor, options.ladder ?? OOM_FLAVOR_LADDER, options.flavors ?? HARDWARE_FLAVORS);
  return next ? { flavor: next } : null;
}

/**
 * Halve the per-device batch and scale gradient accumulation so the effective
 * batch is unchanged. An odd batch goes to its largest divisor at or below
 * half (6 → 3, 5 → 1), so the product stays exact.
 */
function oomHalveBatch(config: OomConfig): Record<string, unknown> | null {
  const batch = config.per_device_train_batch_size;
  if (typeof batch !== "number" || !Number.isInteger(batch) || batch <= 1) return null;
  let smaller = Math.floor(batch / 2);
  while (batch % smaller !== 0) smaller--;
  const accumulation = config.gradient_accumulation_steps ?? 1;
  return {
    per_device_train_batch_size: smaller,
    gradient_accumulation_steps: accumulation * (batch / smaller),
  };
}

/** The first ladder flavor with strictly more VRAM than the current one; unknown or CPU flavors have none. */
function oomLargerFlavor(current: unknown, ladder: string[], flavors: Record<string, FlavorSpec>): string | null {
  if (typeof current !== "string" || !Object.hasOwn(flavors, current)) return null;
  const vram = flavors[current].vramGb;
  const next = ladder.find((name) => Object.hasOwn(flavors, name) && flavors[name].vramGb > vram);
  return next ?? null;
}
