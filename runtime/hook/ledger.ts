// The project spend ledger the hook keeps (`.specc/spend.json`), keyed by run. The rule: the cost cap
// bounds each run; a run is named by the hook's environment (`SPECC_RUN_ID`, set by whoever starts
// Claude Code or by the runner) or else by the Claude Code session the call comes from. Neither can
// be chosen by the agent: text in the command never names a run. So a reservation an older run made
// (its worst case, never settled by the hook) counts only against that run and never starves a
// later one, while the agents of one run, however many calls they make, share one cap. The project
// total across runs is kept for people to read. A ledger the hook cannot read blocks.
import { createLedger, ledgerCommitted, reserve, type Ledger } from "../core/ledger.js";
import type { HookJob } from "./decide.js";

/** One run's reservations and settled costs (USD), keyed by job. */
export interface HookRunLedger {
  reserved: { [key: string]: number };
  settled: { [key: string]: number };
}

/** The ledger file: every run's ledger, by run id. */
export interface HookLedgerFile {
  version: 2;
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
  if (text === null) return { version: 2, runs };
  const data: unknown = JSON.parse(text);
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("the spend ledger is not a JSON object");
  const object = data as { [key: string]: unknown };
  if (object.version === undefined && "reserved" in object) {
    // A ledger from before runs were kept apart: its spend stays on record under its own run.
    const reserved = hookCostRecord(object.reserved);
    const settled = hookCostRecord(object.settled);
    if (reserved === null || settled === null) throw new Error("the spend ledger is malformed");
    runs.legacy = { reserved, settled };
    return { version: 2, runs };
  }
  if (object.version !== 2 || object.runs === null || typeof object.runs !== "object" || Array.isArray(object.runs)) throw new Error("the spend ledger is malformed");
  for (const [runId, run] of Object.entries(object.runs as { [key: string]: unknown })) {
    if (!HOOK_ID_PATTERN.test(runId) || run === null || typeof run !== "object") throw new Error("the spend ledger is malformed");
    const reserved = hookCostRecord((run as { reserved?: unknown }).reserved);
    const settled = hookCostRecord((run as { settled?: unknown }).settled);
    if (reserved === null || settled === null) throw new Error("the spend ledger is malformed");
    runs[runId] = { reserved, settled };
  }
  return { version: 2, runs };
}

/** The ledger file as text: sorted runs, one final newline. */
export function hookFormatLedger(file: HookLedgerFile): string {
  const runs: { [runId: string]: HookRunLedger } = {};
  for (const runId of Object.keys(file.runs).sort()) runs[runId] = file.runs[runId];
  return JSON.stringify({ version: 2, runs }, null, 2) + "\n";
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
): { ok: true; file: HookLedgerFile; keys: string[] } | { ok: false; reason: string } {
  const run = Object.hasOwn(file.runs, runId) ? file.runs[runId] : { reserved: {}, settled: {} };
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
  const runs: { [runId: string]: HookRunLedger } = Object.create(null);
  for (const [id, other] of Object.entries(file.runs)) runs[id] = other;
  runs[runId] = { reserved: ledger.reserved, settled: ledger.settled };
  return { ok: true, file: { version: 2, runs }, keys };
}
