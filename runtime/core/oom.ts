// Failure-log classification and the OOM recovery ladder. The ladder only
// trades speed or money for memory; it never touches sequence length or method.
import { HARDWARE_FLAVORS, type FlavorSpec } from "./sizing.js";

/** What a failed job's log says went wrong. */
export type FailureClass =
  | "oom"
  | "wrong-argument"
  | "import-error"
  | "dataset-schema"
  | "api-misuse"
  | "timeout"
  | "divergence"
  | "unknown";

/**
 * Log patterns per class (matched per line; `.*` joins parts matched in order), checked in this order: a CUDA OOM traceback often
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
    // A library used out of order or twice (`Call trackio.init() before trackio.finish()`): the
    // error names the call, so the fix is in the script, not in the task.
    cls: "api-misuse",
    patterns: ["\\bcall\\s+[\\w.]+\\(\\)\\s+before\\s+[\\w.]+\\(\\)", "\\balready (been )?(finished|closed|finalized)\\b", "\\bcalled (more than once|twice)\\b"],
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

/**
 * Classify a failed job's log text into one failure class. Linear in the
 * log: the text is read line by line, and a pattern with `.*` is matched as
 * its parts in order on the line (each part a simple pattern), so no pattern
 * can backtrack over the whole log.
 */
export function classifyFailureLog(log: string): FailureClass {
  const text = typeof log === "string" ? log : "";
  const lines = text.split("\n");
  for (const entry of FAILURE_LOG_PATTERNS) {
    const compiled = entry.patterns.map(oomCompilePattern);
    if (lines.some((line) => compiled.some((parts) => oomLineMatches(line, parts)))) return entry.cls as FailureClass;
  }
  const weak = FAILURE_WEAK_OOM_PATTERNS.map(oomCompilePattern);
  if (lines.some((line) => weak.some((parts) => oomLineMatches(line, parts)))) return "oom";
  return "unknown";
}

/** A pattern as its `.*`-separated parts, each a case-insensitive global regex (`\s` kept to the line). */
function oomCompilePattern(pattern: string): RegExp[] {
  return pattern.split(".*").map((part) => new RegExp(part.replace(/\\s/g, "[ \\t\\r]"), "gi"));
}

/** Whether the parts match in order on one line (leftmost match of each after the previous one). */
function oomLineMatches(line: string, parts: RegExp[]): boolean {
  let from = 0;
  for (const part of parts) {
    part.lastIndex = from;
    const found = part.exec(line);
    if (!found) return false;
    from = found.index + found[0].length;
  }
  return true;
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
 * Pick the next OOM rung. Each rung is taken at most once and rungs never
 * go back: after the last applied rung (`state.rung`) comes the next one
 * that can help (halving once, checkpointing unless already on, one larger
 * flavor), and after the last rung the ladder stops. A state or config whose
 * numbers are not finite, safe integers in range stops (fails closed).
 * Apply `changes` to the config and carry `state` into the next call.
 */
export function nextOomRung(
  state: OomState,
  config: OomConfig,
  options: { ladder?: string[]; flavors?: Record<string, FlavorSpec> } = {},
): OomStep {
  const last = state && typeof state === "object" ? state.rung : undefined;
  const before = state && typeof state === "object" && Number.isSafeInteger(state.attempts) && state.attempts >= 0 ? state.attempts : 0;
  if (!Number.isSafeInteger(last) || (last as number) < 0 || (last as number) > OOM_LADDER.length) {
    return { action: "stop", stoppedReason: "oom-ladder-exhausted", reason: "the OOM ladder state " + JSON.stringify(last ?? null) + " is not a rung; ask the user", state: { rung: OOM_LADDER.length, attempts: before } };
  }
  const invalid = oomInvalidNumbers(config);
  if (invalid !== null) {
    return { action: "stop", stoppedReason: "oom-ladder-exhausted", reason: "OOM with " + invalid + "; ask the user", state: { rung: OOM_LADDER.length, attempts: before } };
  }
  for (let rung = (last as number) + 1; rung <= OOM_LADDER.length; rung++) {
    const changes = oomRungChanges(rung, config, options);
    if (changes) {
      const step = OOM_LADDER[rung - 1];
      return { action: "retry", rung, step, changes, state: { rung, attempts: before + 1 }, reason: "OOM: " + step };
    }
  }
  return {
    action: "stop",
    stoppedReason: "oom-ladder-exhausted",
    reason: "OOM persists after each rung was tried once (a smaller batch, gradient checkpointing, one larger flavor); ask the user",
    state: { rung: OOM_LADDER.length, attempts: before },
  };
}

/** The batch settings the ladder reads, when present, must be positive safe integers whose product is safe. */
function oomInvalidNumbers(config: OomConfig): string | null {
  const batch = config ? config.per_device_train_batch_size : undefined;
  const accumulation = config ? config.gradient_accumulation_steps : undefined;
  for (const [name, value] of [["per_device_train_batch_size", batch], ["gradient_accumulation_steps", accumulation]] as [string, unknown][]) {
    if (value === undefined || value === null) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1) return "an invalid " + name + " (" + String(value) + ")";
  }
  if (typeof batch === "number" && typeof accumulation === "number" && !Number.isSafeInteger(batch * accumulation)) {
    return "an effective batch too large to keep exact";
  }
  return null;
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

/** Small primes tried for an odd batch: enough for every batch size in practice, and O(1). */
export const OOM_ODD_BATCH_PRIMES = [3, 5, 7, 11, 13];

/**
 * Halve the per-device batch and scale gradient accumulation so the effective
 * batch is unchanged, in constant time. An even batch halves; an odd batch
 * goes to its largest divisor at or below half when its smallest prime
 * factor is small (9 → 3, 15 → 5), else to 1 (5 → 1, a large prime → 1), so
 * the product stays exact.
 */
function oomHalveBatch(config: OomConfig): Record<string, unknown> | null {
  const batch = config.per_device_train_batch_size;
  if (typeof batch !== "number" || !Number.isSafeInteger(batch) || batch <= 1) return null;
  const factor = batch % 2 === 0 ? 2 : OOM_ODD_BATCH_PRIMES.find((prime) => prime < batch && batch % prime === 0) ?? batch;
  const smaller = batch / factor;
  const accumulation = config.gradient_accumulation_steps ?? 1;
  const scaled = accumulation * factor;
  if (!Number.isSafeInteger(scaled)) return null;
  return { per_device_train_batch_size: smaller, gradient_accumulation_steps: scaled };
}

/** The first ladder flavor with strictly more VRAM than the current one; unknown or CPU flavors have none. */
function oomLargerFlavor(current: unknown, ladder: string[], flavors: Record<string, FlavorSpec>): string | null {
  if (typeof current !== "string" || !Object.hasOwn(flavors, current)) return null;
  const vram = flavors[current].vramGb;
  const next = ladder.find((name) => Object.hasOwn(flavors, name) && flavors[name].vramGb > vram);
  return next ?? null;
}
