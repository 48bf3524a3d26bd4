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

/**
 * Bytes per parameter while training, by method: full fine-tuning with AdamW
 * keeps bf16 weights and gradients, fp32 master weights and two fp32 moments
 * (about 16); LoRA keeps frozen bf16 weights plus small adapters and their
 * optimizer state (about 2.5); QLoRA 4-bit weights (about 0.75).
 */
export const TRAINING_BYTES_PER_PARAM = { full: 16, lora: 2.5, qlora: 0.75 };

/** Activation memory while training, as a share on top of weights and optimizer state. */
export const TRAINING_ACTIVATION_OVERHEAD = 1.3;

/** A flavor priced more than this many times the cheapest one that fits is oversized (one L40S for a 0.5B model, 4.5×, is the published run and passes). */
export const FLAVOR_OVERSIZE_FACTOR = 5;

/** The memory profile of a training method named in free text (unknown → full fine-tuning, the largest). */
export function trainingMethodOf(method: unknown): keyof typeof TRAINING_BYTES_PER_PARAM {
  const text = typeof method === "string" ? method.toLowerCase() : "";
  if (/q-?lora|4-?bit|nf4|bnb/.test(text)) return "qlora";
  if (/lora|peft|adapter|prefix|prompt-?tuning|ia3/.test(text)) return "lora";
  return "full";
}

/**
 * Memory a job needs in GB: inference, data and eval hold the bf16 weights
 * (+20%); training adds gradients, optimizer state and activations by method.
 */
export function workFootprintGb(job: { paramsB: number; work: WorkKind; method?: unknown }): number {
  if (job.work !== "training") return memoryFootprintGb({ paramsB: job.paramsB });
  const bytes = TRAINING_BYTES_PER_PARAM[trainingMethodOf(job.method)];
  return memoryFootprintGb({ paramsB: job.paramsB, bytesPerParam: bytes, overhead: TRAINING_ACTIVATION_OVERHEAD });
}

/**
 * Check a flavor against the work it is for: it must be a priced flavor;
 * with a known model size it must hold the footprint (optimizer and
 * activations included for training), must not use several GPUs when one
 * GPU holds it, and must not cost more than `FLAVOR_OVERSIZE_FACTOR` times
 * the cheapest flavor that fits. A flavor in `allowed` (one the OOM ladder
 * climbed to) passes the size checks.
 */
export function checkFlavorSizing(job: {
  flavor: unknown;
  paramsB: number | null;
  work: WorkKind;
  method?: unknown;
  allowed?: string[];
  prices?: Record<string, number>;
}): { code: string; message: string }[] {
  const prices: Record<string, number> = job.prices ?? HARDWARE_PRICES_USD_PER_HOUR;
  const flavors: Record<string, FlavorSpec> = HARDWARE_FLAVORS;
  const flavor = typeof job.flavor === "string" ? job.flavor.trim() : "";
  if (flavor === "") return [];
  if (!Object.hasOwn(prices, flavor)) {
    return [{ code: "flavor-unknown", message: "Unexpected flavor `" + flavor + "`, expected a priced hardware flavor such as `a10g-large`" }];
  }
  const paramsB = job.paramsB;
  if (typeof paramsB !== "number" || !Number.isFinite(paramsB) || paramsB <= 0 || (job.allowed ?? []).includes(flavor)) return [];
  if (!Object.hasOwn(flavors, flavor)) {
    return job.work === "data" ? [] : [{ code: "flavor-too-small", message: "Unexpected CPU flavor `" + flavor + "` for " + job.work + " with a " + paramsB + "B model, expected a GPU flavor" }];
  }
  const footprintGb = workFootprintGb({ paramsB, work: job.work, method: job.method });
  const spec = flavors[flavor];
  const what = job.work + " of a " + paramsB + "B model needs about " + footprintGb + " GB";
  if (spec.vramGb < footprintGb) {
    return [{ code: "flavor-too-small", message: "Unexpected flavor `" + flavor + "` (" + spec.vramGb + " GB): " + what + ", expected a flavor that holds it" }];
  }
  const cheapest = sizeHardware({ paramsB: footprintGb, bytesPerParam: 1, overhead: 1 });
  if (cheapest.flavor === null || cheapest.priceUsdPerHour === null) return [];
  const singleFits = Object.entries(flavors).some(([name, entry]) => entry.gpus === 1 && entry.vramGb >= footprintGb && Object.hasOwn(prices, name));
  if (spec.gpus > 1 && singleFits) {
    return [{ code: "flavor-oversized", message: "Unexpected multi-GPU flavor `" + flavor + "`: " + what + ", which one GPU holds (`" + cheapest.flavor + "`)" }];
  }
  if (prices[flavor] > cheapest.priceUsdPerHour * FLAVOR_OVERSIZE_FACTOR) {
    return [{
      code: "flavor-oversized",
      message: "Unexpected flavor `" + flavor + "` at $" + prices[flavor] + "/h: " + what + ", which `" + cheapest.flavor + "` holds at $" + cheapest.priceUsdPerHour + "/h",
    }];
  }
  return [];
}
