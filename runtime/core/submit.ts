// Submit invariant: checks run before any billable job, because each of these
// mistakes either loses the run or its result.
import { parseDuration, TIMEOUT_TIERS, type WorkKind } from "./sizing.js";

/** A job about to be submitted, as the runtime describes it. */
export interface JobSubmission {
  code: { kind: "inline" | "url" | "path" | "repo"; value: string } | null;
  timeoutHours: number | string | null | undefined;
  work: WorkKind;
  monitoring: { kind: string; target: string } | null;
  persistence: { destination: string } | null;
  flavor: string | null | undefined;
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
  const violations = [
    ...submitCodeViolations(job.code),
    ...submitTimeoutViolations(job.timeoutHours, job.work),
    ...submitMonitoringViolations(job.monitoring),
    ...submitPersistenceViolations(job.persistence),
  ];
  if (typeof job.flavor !== "string" || job.flavor.trim() === "") {
    violations.push({ code: "flavor-missing", message: "Unexpected job without a hardware flavor, expected one such as `a10g-large`" });
  }
  return { ok: violations.length === 0, violations };
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

/** Inline code that is a single token naming a path is a path in disguise. */
function submitInlineIsPath(value: string): boolean {
  const text = value.trim();
  return !/\s/.test(text) && (looksLikeLocalPath(text) || /^\/home\//.test(text));
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
