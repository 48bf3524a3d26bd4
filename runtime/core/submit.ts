// Submit invariant: checks run before any billable job, because each of these
// mistakes either loses the run or its result.
import { checkFlavorSizing, parseDuration, TIMEOUT_TIERS, type WorkKind } from "./sizing.js";

/** A job about to be submitted, as the runtime describes it. */
export interface JobSubmission {
  code: { kind: "inline" | "url" | "path" | "repo"; value: string } | null;
  timeoutHours: number | string | null | undefined;
  work: WorkKind;
  monitoring: { kind: string; target: string } | null;
  persistence: { destination: string } | null;
  flavor: string | null | undefined;
  /** The work kind the runtime derived (task class, sizing); a different declared `work` is refused, and the timeout follows the derived one. */
  derivedWork?: WorkKind | null;
  /** The verified model: with a size, the flavor is checked against the work's memory (`checkFlavorSizing`). */
  model?: { paramsB: number | null; method?: unknown; allowedFlavors?: string[] } | null;
  /** What the runtime approved and reserved: the submission as reported must match it (flavor, timeout, every required config change). */
  approved?: { flavor?: string | null; timeoutHours?: number | null; config?: { [key: string]: unknown } } | null;
  /** The config the submitted job runs with, as reported (checked against `approved.config`). */
  config?: { [key: string]: unknown } | null;
  /** A short preflight: monitoring and persistence are not required, and the timeout tier is not applied. */
  preflight?: boolean;
}

/** One broken invariant. */
export interface SubmitViolation {
  code: string;
  message: string;
}

/**
 * Check a job against the submit invariant: code the remote job can reach
 * (not a local path), a timeout long enough for the work, monitoring, a real
 * persistence destination and a flavor.
 */
export function checkSubmitInvariant(job: JobSubmission): { ok: boolean; violations: SubmitViolation[] } {
  const declared = job.work;
  const derived = job.derivedWork ?? null;
  const work = derived ?? declared;
  const violations = [
    ...submitCodeViolations(job.code),
    ...(job.preflight === true ? submitTimeoutViolations(job.timeoutHours, "data") : submitTimeoutViolations(job.timeoutHours, work)),
    ...(job.preflight === true ? [] : submitMonitoringViolations(job.monitoring)),
    ...(job.preflight === true ? [] : submitPersistenceViolations(job.persistence)),
  ];
  if (derived !== null && declared !== derived) {
    violations.push({ code: "work-kind-mismatch", message: "Unexpected work kind `" + String(declared) + "` declared for " + derived + " work, expected `" + derived + "` (the kind follows the task, not the job's own claim)" });
  }
  if (typeof job.flavor !== "string" || job.flavor.trim() === "") {
    violations.push({ code: "flavor-missing", message: "Unexpected job without a hardware flavor, expected one such as `a10g-large`" });
  } else if (job.model) {
    violations.push(...checkFlavorSizing({ flavor: job.flavor, paramsB: job.model.paramsB, work, method: job.model.method, allowed: job.model.allowedFlavors }));
  }
  if (job.approved) violations.push(...submitApprovedViolations(job, job.approved));
  return { ok: violations.length === 0, violations };
}

/** The submission as reported against what the runtime approved: the same flavor and timeout, and every required config change applied. */
function submitApprovedViolations(job: JobSubmission, approved: NonNullable<JobSubmission["approved"]>): SubmitViolation[] {
  const violations: SubmitViolation[] = [];
  if (typeof approved.flavor === "string" && typeof job.flavor === "string" && job.flavor.trim() !== "" && job.flavor.trim() !== approved.flavor) {
    violations.push({ code: "flavor-not-approved", message: "Unexpected flavor `" + job.flavor + "` in the submitted job, expected the approved `" + approved.flavor + "`" });
  }
  const hours = typeof job.timeoutHours === "number" ? job.timeoutHours : parseDuration(job.timeoutHours);
  if (typeof approved.timeoutHours === "number" && hours !== null && Math.abs(hours - approved.timeoutHours) > 1e-6 * Math.max(1, approved.timeoutHours)) {
    violations.push({ code: "timeout-not-approved", message: "Unexpected timeout of " + hours + "h in the submitted job, expected the approved " + approved.timeoutHours + "h" });
  }
  const config = job.config !== null && typeof job.config === "object" ? job.config : {};
  for (const [key, value] of Object.entries(approved.config ?? {})) {
    const got = Object.hasOwn(config, key) ? config[key] : undefined;
    if (!submitSameValue(got, value)) {
      violations.push({ code: "override-not-applied", message: "Unexpected " + key + " " + JSON.stringify(got ?? null) + " in the submitted config, expected the required " + JSON.stringify(value) });
    }
  }
  return violations;
}

/** Equal config values: the same JSON, with numbers compared to a relative 1e-9 (a number written as text counts). */
function submitSameValue(got: unknown, want: unknown): boolean {
  const number = typeof got === "string" && got.trim() !== "" && Number.isFinite(Number(got)) ? Number(got) : got;
  if (typeof want === "number" && typeof number === "number") return Number.isFinite(number) && Math.abs(number - want) <= 1e-9 * Math.max(1, Math.abs(want));
  return JSON.stringify(got) === JSON.stringify(want);
}

/**
 * Whether a string names a file on this machine: absolute, relative, home or
 * `file://` paths, Windows drives, or a bare script file name.
 */
export function looksLikeLocalPath(value: string): boolean {
  const text = value.trim();
  if (/^(file:|~|\.{1,2}[\\/]|\/|[a-z]:[\\/])/i.test(text)) return true;
  return !/\s/.test(text) && !/^[a-z]+:\/\//i.test(text) && /\.(py|sh|ipynb|ya?ml|json)$/i.test(text);
}

/** Code must be inline, an http(s) URL or a repo id; a local path does not exist inside the job. */
function submitCodeViolations(code: JobSubmission["code"]): SubmitViolation[] {
  if (!code || typeof code.value !== "string" || code.value.trim() === "") {
    return [{ code: "code-missing", message: "Unexpected job without code, expected an inline script, URL or repo" }];
  }
  const local = code.kind === "path" || (code.kind === "inline" ? submitInlineIsPath(code.value) : looksLikeLocalPath(code.value));
  const badUrl = code.kind === "url" && !/^https?:\/\//i.test(code.value.trim());
  if (!local && !badUrl) return [];
  return [{
    code: "code-local-path",
    message: "Unexpected local path `" + code.value.trim() + "` as job code, expected inline code or an http(s) URL the job can fetch",
  }];
}

/** Launchers that run a script file: `python train.py` as inline code is the path of a file the job does not have. */
export const SUBMIT_SCRIPT_LAUNCHERS = ["python", "python3", "uv", "accelerate", "torchrun", "deepspeed", "bash", "sh", "source", ".", "./", "exec", "nohup", "hf", "huggingface-cli"];

/**
 * Inline code must be code: a single token naming a path, or one line that
 * only launches a local script file (`python train.py --lr 1e-4`,
 * `uv run train.py`), is a path in disguise.
 */
function submitInlineIsPath(value: string): boolean {
  const text = value.trim();
  if (!/\s/.test(text)) return looksLikeLocalPath(text) || /^\/home\//.test(text);
  if (text.includes("\n")) return false;
  const tokens = text.split(/\s+/);
  if (!SUBMIT_SCRIPT_LAUNCHERS.includes(tokens[0].toLowerCase())) return false;
  if (tokens.some((token) => token === "-c" || token === "-m" || token === "-e")) return false;
  return tokens.slice(1).some((token) => !token.startsWith("-") && looksLikeLocalPath(token.replace(/^['"]|['"]$/g, "")));
}

/** Training needs at least the floor and never the platform's short default; all work needs a timeout. */
function submitTimeoutViolations(timeout: JobSubmission["timeoutHours"], work: WorkKind): SubmitViolation[] {
  const hours = typeof timeout === "number" ? timeout : parseDuration(timeout);
  if (hours === null || !Number.isFinite(hours) || hours <= 0) {
    return [{ code: "timeout-missing", message: "Unexpected job without a timeout, expected one sized to the work (the platform default kills long jobs)" }];
  }
  if (work !== "training") return [];
  if (hours === TIMEOUT_TIERS.platformDefaultHours) {
    return [{ code: "timeout-platform-default", message: "Unexpected training timeout equal to the platform default of 30m, expected at least " + TIMEOUT_TIERS.trainingFloorHours + "h" }];
  }
  if (hours < TIMEOUT_TIERS.trainingFloorHours) {
    return [{ code: "timeout-too-short", message: "Unexpected training timeout of " + hours + "h, expected at least " + TIMEOUT_TIERS.trainingFloorHours + "h" }];
  }
  return [];
}

/** Monitoring must name a real target (a tracker project or Space). */
function submitMonitoringViolations(monitoring: JobSubmission["monitoring"]): SubmitViolation[] {
  if (!monitoring || typeof monitoring.target !== "string" || monitoring.target.trim() === "") {
    return [{ code: "monitoring-missing", message: "Unexpected job without monitoring, expected a tracker such as a Trackio project" }];
  }
  if (isPlaceholderName(monitoring.target)) {
    return [{ code: "monitoring-placeholder", message: "Unexpected placeholder monitoring target `" + monitoring.target + "`, expected a real one" }];
  }
  return [];
}

/** Job storage is ephemeral: without a real destination the result is lost. */
function submitPersistenceViolations(persistence: JobSubmission["persistence"]): SubmitViolation[] {
  if (!persistence || typeof persistence.destination !== "string" || persistence.destination.trim() === "") {
    return [{ code: "persistence-missing", message: "Unexpected job without a persistence destination, expected a Hub repo (job storage is ephemeral)" }];
  }
  if (isPlaceholderName(persistence.destination)) {
    return [{ code: "persistence-placeholder", message: "Unexpected placeholder destination `" + persistence.destination + "`, expected a real repo id" }];
  }
  return [];
}

/** Owners that only appear in examples and templates. */
export const PLACEHOLDER_OWNERS = [
  "username", "user", "your-username", "your_username", "yourusername", "your-name", "your_name",
  "your-org", "your_org", "your-hf-username", "hf_username", "hf-username", "my-username", "<user>", "<username>",
];

/**
 * Whether a repo id or name is a template placeholder: `username/...`,
 * `<user>/...`, `your-username`, `user/model`, `xxx`, `TODO`, `...`, or an
 * unexpanded `$VAR` / `{var}`.
 */
export function isPlaceholderName(value: string): boolean {
  const text = value.trim().toLowerCase();
  const owner = text.split("/")[0];
  if (PLACEHOLDER_OWNERS.includes(owner)) return true;
  if (/[<>{}$]|\.\.\.|…|xxx|\btodo\b|\btbd\b|\bfixme\b|changeme|your[-_]?(user|name|org|repo|model)/.test(text)) return true;
  return /^(user|username|model|repo|name)$/.test(text);
}
