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

/** Plain-data spend ledger: reservations not yet settled, and settled actual costs, in USD. */
export interface Ledger {
  capUsd: number;
  reserved: Record<string, number>;
  settled: Record<string, number>;
}

/** Result of `reserve` / `reserveBatch`; on failure `ledger` is the input, unchanged. */
export type ReserveResult =
  | { ok: true; ledger: Ledger }
  | { ok: false; ledger: Ledger; reason: "over-cap" | "unknown-cost" | "duplicate-key"; key?: string };

/** Convert USD to integer micro-dollars. */
function ledgerMicros(usd: number): number {
  return Math.round(usd * 1e6);
}

/** Sum a USD record in micro-dollars. */
function ledgerSumMicros(record: Record<string, number>): number {
  return Object.values(record).reduce((total, usd) => total + ledgerMicros(usd), 0);
}

/** Whether a cost is a usable number (unknown costs fail closed). */
function ledgerKnownCost(usd: unknown): usd is number {
  return typeof usd === "number" && Number.isFinite(usd) && usd >= 0;
}

/** Create an empty ledger with a spend cap in USD (rounded to micro-dollars). */
export function createLedger(capUsd: number): Ledger {
  const cap = ledgerKnownCost(capUsd) ? ledgerMicros(capUsd) / 1e6 : 0;
  return { capUsd: cap, reserved: {}, settled: {} };
}

/** Money committed so far: settled actual costs plus open reservations, in USD. */
export function ledgerCommitted(ledger: Ledger): number {
  return (ledgerSumMicros(ledger.settled) + ledgerSumMicros(ledger.reserved)) / 1e6;
}

/** Room left under the cap in USD (never negative, even after an over-run). */
export function ledgerRemaining(ledger: Ledger): number {
  const room = ledgerMicros(ledger.capUsd) - ledgerSumMicros(ledger.settled) - ledgerSumMicros(ledger.reserved);
  return Math.max(0, room) / 1e6;
}

/**
 * Reserve `estimateUsd` under `key` if it fits under the cap. Unknown or
 * negative estimates fail closed; a key already reserved or settled is refused.
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
  let room = ledgerMicros(ledger.capUsd) - ledgerSumMicros(ledger.settled) - ledgerSumMicros(ledger.reserved);
  const reserved = { ...ledger.reserved };
  for (const item of items) {
    const taken = Object.hasOwn(reserved, item.key) || Object.hasOwn(ledger.settled, item.key);
    if (taken) return { ok: false, ledger, reason: "duplicate-key", key: item.key };
    if (!ledgerKnownCost(item.estimateUsd)) return { ok: false, ledger, reason: "unknown-cost", key: item.key };
    const micros = ledgerMicros(item.estimateUsd);
    if (micros > room) return { ok: false, ledger, reason: "over-cap", key: item.key };
    room -= micros;
    reserved[item.key] = micros / 1e6;
  }
  return { ok: true, ledger: { capUsd: ledger.capUsd, reserved, settled: { ...ledger.settled } } };
}

/**
 * Settle `key` at its actual cost, moving it out of the reservations. An
 * actual above the estimate is recorded as is (later reservations see less
 * room); an unknown actual settles at the reserved estimate. Spend under a
 * key that was never reserved is still recorded, and adds to an earlier
 * settlement under the same key.
 */
export function settle(ledger: Ledger, key: string, actualUsd: number | null | undefined): Ledger {
  const reserved = { ...ledger.reserved };
  const estimate = Object.hasOwn(reserved, key) ? reserved[key] : 0;
  delete reserved[key];
  const actual = ledgerKnownCost(actualUsd) ? actualUsd : estimate;
  const before = Object.hasOwn(ledger.settled, key) ? ledger.settled[key] : 0;
  const settled = { ...ledger.settled, [key]: (ledgerMicros(before) + ledgerMicros(actual)) / 1e6 };
  return { capUsd: ledger.capUsd, reserved, settled };
}

/** Drop a reservation whose action never ran (for example a refused submit). */
export function releaseReservation(ledger: Ledger, key: string): Ledger {
  const reserved = { ...ledger.reserved };
  delete reserved[key];
  return { capUsd: ledger.capUsd, reserved, settled: { ...ledger.settled } };
}

/**
 * Worst-case job cost: hourly price × timeout hours (billing stops earlier if
 * the job ends, never later). Unknown flavor or unusable timeout → null.
 */
export function estimateJobCost(job: {
  flavor: string | null | undefined;
  timeoutHours: number | null | undefined;
  prices?: Record<string, number>;
}): number | null {
  const prices: Record<string, number> = job.prices ?? HARDWARE_PRICES_USD_PER_HOUR;
  if (typeof job.flavor !== "string" || !Object.hasOwn(prices, job.flavor)) return null;
  const price = prices[job.flavor];
  const hours = job.timeoutHours;
  if (!ledgerKnownCost(price) || !ledgerKnownCost(hours) || hours === 0) return null;
  return ledgerMicros(price * hours) / 1e6;
}
