// A job's cost from the provider's own record, never from what an agent says it cost: the billed
// minutes (start to finish, rounded up, as the provider bills) times the hourly price of the
// flavor the record says ran. Only a finished job has a cost; a running one is still its
// reservation. The record is read by the guard itself (an HTTP call with the user's credentials),
// so an agent cannot choose what comes back.
import { HARDWARE_PRICES_USD_PER_HOUR, LEDGER_MAX_USD } from "./ledger.js";

/** What the guard needs of a provider's job record (the HF Jobs API's `ApiJob`, open strings). */
export interface ProviderJobRecord {
  id: string;
  stage: string;
  flavor: string;
  createdAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

/** Stages of a job that still bills or may start billing. */
const JOB_STAGES_OPEN = ["RUNNING", "SCHEDULING", "STARTING", "QUEUED", "PENDING", "UPDATING", "PAUSED", "DELETING"];

/**
 * A record from the provider's JSON, or null when it is not one (wrong shape, bad dates). The core
 * reads no clock or calendar: the caller passes the host's ISO date reader.
 */
export function providerJobRecord(data: unknown, parseTime: (text: string) => number): ProviderJobRecord | null {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
  const job = data as { [key: string]: unknown };
  const status = job.status !== null && typeof job.status === "object" ? (job.status as { [key: string]: unknown }) : null;
  const stage = typeof status?.stage === "string" ? status.stage.toUpperCase() : null;
  if (typeof job.id !== "string" || typeof job.flavor !== "string" || stage === null) return null;
  const createdAt = jobTime(job.createdAt, parseTime);
  const startedAt = jobTime(job.startedAt, parseTime);
  const finishedAt = jobTime(job.finishedAt, parseTime);
  if (createdAt === undefined || startedAt === undefined || finishedAt === undefined) return null;
  return { id: job.id, stage, flavor: job.flavor, createdAt, startedAt, finishedAt };
}

/** Milliseconds of an ISO date, null when absent, undefined when present but unreadable. */
function jobTime(value: unknown, parseTime: (text: string) => number): number | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return undefined;
  const ms = parseTime(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export type JobCost = { ok: true; usd: number; minutes: number } | { ok: false; reason: string };

/**
 * The cost of a finished job: billed minutes (rounded up) × the flavor's hourly price / 60. A job
 * still open, a finish without a start that is not a job that never ran, an unknown flavor, or
 * times that run backwards give no cost (the reservation stands).
 */
export function verifiedJobCost(record: ProviderJobRecord, prices: { [flavor: string]: number } = HARDWARE_PRICES_USD_PER_HOUR): JobCost {
  if (JOB_STAGES_OPEN.includes(record.stage) || record.finishedAt === null) return { ok: false, reason: `the job is ${record.stage.toLowerCase()}, not finished` };
  if (!Object.hasOwn(prices, record.flavor)) return { ok: false, reason: `no price for the flavor \`${record.flavor}\`` };
  const price = prices[record.flavor];
  if (typeof price !== "number" || !Number.isFinite(price) || price < 0) return { ok: false, reason: `no price for the flavor \`${record.flavor}\`` };
  if (record.startedAt === null) return { ok: true, usd: 0, minutes: 0 }; // it ended before it ever ran: nothing billed
  const ms = record.finishedAt - record.startedAt;
  if (ms < 0) return { ok: false, reason: "the record finishes before it starts" };
  const minutes = Math.ceil(ms / 60_000);
  const usd = Math.round(((minutes * price) / 60) * 1e6) / 1e6;
  return usd <= LEDGER_MAX_USD ? { ok: true, usd, minutes } : { ok: false, reason: "the cost is out of range" };
}
