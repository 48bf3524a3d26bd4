// The project spend ledger the hook keeps (`.specc/spend.json`), keyed by run. The rule: the cost cap
// bounds each run; a run is named by the hook's environment (`SPECC_RUN_ID`, set by whoever starts
// Claude Code or by the runner) or else by the Claude Code session the call comes from. Neither can
// be chosen by the agent: text in the command never names a run. So a reservation an older run made
// (its worst case, never settled by the hook) counts only against that run and never starves a
// later one, while the agents of one run, however many calls they make, share one cap. The project
// total across runs is kept for people to read. A ledger the hook cannot read blocks.
import { createLedger, ledgerCommitted, reserve, type Ledger } from "../core/ledger.js";
import type { HookJob } from "./decide.js";

/** What the guard knows of a reserved job: what it priced, and the provider's id once the submit printed it. */
export interface HookJobEntry {
  flavor: string;
  priceUsdPerHour: number;
  /** When the guard reserved it (ms since the epoch): the provider's record must not be older. */
  reservedAt: number;
  /** The tool call that submitted it. */
  call: string | null;
  /** The provider's job, read from that call's own output; null until then. */
  job: { namespace: string | null; id: string } | null;
}

/** One run's reservations and settled costs (USD), keyed by job, and what it knows of each job. */
export interface HookRunLedger {
  reserved: { [key: string]: number };
  settled: { [key: string]: number };
  jobs: { [key: string]: HookJobEntry };
  /** How each settled job was settled: `verified` (the provider's record) or `reserved` (worst case). */
  how: { [key: string]: "verified" | "reserved" };
}

/** The ledger file: every run's ledger, by run id. */
export interface HookLedgerFile {
  version: 3;
  runs: { [runId: string]: HookRunLedger };
}

/** Run ids and job keys the ledger accepts: plain names, so no key can reach an object's prototype. */
export const HOOK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The run the hook charges: the environment's run id, else the session's, else `default`. */
export function hookRunId(envRunId: string | undefined, sessionId: unknown): { ok: true; runId: string } | { ok: false; reason: string } {
  if (envRunId !== undefined && envRunId !== "") {
    if (!HOOK_ID_PATTERN.test(envRunId)) return { ok: false, reason: `the run id ${JSON.stringify(envRunId.slice(0, 80))} is not a plain name` };
    return { ok: true, runId: envRunId };
  }
  if (typeof sessionId === "string" && sessionId !== "") {
    if (!HOOK_ID_PATTERN.test(sessionId)) return { ok: false, reason: "the session id is not a plain name" };
    return { ok: true, runId: `session-${sessionId}` };
  }
  return { ok: true, runId: "default" };
}

function hookCostRecord(value: unknown): { [key: string]: number } | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const record: { [key: string]: number } = Object.create(null);
  for (const [key, usd] of Object.entries(value)) {
    if (!HOOK_ID_PATTERN.test(key) || typeof usd !== "number" || !Number.isFinite(usd) || usd < 0 || usd > 1e9) return null;
    record[key] = usd;
  }
  return record;
}

/** Read the ledger file's text (null: no file yet). Throws on anything malformed. */
export function hookParseLedger(text: string | null): HookLedgerFile {
  const runs: { [runId: string]: HookRunLedger } = Object.create(null);
  if (text === null) return { version: 3, runs };
  const data: unknown = JSON.parse(text);
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("the spend ledger is not a JSON object");
  const object = data as { [key: string]: unknown };
  if (object.version === undefined && "reserved" in object) {
    // A ledger from before runs were kept apart: its spend stays on record under its own run.
    const reserved = hookCostRecord(object.reserved);
    const settled = hookCostRecord(object.settled);
    if (reserved === null || settled === null) throw new Error("the spend ledger is malformed");
    runs.legacy = { reserved, settled, jobs: Object.create(null), how: Object.create(null) };
    return { version: 3, runs };
  }
  if ((object.version !== 2 && object.version !== 3) || object.runs === null || typeof object.runs !== "object" || Array.isArray(object.runs)) throw new Error("the spend ledger is malformed");
  for (const [runId, run] of Object.entries(object.runs as { [key: string]: unknown })) {
    if (!HOOK_ID_PATTERN.test(runId) || run === null || typeof run !== "object") throw new Error("the spend ledger is malformed");
    const fields = run as { [key: string]: unknown };
    const reserved = hookCostRecord(fields.reserved);
    const settled = hookCostRecord(fields.settled);
    const jobs = hookJobRecord(fields.jobs ?? {});
    const how = hookHowRecord(fields.how ?? {});
    if (reserved === null || settled === null || jobs === null || how === null) throw new Error("the spend ledger is malformed");
    runs[runId] = { reserved, settled, jobs, how };
  }
  return { version: 3, runs };
}

function hookJobRecord(value: unknown): { [key: string]: HookJobEntry } | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const record: { [key: string]: HookJobEntry } = Object.create(null);
  for (const [key, entry] of Object.entries(value)) {
    if (!HOOK_ID_PATTERN.test(key) || entry === null || typeof entry !== "object") return null;
    const { flavor, priceUsdPerHour, reservedAt, call, job } = entry as { [name: string]: unknown };
    if (typeof flavor !== "string" || typeof priceUsdPerHour !== "number" || !Number.isFinite(priceUsdPerHour) || typeof reservedAt !== "number" || !Number.isFinite(reservedAt)) return null;
    if (call !== null && (typeof call !== "string" || !HOOK_ID_PATTERN.test(call))) return null;
    let provider: HookJobEntry["job"] = null;
    if (job !== null && job !== undefined) {
      const { namespace, id } = job as { [name: string]: unknown };
      if (typeof id !== "string" || !HOOK_ID_PATTERN.test(id) || (namespace !== null && (typeof namespace !== "string" || !HOOK_ID_PATTERN.test(namespace)))) return null;
      provider = { namespace: namespace as string | null, id };
    }
    record[key] = { flavor, priceUsdPerHour, reservedAt, call: call as string | null, job: provider };
  }
  return record;
}

function hookHowRecord(value: unknown): { [key: string]: "verified" | "reserved" } | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const record: { [key: string]: "verified" | "reserved" } = Object.create(null);
  for (const [key, how] of Object.entries(value)) {
    if (!HOOK_ID_PATTERN.test(key) || (how !== "verified" && how !== "reserved")) return null;
    record[key] = how;
  }
  return record;
}

/** The ledger file as text: sorted runs, one final newline. */
export function hookFormatLedger(file: HookLedgerFile): string {
  const runs: { [runId: string]: HookRunLedger } = {};
  for (const runId of Object.keys(file.runs).sort()) runs[runId] = file.runs[runId];
  return JSON.stringify({ version: 3, runs }, null, 2) + "\n";
}

function hookMoney(usd: number): string {
  return "$" + (Math.round(usd * 100) / 100).toFixed(2);
}

/** Money committed across every run: for people, not for the cap. */
export function hookProjectTotal(file: HookLedgerFile): number {
  let micros = 0;
  for (const run of Object.values(file.runs)) micros += Math.round(ledgerCommitted({ capUsd: 0, reserved: run.reserved, settled: run.settled }) * 1e6);
  return micros / 1e6;
}

/** Reserve every job's worst case under the run's cap, all or nothing. */
export function hookReserveJobs(
  file: HookLedgerFile,
  runId: string,
  jobs: HookJob[],
  capUsd: number,
  capHelp: string,
  at: { now: number; call: string | null } = { now: 0, call: null },
): { ok: true; file: HookLedgerFile; keys: string[] } | { ok: false; reason: string } {
  const run = hookRunOf(file, runId);
  let ledger: Ledger = { ...createLedger(capUsd), reserved: { ...run.reserved }, settled: { ...run.settled } };
  const keys: string[] = [];
  for (const job of jobs) {
    let index = Object.keys(ledger.reserved).length + Object.keys(ledger.settled).length + 1;
    while (Object.hasOwn(ledger.reserved, `job-${index}`) || Object.hasOwn(ledger.settled, `job-${index}`)) index++;
    const key = `job-${index}`;
    const result = reserve(ledger, { key, estimateUsd: job.estimateUsd });
    if (!result.ok) {
      return {
        ok: false,
        reason:
          `the job on ${job.flavor} for ${job.hours}h could cost ${hookMoney(job.estimateUsd)} (${hookMoney(job.priceUsdPerHour)}/h) but ${hookMoney(ledgerCommitted(ledger))} ` +
          `of this run's ${hookMoney(ledger.capUsd)} cap is already committed (${result.reason}); the job is not submitted. ${capHelp}`,
      };
    }
    ledger = result.ledger;
    keys.push(key);
  }
  const entries: { [key: string]: HookJobEntry } = Object.create(null);
  for (const [key, entry] of Object.entries(run.jobs)) entries[key] = entry;
  jobs.forEach((job, index) => {
    entries[keys[index]] = { flavor: job.flavor, priceUsdPerHour: job.priceUsdPerHour, reservedAt: at.now, call: at.call, job: null };
  });
  return { ok: true, file: hookWithRun(file, runId, { reserved: ledger.reserved, settled: ledger.settled, jobs: entries, how: run.how }), keys };
}

/** A run's ledger (empty when the run has none yet). */
export function hookRunOf(file: HookLedgerFile, runId: string): HookRunLedger {
  return Object.hasOwn(file.runs, runId) ? file.runs[runId] : { reserved: Object.create(null), settled: Object.create(null), jobs: Object.create(null), how: Object.create(null) };
}

/** The file with one run's ledger replaced. */
export function hookWithRun(file: HookLedgerFile, runId: string, run: HookRunLedger): HookLedgerFile {
  const runs: { [runId: string]: HookRunLedger } = Object.create(null);
  for (const [id, other] of Object.entries(file.runs)) runs[id] = other;
  runs[runId] = run;
  return { version: 3, runs };
}
