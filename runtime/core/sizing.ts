// Timeout and hardware sizing. The platform's 30-minute default timeout kills
// training jobs, so training timeouts come from the model-size tiers.
import { HARDWARE_PRICES_USD_PER_HOUR } from "./ledger.js";

/** Kind of billable work a job does. */
export type WorkKind = "training" | "inference" | "data" | "eval";

/**
 * Timeout tiers in hours. Training: 1–3B 2–4h, 7–13B 4–8h, 30B+ 8–24h, never
 * under the 2h floor. Data, inference and eval: 0.5–1h. `maxParamsB: null`
 * means no upper bound.
 */
export const TIMEOUT_TIERS = {
  trainingFloorHours: 2,
  platformDefaultHours: 0.5,
  training: [
    { label: "1-3B", maxParamsB: 3, minHours: 2, maxHours: 4 },
    { label: "7-13B", maxParamsB: 13, minHours: 4, maxHours: 8 },
    { label: "30B+", maxParamsB: null, minHours: 8, maxHours: 24 },
  ],
  short: { label: "data/inference", minHours: 0.5, maxHours: 1 },
};

/** Shape of `TIMEOUT_TIERS`, so a spec can supply its own table. */
export type TimeoutTiers = typeof TIMEOUT_TIERS;

/**
 * GPU flavors with total VRAM in GB and GPU count. Multi-GPU VRAM only helps
 * a script that shards the model (FSDP, DeepSpeed, device_map).
 */
export const HARDWARE_FLAVORS = {
  "t4-small": { vramGb: 16, gpus: 1 },
  "t4-medium": { vramGb: 16, gpus: 1 },
  "l4x1": { vramGb: 24, gpus: 1 },
  "l4x4": { vramGb: 96, gpus: 4 },
  "a10g-small": { vramGb: 24, gpus: 1 },
  "a10g-large": { vramGb: 24, gpus: 1 },
  "a10g-largex2": { vramGb: 48, gpus: 2 },
  "a10g-largex4": { vramGb: 96, gpus: 4 },
  "l40sx1": { vramGb: 48, gpus: 1 },
  "l40sx4": { vramGb: 192, gpus: 4 },
  "l40sx8": { vramGb: 384, gpus: 8 },
  "a100-large": { vramGb: 80, gpus: 1 },
  "a100x4": { vramGb: 320, gpus: 4 },
  "a100x8": { vramGb: 640, gpus: 8 },
  "h200": { vramGb: 141, gpus: 1 },
  "h200x2": { vramGb: 282, gpus: 2 },
  "h200x4": { vramGb: 564, gpus: 4 },
  "h200x8": { vramGb: 1128, gpus: 8 },
  "rtx-pro-6000": { vramGb: 96, gpus: 1 },
  "rtx-pro-6000x2": { vramGb: 192, gpus: 2 },
  "rtx-pro-6000x4": { vramGb: 384, gpus: 4 },
  "rtx-pro-6000x8": { vramGb: 768, gpus: 8 },
};

/** One GPU flavor's memory. */
export interface FlavorSpec {
  vramGb: number;
  gpus: number;
}

/** Seconds per unit accepted by `parseDuration`. */
export const DURATION_UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parse a duration into hours: a number is seconds (as the HF CLI reads it);
 * a string is `90s`, `30m`, `2h`, `1d`, `1.5h`, `2h30m` or bare seconds.
 * Anything else → null.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value / 3600 : null;
  if (typeof value !== "string") return null;
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) / 3600;
  if (!/^(\d+(\.\d+)?\s*[smhd]\s*)+$/.test(text)) return null;
  let seconds = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)\s*([smhd])/g)) {
    seconds += Number(part[1]) * DURATION_UNIT_SECONDS[part[2] as keyof typeof DURATION_UNIT_SECONDS];
  }
  return seconds / 3600;
}

/** Format hours the way the HF CLI accepts them (`4h`, `30m`). */
export function formatDuration(hours: number): string {
  return Number.isInteger(hours) ? hours + "h" : Math.round(hours * 60) + "m";
}

/**
 * Size a job timeout: the upper bound of the model's tier, because a timeout
 * that is too short loses the run while billing stops when the job ends.
 * Training never gets less than the floor; an unknown size assumes 7–13B.
 */
export function sizeTimeout(job: {
  paramsB?: number | null;
  work: WorkKind;
  tiers?: TimeoutTiers;
}): { timeoutHours: number; timeout: string; basis: string } {
  const tiers = job.tiers ?? TIMEOUT_TIERS;
  if (job.work !== "training") {
    const hours = tiers.short.maxHours;
    return { timeoutHours: hours, timeout: formatDuration(hours), basis: job.work + " job on the " + tiers.short.label + " tier" };
  }
  const known = typeof job.paramsB === "number" && Number.isFinite(job.paramsB) && job.paramsB > 0;
  const tier = known ? sizingTrainingTier(tiers, job.paramsB as number) : tiers.training[Math.min(1, tiers.training.length - 1)];
  const hours = Math.max(tier.maxHours, tiers.trainingFloorHours);
  const size = known ? job.paramsB + "B model" : "unknown model size (assumed)";
  return { timeoutHours: hours, timeout: formatDuration(hours), basis: size + " on the " + tier.label + " training tier" };
}

/** The first training tier whose bound covers the model; sizes between tiers round up. */
function sizingTrainingTier(tiers: TimeoutTiers, paramsB: number): TimeoutTiers["training"][number] {
  const tier = tiers.training.find((entry) => entry.maxParamsB === null || paramsB <= entry.maxParamsB);
  return tier ?? tiers.training[tiers.training.length - 1];
}

/**
 * Memory estimate in GB: billions of params × bytes per param × overhead.
 * The defaults (bf16 weights, +20%) fit inference; full fine-tuning with
 * AdamW needs about 16 bytes per param, LoRA a little over 2.
 */
export function memoryFootprintGb(model: { paramsB: number; bytesPerParam?: number; overhead?: number }): number {
  const gb = model.paramsB * (model.bytesPerParam ?? 2) * (model.overhead ?? 1.2);
  return Math.round(gb * 1000) / 1000;
}

/**
 * The cheapest priced flavor whose VRAM (total, or per GPU with `perGpu`)
 * holds the footprint. Flavors without a price are skipped; none fits →
 * `flavor: null`.
 */
export function sizeHardware(model: {
  paramsB: number;
  bytesPerParam?: number;
  overhead?: number;
  perGpu?: boolean;
  flavors?: Record<string, FlavorSpec>;
  prices?: Record<string, number>;
}): { flavor: string | null; vramGb: number | null; footprintGb: number; priceUsdPerHour: number | null; reason: string } {
  const footprintGb = memoryFootprintGb(model);
  const flavors: Record<string, FlavorSpec> = model.flavors ?? HARDWARE_FLAVORS;
  const prices: Record<string, number> = model.prices ?? HARDWARE_PRICES_USD_PER_HOUR;
  const fits = Object.entries(flavors)
    .filter(([name, spec]) => Object.hasOwn(prices, name) && sizingUsableGb(spec, model.perGpu === true) >= footprintGb)
    .sort(([a, specA], [b, specB]) => prices[a] - prices[b] || specA.vramGb - specB.vramGb || (a < b ? -1 : 1));
  if (fits.length === 0) {
    return { flavor: null, vramGb: null, footprintGb, priceUsdPerHour: null, reason: "no priced flavor has " + footprintGb + " GB of VRAM" };
  }
  const [flavor, spec] = fits[0];
  const reason = footprintGb + " GB footprint fits " + flavor + " (" + spec.vramGb + " GB)";
  return { flavor, vramGb: spec.vramGb, footprintGb, priceUsdPerHour: prices[flavor], reason };
}

/** VRAM a model may use on a flavor. */
function sizingUsableGb(spec: FlavorSpec, perGpu: boolean): number {
  return perGpu ? spec.vramGb / Math.max(1, spec.gpus) : spec.vramGb;
}
