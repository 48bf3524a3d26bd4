/**
 * Hugging Face Hub checks used before a run spends money: does the model or
 * dataset exist (and is it gated), and what does each Jobs flavor cost.
 *
 * Everything takes an injected `fetch` so tests run offline and callers can
 * add proxies. `@huggingface/hub` ignores `HF_TOKEN`/`HF_ENDPOINT`, so the
 * token and hub URL come only from options.
 */
import { datasetInfo, HubApiError, listJobHardware, modelInfo } from "@huggingface/hub";
import { HARDWARE_PRICES_USD_PER_HOUR } from "./core/index.js";
import { RuntimeError } from "./errors.js";

/** Where and how to reach the hub. */
export interface HubAccess {
  /** Required so nothing reaches the network by accident; pass `globalThis.fetch` in production. */
  fetch: typeof fetch;
  /** Default `https://huggingface.co`. */
  hubUrl?: string;
  /** Must start with `hf_`. */
  accessToken?: string;
  /** Per-request time limit (default 10 s for repo checks, 3 s for prices). */
  timeoutMs?: number;
}

/** Existence and access facts about a model or dataset repo. */
export interface RepoCheck {
  exists: boolean;
  /** The repo id (`owner/name`), not the hub's internal `_id`. */
  name: string;
  /** Pipeline tag, models only (e.g. `text-generation`). */
  task?: string;
  /** `false`, or how access is granted when gated. */
  gated?: false | "auto" | "manual";
  private?: boolean;
  /** Set when the answer is a best guess (e.g. a 401 without a token). */
  warning?: string;
}

/** Flavor prices and where they came from. */
export interface HardwarePrices {
  /** USD per hour, keyed by flavor (`a10g-large`, …). */
  prices: Record<string, number>;
  /** `live`: all from the hub; `merged`: live over the static table; `fallback`: hub unavailable. */
  source: "live" | "fallback" | "merged";
  warnings: string[];
}

const DEFAULT_HUB_URL = "https://huggingface.co";
const REPO_TIMEOUT_MS = 10_000;
/** Same budget as ml-intern's price lookup: a slow hub must not delay approval decisions. */
const PRICE_TIMEOUT_MS = 3_000;

/** Check a model repo; a missing repo is `{exists: false}`, not an error. */
export async function checkModel(options: HubAccess & { name: string }): Promise<RepoCheck> {
  return checkRepo("model", options, async (params) => {
    const info = await modelInfo(params);
    return { ...repoFacts(info), ...(info.task === undefined ? {} : { task: info.task }) };
  });
}

/** Check a dataset repo; same contract as {@link checkModel}. */
export async function checkDataset(options: HubAccess & { name: string }): Promise<RepoCheck> {
  // datasetInfo builds `/api/datasets/{name}` itself, so the bare `owner/name` is right here.
  return checkRepo("dataset", options, async (params) => repoFacts(await datasetInfo(params)));
}

type InfoParams = { name: string; fetch: typeof fetch; hubUrl?: string; accessToken?: string };

function repoFacts(info: { name: string; gated?: false | "auto" | "manual"; private?: boolean }): RepoCheck {
  return {
    exists: true,
    name: info.name,
    ...(info.gated === undefined ? {} : { gated: info.gated }),
    ...(info.private === undefined ? {} : { private: info.private }),
  };
}

async function checkRepo(
  kind: "model" | "dataset",
  options: HubAccess & { name: string },
  lookup: (params: InfoParams) => Promise<RepoCheck>,
): Promise<RepoCheck> {
  const access = resolveAccess(options, REPO_TIMEOUT_MS);
  try {
    return await lookup({ name: options.name, ...access });
  } catch (error) {
    return repoMiss(kind, options, error);
  }
}

/** Turn a failed lookup into `exists: false` when the hub said "not there", else a RuntimeError. */
function repoMiss(kind: string, options: HubAccess & { name: string }, error: unknown): RepoCheck {
  const { name } = options;
  if (!(error instanceof HubApiError)) {
    throw new RuntimeError("SPR303", `cannot reach the hub to check ${kind} \`${name}\`: ${messageOf(error)}`, {
      cause: error,
      hint: "check the network connection and hubUrl, then retry",
    });
  }
  if (error.statusCode === 404) return { exists: false, name };
  // Unauthenticated, the hub answers 401 for repos that are missing OR private, so it cannot tell us which.
  if (error.statusCode === 401 && options.accessToken === undefined) {
    return {
      exists: false,
      name,
      warning: `the hub answered 401 for ${kind} \`${name}\`: it does not exist or is private; pass an hf_ access token to check private repos`,
    };
  }
  throw new RuntimeError("SPR302", `hub answered HTTP ${error.statusCode} for ${kind} \`${name}\``, {
    cause: error,
    hint: statusHint(error.statusCode),
  });
}

function statusHint(status: number): string {
  if (status === 401) return "the access token was rejected; create a new one at https://huggingface.co/settings/tokens";
  if (status === 403) return "the token lacks access; request access to the gated repo or use a token with read scope";
  if (status === 429) return "rate limited by the hub; wait a minute, or pass an access token for a higher limit";
  if (status >= 500) return "the hub is having trouble; retry later";
  return "retry, or check the repo id";
}

/**
 * Current Jobs prices in USD/hour, live values merged over `fallback`
 * (default: the static table in the runtime core). Never throws for network
 * or response problems: the fallback is used and a warning returned, because
 * a price lookup must not block a run — budget checks fail closed elsewhere.
 */
export async function fetchHardwarePrices(
  options: Omit<HubAccess, "fetch"> & { fetch: typeof fetch; fallback?: Readonly<Record<string, number>> },
): Promise<HardwarePrices> {
  const fallback: Readonly<Record<string, number>> = options.fallback ?? HARDWARE_PRICES_USD_PER_HOUR;
  const access = resolveAccess(options, PRICE_TIMEOUT_MS);
  let live: Record<string, number>;
  const warnings: string[] = [];
  try {
    live = livePrices(await listJobHardware(access), warnings);
  } catch (error) {
    const why = error instanceof HubApiError ? `HTTP ${error.statusCode}` : messageOf(error);
    return { prices: { ...fallback }, source: "fallback", warnings: [`using static hardware prices: live lookup failed (${why})`] };
  }
  if (Object.keys(live).length === 0) {
    return { prices: { ...fallback }, source: "fallback", warnings: [...warnings, "using static hardware prices: the hub listed no usable hardware"] };
  }
  const onlyInFallback = Object.keys(fallback).filter((flavor) => !Object.hasOwn(live, flavor));
  return {
    prices: { ...fallback, ...live },
    source: onlyInFallback.length === 0 ? "live" : "merged",
    warnings,
  };
}

/** Convert `GET /api/jobs/hardware` entries to USD/hour; skips (and warns about) entries it cannot price. */
function livePrices(entries: unknown, warnings: string[]): Record<string, number> {
  if (!Array.isArray(entries)) throw new Error("unexpected response shape (not a list)");
  const prices: Record<string, number> = {};
  for (const entry of entries as Record<string, unknown>[]) {
    const name = entry?.name;
    if (typeof name !== "string") continue;
    const perHour = usdPerHour(entry);
    if (perHour === undefined) warnings.push(`ignored live price for \`${name}\`: no usable unitCostUSD/unitLabel`);
    else prices[name] = perHour;
  }
  return prices;
}

const UNITS_PER_HOUR: Record<string, number> = { minute: 60, hour: 1, second: 3600 };

function usdPerHour(entry: Record<string, unknown>): number | undefined {
  const perUnit = isPrice(entry.unitCostUSD)
    ? entry.unitCostUSD
    : isPrice(entry.unitCostMicroUSD)
      ? entry.unitCostMicroUSD / 1e6
      : undefined;
  const multiplier = UNITS_PER_HOUR[String(entry.unitLabel ?? "minute")];
  if (perUnit === undefined || multiplier === undefined) return undefined;
  // Round away float noise (0.0005 * 60 = 0.030000000000000002), not real precision.
  return Math.round(perUnit * multiplier * 1e6) / 1e6;
}

function isPrice(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Validate the token up front: the library throws a bare TypeError for a bad one. */
function resolveAccess(options: HubAccess, defaultTimeoutMs: number): { fetch: typeof fetch; hubUrl: string; accessToken?: string } {
  const { accessToken } = options;
  if (accessToken !== undefined && !accessToken.startsWith("hf_")) {
    throw new RuntimeError("SPR301", "the Hugging Face access token must start with `hf_`", {
      hint: "copy a user access token from https://huggingface.co/settings/tokens",
    });
  }
  return {
    fetch: withTimeout(options.fetch, options.timeoutMs ?? defaultTimeoutMs),
    hubUrl: (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, ""),
    ...(accessToken === undefined ? {} : { accessToken }),
  };
}

function withTimeout(fetchFn: typeof fetch, ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetchFn(input, { ...init, signal });
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
