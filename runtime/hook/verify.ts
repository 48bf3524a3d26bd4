// Settling the spend guard's reservations with the provider's own record. The submit call's output
// names the job (read by the guard from the tool's response, not from anything an agent reports);
// the guard then asks the provider, with the user's credentials, what that job ran and for how long,
// and settles the reservation at that cost. A job still running, a record that does not match what
// was reserved (another flavor, created before the reservation, already claimed by another
// reservation) or no answer leaves the worst case standing: the guard never settles lower on a guess.
import { providerJobRecord, verifiedJobCost } from "../core/job-cost.js";
import { createLedger, settle } from "../core/ledger.js";
import type { HookLedgerFile } from "./ledger.js";
import { HOOK_ID_PATTERN, hookRunOf, hookWithRun } from "./ledger.js";

/** How the guard finds and reads a job's record at the provider: data from the target, no code. */
export interface HookProviderConfig {
  /** The API path of one job's record, with `{namespace}` and `{id}`. */
  recordPath: string;
  /** The API path that names the user (its JSON has `name`), for output that gives no namespace. */
  whoamiPath: string;
  /** The environment variable that overrides the provider's endpoint, and the default. */
  endpointEnv: string;
  defaultEndpoint: string;
  /** Environment variables holding the user's token, in order, and a token file under HOME. */
  tokenEnvs: string[];
  tokenFile: string | null;
  /** A job's URL in the submit output (groups: namespace, id), and a bare job id (group: id). */
  jobUrlPattern: string;
  jobIdPattern: string;
  /** The submit command's flag naming the namespace. */
  namespaceFlag: string;
}

/** What the guard can ask the provider (network in the hook, a stand-in in tests). */
export interface HookProviderAccess {
  record(namespace: string, id: string): Promise<unknown>;
  whoami(): Promise<string | null>;
  /** Reads the record's ISO dates (ms since the epoch, NaN when unreadable). */
  parseTime(text: string): number;
}

/** One job the submit output names. */
export interface HookJobRef {
  namespace: string | null;
  id: string;
}

/** The jobs a submit call's output names, in order: their URLs, else bare ids; each once. */
export function hookJobRefs(output: string, provider: HookProviderConfig): HookJobRef[] {
  const text = output.length > 1_000_000 ? output.slice(0, 1_000_000) : output;
  const refs: HookJobRef[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(new RegExp(provider.jobUrlPattern, "g"))) {
    if (!seen.has(match[2]) && HOOK_ID_PATTERN.test(match[1]) && HOOK_ID_PATTERN.test(match[2])) refs.push({ namespace: match[1], id: match[2] });
    seen.add(match[2]);
  }
  if (refs.length > 0) return refs;
  for (const match of text.matchAll(new RegExp(provider.jobIdPattern, "g"))) {
    if (!seen.has(match[1]) && HOOK_ID_PATTERN.test(match[1])) refs.push({ namespace: null, id: match[1] });
    seen.add(match[1]);
  }
  return refs;
}

/**
 * Attach the jobs a call's output names to the reservations that call made, in order. Nothing is
 * attached when the counts differ or a job is already attached anywhere in the ledger: an output
 * that names someone else's job (an old, cheap one) must not settle this reservation.
 */
export function hookAttachJobs(file: HookLedgerFile, runId: string, call: string, refs: HookJobRef[], namespace: string | null): { file: HookLedgerFile; attached: number } {
  const run = hookRunOf(file, runId);
  const keys = Object.keys(run.jobs)
    .filter((key) => run.jobs[key].call === call && run.jobs[key].job === null && Object.hasOwn(run.reserved, key))
    .sort(hookKeyOrder);
  if (keys.length === 0 || keys.length !== refs.length) return { file, attached: 0 };
  const claimed = new Set(Object.values(file.runs).flatMap((other) => Object.values(other.jobs).flatMap((entry) => (entry.job ? [entry.job.id] : []))));
  if (refs.some((ref) => claimed.has(ref.id))) return { file, attached: 0 };
  const jobs = { ...run.jobs };
  keys.forEach((key, index) => {
    jobs[key] = { ...jobs[key], job: { namespace: refs[index].namespace ?? namespace, id: refs[index].id } };
  });
  return { file: hookWithRun(file, runId, { ...run, jobs }), attached: keys.length };
}

function hookKeyOrder(a: string, b: string): number {
  return Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A settlement the provider's record supports, or why a reservation stands. */
export type HookSettlement = { key: string; usd: number; minutes: number } | { key: string; open: string };

/**
 * Ask the provider about the reserved jobs of a run that have a job id, and settle the finished
 * ones at their verified cost. At most `limit` jobs are asked per call, oldest first (each request
 * may take 5 s and the hook has 30); failures leave the reservation.
 */
export async function hookVerifyJobs(file: HookLedgerFile, runId: string, access: HookProviderAccess, limit = 4): Promise<HookSettlement[]> {
  const run = hookRunOf(file, runId);
  const results: HookSettlement[] = [];
  let namespace: string | null | undefined;
  const keys = Object.keys(run.reserved).sort(hookKeyOrder);
  for (const key of keys.filter((candidate) => !Object.hasOwn(run.jobs, candidate) || run.jobs[candidate].job === null)) {
    results.push({ key, open: "the submit output named no job the guard could attach" });
  }
  for (const key of keys.filter((candidate) => Object.hasOwn(run.jobs, candidate) && run.jobs[candidate].job !== null).slice(0, limit)) {
    const entry = run.jobs[key];
    if (!entry.job) continue;
    if (entry.job.namespace === null && namespace === undefined) namespace = await access.whoami().catch(() => null);
    const owner = entry.job.namespace ?? namespace ?? null;
    if (owner === null || !HOOK_ID_PATTERN.test(owner)) {
      results.push({ key, open: "no namespace for the job" });
      continue;
    }
    let data: unknown;
    try {
      data = await access.record(owner, entry.job.id);
    } catch (error) {
      results.push({ key, open: `the provider did not answer (${String((error as { message?: unknown })?.message ?? error)})` });
      continue;
    }
    const record = providerJobRecord(data, access.parseTime);
    if (record === null) results.push({ key, open: "the provider's answer is not a job record" });
    else if (record.id !== entry.job.id) results.push({ key, open: "the record is of another job" });
    else if (record.flavor !== entry.flavor) results.push({ key, open: `the record ran on ${record.flavor}, not the ${entry.flavor} the guard priced` });
    else if (record.createdAt !== null && record.createdAt < entry.reservedAt - 300_000) results.push({ key, open: "the job is older than its reservation" });
    else {
      const cost = verifiedJobCost(record, { [entry.flavor]: entry.priceUsdPerHour });
      results.push(cost.ok ? { key, usd: cost.usd, minutes: cost.minutes } : { key, open: cost.reason });
    }
  }
  return results;
}

/** Apply verified settlements to the ledger as it is now (it may have changed while the provider was asked). */
export function hookApplySettlements(file: HookLedgerFile, runId: string, settlements: HookSettlement[]): HookLedgerFile {
  const run = hookRunOf(file, runId);
  let ledger = { ...createLedger(0), reserved: { ...run.reserved }, settled: { ...run.settled } };
  const how = { ...run.how };
  for (const settlement of settlements) {
    if (!("usd" in settlement) || !Object.hasOwn(ledger.reserved, settlement.key)) continue;
    ledger = settle(ledger, settlement.key, null, settlement.usd);
    how[settlement.key] = "verified";
  }
  return hookWithRun(file, runId, { ...run, reserved: ledger.reserved, settled: ledger.settled, how });
}
