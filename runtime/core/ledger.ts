// Spend ledger for cost-capped autonomous approval. Amounts are summed in
// integer micro-dollars so float drift can never let a reservation past the cap.

/**
 * Static fallback prices in USD per hour (hub-docs `jobs-pricing.md`). Live
 * prices from `GET /api/jobs/hardware` should be passed in when available.
 */
export const HARDWARE_PRICES_USD_PER_HOUR = {
  "cpu-basic": 0.01,
  "cpu-upgrade": 0.03,
  "cpu-xl": 1.0,
  "cpu-performance": 1.9,
  "t4-small": 0.4,
  "t4-medium": 0.6,
  "l4x1": 0.8,
  "l4x4": 3.8,
  "l40sx1": 1.8,
  "l40sx4": 8.3,
  "l40sx8": 23.5,
  "a10g-small": 1.0,
  "a10g-large": 1.5,
  "a10g-largex2": 3.0,
  "a10g-largex4": 5.0,
  "a100-large": 2.5,
  "a100x4": 10.0,
  "a100x8": 20.0,
  "h200": 5.0,
  "h200x2": 10.0,
  "h200x4": 20.0,
  "h200x8": 40.0,
  "rtx-pro-6000": 2.75,
  "rtx-pro-6000x2": 5.5,
  "rtx-pro-6000x4": 11.0,
  "rtx-pro-6000x8": 22.0,
};

/**
 * Largest amount the ledger holds, in USD. Anything larger (a settlement of
 * `Number.MAX_VALUE`, a corrupted entry) is stored as this, so every sum stays
 * a finite integer of micro-dollars and is still far over any cap.
 */
export const LEDGER_MAX_USD = 1e9;

/**
 * Plain-data spend ledger: reservations not yet settled, and settled costs, in
 * USD. Both records are prototype-free (`Object.create(null)`), so a key such
 * as `__proto__` is an ordinary entry.
 */
export interface Ledger {
  capUsd: number;
  reserved: Record<string, number>;
  settled: Record<string, number>;
}

/** Result of `reserve` / `reserveBatch`; on failure `ledger` is the input, unchanged. */
export type ReserveResult =
  | { ok: true; ledger: Ledger }
  | { ok: false; ledger: Ledger; reason: "over-cap" | "unknown-cost" | "duplicate-key" | "invalid-key"; key?: string };

/** A prototype-free copy of a record's own enumerable entries (no entry can reach `Object.prototype`). */
export function protoFreeRecord<T>(source?: { [key: string]: T } | null): { [key: string]: T } {
  const copy: { [key: string]: T } = Object.create(null);
  if (source === null || source === undefined || typeof source !== "object") return copy;
  for (const key of Object.keys(source)) copy[key] = source[key];
  return copy;
}

/** Whether a cost is a usable number (unknown costs fail closed). */
function ledgerKnownCost(usd: unknown): usd is number {
  return typeof usd === "number" && Number.isFinite(usd) && usd >= 0;
}

/** Convert a known USD amount to integer micro-dollars, clamped to `LEDGER_MAX_USD`. */
function ledgerMicros(usd: number): number {
  return Math.round(Math.min(usd, LEDGER_MAX_USD) * 1e6);
}

/** A stored amount in micro-dollars; an unusable one (corrupted data) counts as the maximum, so it blocks. */
function ledgerEntryMicros(usd: unknown): number {
  return ledgerKnownCost(usd) ? ledgerMicros(usd) : ledgerMicros(LEDGER_MAX_USD);
}

/** Sum a USD record in micro-dollars (finite: every entry is clamped). */
function ledgerSumMicros(record: Record<string, number>): number {
  if (record === null || typeof record !== "object") return 0;
  return Object.keys(record).reduce((total, key) => total + ledgerEntryMicros(record[key]), 0);
}

/** The cap in micro-dollars; an unusable cap is 0 (nothing fits). */
function ledgerCapMicros(ledger: Ledger): number {
  return ledgerKnownCost(ledger.capUsd) ? ledgerMicros(ledger.capUsd) : 0;
}

/** Micro-dollars left under the cap (negative after an over-run). */
function ledgerRoomMicros(ledger: Ledger): number {
  return ledgerCapMicros(ledger) - ledgerSumMicros(ledger.settled) - ledgerSumMicros(ledger.reserved);
}

/** A record entry in USD, or 0 when the key is absent. */
function ledgerEntry(record: Record<string, number>, key: string): number {
  return record !== null && typeof record === "object" && Object.hasOwn(record, key) ? ledgerEntryMicros(record[key]) / 1e6 : 0;
}

/** Create an empty ledger with a spend cap in USD (rounded to micro-dollars, at most `LEDGER_MAX_USD`; unusable → 0). */
export function createLedger(capUsd: number): Ledger {
  const cap = ledgerKnownCost(capUsd) ? ledgerMicros(capUsd) / 1e6 : 0;
  return { capUsd: cap, reserved: protoFreeRecord<number>(), settled: protoFreeRecord<number>() };
}

/** Money committed so far: settled costs plus open reservations, in USD (always finite). */
export function ledgerCommitted(ledger: Ledger): number {
  return (ledgerSumMicros(ledger.settled) + ledgerSumMicros(ledger.reserved)) / 1e6;
}

/** Room left under the cap in USD (never negative, even after an over-run). */
export function ledgerRemaining(ledger: Ledger): number {
  return Math.max(0, ledgerRoomMicros(ledger)) / 1e6;
}

/**
 * Reserve `estimateUsd` under `key` if it fits under the cap. Unknown,
 * negative or non-finite estimates fail closed; a key already reserved or
 * settled is refused, and so is an empty or non-string key.
 */
export function reserve(ledger: Ledger, item: { key: string; estimateUsd: number | null | undefined }): ReserveResult {
  return reserveBatch(ledger, [item]);
}

/**
 * Reserve several items all-or-nothing, so two actions approved together can
 * never jointly exceed the cap.
 */
export function reserveBatch(
  ledger: Ledger,
  items: { key: string; estimateUsd: number | null | undefined }[],
): ReserveResult {
  let room = ledgerRoomMicros(ledger);
  const reserved = protoFreeRecord(ledger.reserved);
  const settledBefore = protoFreeRecord(ledger.settled);
  for (const item of Array.isArray(items) ? items : []) {
    const key = item ? item.key : undefined;
    if (typeof key !== "string" || key === "") return { ok: false, ledger, reason: "invalid-key", key: String(key) };
    if (Object.hasOwn(reserved, key) || Object.hasOwn(settledBefore, key)) return { ok: false, ledger, reason: "duplicate-key", key };
    if (!ledgerKnownCost(item.estimateUsd) || item.estimateUsd > LEDGER_MAX_USD) return { ok: false, ledger, reason: "unknown-cost", key };
    const micros = ledgerMicros(item.estimateUsd);
    if (micros > room) return { ok: false, ledger, reason: "over-cap", key };
    room -= micros;
    reserved[key] = micros / 1e6;
  }
  return { ok: true, ledger: { capUsd: ledger.capUsd, reserved, settled: settledBefore } };
}

/**
 * Settle `key`, moving it out of the reservations. The amount is never taken
 * from the agent's word alone: a `verifiedUsd` (the result of a read-only
 * check, such as the provider's own record of the job) is recorded as is;
 * otherwise the settlement is the larger of the reported cost and the
 * reservation, so a report below the reservation cannot free room under the
 * cap, and a report above it is taken (and can put the ledger over the cap).
 * An unknown report settles at the reservation. Spend under a key that was
 * never reserved is still recorded, and adds to an earlier settlement under
 * the same key. Amounts are clamped to `LEDGER_MAX_USD` (never Infinity).
 */
export function settle(ledger: Ledger, key: string, reportedUsd: number | null | undefined, verifiedUsd?: number | null): Ledger {
  const reserved = protoFreeRecord(ledger.reserved);
  const settled = protoFreeRecord(ledger.settled);
  const estimate = ledgerEntry(reserved, key);
  delete reserved[key];
  const amount = settleAmount(estimate, reportedUsd, verifiedUsd);
  settled[key] = (ledgerMicros(ledgerEntry(settled, key)) + ledgerMicros(amount)) / 1e6;
  return { capUsd: ledger.capUsd, reserved, settled };
}

/** What a settlement records: the verified cost, else max(reported, reservation), clamped to `LEDGER_MAX_USD`. */
export function settleAmount(reservedUsd: number, reportedUsd: unknown, verifiedUsd?: unknown): number {
  if (ledgerKnownCost(verifiedUsd)) return Math.min(verifiedUsd, LEDGER_MAX_USD);
  const floor = ledgerKnownCost(reservedUsd) ? reservedUsd : 0;
  const reported = typeof reportedUsd === "number" && reportedUsd === Infinity ? LEDGER_MAX_USD : reportedUsd;
  return Math.min(Math.max(floor, ledgerKnownCost(reported) ? reported : 0), LEDGER_MAX_USD);
}

/** Drop a reservation whose action never ran (for example a refused submit). */
export function releaseReservation(ledger: Ledger, key: string): Ledger {
  const reserved = protoFreeRecord(ledger.reserved);
  delete reserved[key];
  return { capUsd: ledger.capUsd, reserved, settled: protoFreeRecord(ledger.settled) };
}

/**
 * Worst-case job cost: hourly price × timeout hours (billing stops earlier if
 * the job ends, never later). Unknown flavor, unusable timeout or a cost
 * over `LEDGER_MAX_USD` → null (unknown: fails closed).
 */
export function estimateJobCost(job: {
  flavor: string | null | undefined;
  timeoutHours: number | null | undefined;
  prices?: Record<string, number>;
}): number | null {
  const prices: Record<string, number> = job.prices !== null && typeof job.prices === "object" ? job.prices : HARDWARE_PRICES_USD_PER_HOUR;
  if (typeof job.flavor !== "string" || !Object.hasOwn(prices, job.flavor)) return null;
  const price = prices[job.flavor];
  const hours = job.timeoutHours;
  if (!ledgerKnownCost(price) || !ledgerKnownCost(hours) || hours === 0) return null;
  const cost = price * hours;
  return Number.isFinite(cost) && cost <= LEDGER_MAX_USD ? ledgerMicros(cost) / 1e6 : null;
}
