import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HARDWARE_PRICES_USD_PER_HOUR } from "../runtime/core/index.js";
import { RuntimeError } from "../runtime/errors.js";
import { checkDataset, checkModel, fetchHardwarePrices } from "../runtime/hub.js";

/** A saved exchange: what was asked and what the hub answered. */
interface Exchange {
  request: { method: string; path: string };
  response: { status: number; headers?: Record<string, string>; body?: unknown };
}

const FIXTURES = fileURLToPath(new URL("./fixtures/hub/", import.meta.url));
const exchanges: Exchange[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(FIXTURES + f, "utf8")) as Exchange);

/** Offline fetch keyed on method + path; records every request it sees. */
function fakeHub(extra: Exchange[] = []) {
  const routes = new Map([...exchanges, ...extra].map((e) => [`${e.request.method} ${e.request.path}`, e.response]));
  const seen: { method: string; url: URL; authorization: string | null }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? "GET";
    seen.push({ method, url, authorization: new Headers(init?.headers).get("authorization") });
    const hit = routes.get(`${method} ${url.pathname}`);
    if (!hit) throw new Error(`fake hub has no recording for ${method} ${url.pathname}`);
    return new Response(hit.body === undefined ? null : JSON.stringify(hit.body), {
      status: hit.status,
      headers: hit.headers ?? { "content-type": "application/json" },
    });
  };
  return { fetch, seen };
}

const offline: typeof fetch = async () => {
  throw new TypeError("fetch failed");
};

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error("expected a rejection");
}

describe("checkModel", () => {
  it("reports an existing model with its task, gating and visibility (name is the repo id, not _id)", async () => {
    const hub = fakeHub();
    expect(await checkModel({ name: "openai-community/gpt2", fetch: hub.fetch })).toEqual({
      exists: true,
      name: "openai-community/gpt2",
      task: "text-generation",
      gated: false,
      private: false,
    });
    expect(hub.seen[0]!.url.origin).toBe("https://huggingface.co");
    expect(hub.seen[0]!.authorization).toBeNull();
  });

  it("reports gated models", async () => {
    const result = await checkModel({ name: "meta-llama/Llama-3.1-8B", fetch: fakeHub().fetch });
    expect(result).toMatchObject({ exists: true, gated: "manual" });
  });

  it("returns exists: false on 404 instead of throwing", async () => {
    expect(await checkModel({ name: "specc-test/does-not-exist", fetch: fakeHub().fetch })).toEqual({
      exists: false,
      name: "specc-test/does-not-exist",
    });
  });

  it("treats an unauthenticated 401 as 'missing or private' with a warning", async () => {
    const result = await checkModel({ name: "acme/private-model", fetch: fakeHub().fetch });
    expect(result.exists).toBe(false);
    expect(result.warning).toMatch(/does not exist or is private/);
  });

  it("turns a 401 with a token into SPR302 (the token was rejected)", async () => {
    const error = await rejection(checkModel({ name: "acme/private-model", fetch: fakeHub().fetch, accessToken: "hf_fake" }));
    expect(error.code).toBe("SPR302");
    expect(error.hint).toMatch(/token/);
  });

  it("turns other statuses into SPR302 with the status", async () => {
    const error = await rejection(checkModel({ name: "specc-test/flaky", fetch: fakeHub().fetch }));
    expect(error.code).toBe("SPR302");
    expect(error.message).toBe("hub answered HTTP 500 for model `specc-test/flaky`");
    expect(error.hint).toMatch(/retry later/);
  });

  it("turns network failures into SPR303", async () => {
    const error = await rejection(checkModel({ name: "openai-community/gpt2", fetch: offline }));
    expect(error.code).toBe("SPR303");
    expect(error.message).toMatch(/cannot reach the hub.*fetch failed/);
  });

  it("sends the token and honours hubUrl", async () => {
    const hub = fakeHub();
    await checkModel({ name: "openai-community/gpt2", fetch: hub.fetch, accessToken: "hf_testtoken", hubUrl: "https://hub.example.test/" });
    expect(hub.seen[0]!.url.href).toMatch(/^https:\/\/hub\.example\.test\/api\/models\/openai-community\/gpt2\/revision\/HEAD\?/);
    expect(hub.seen[0]!.authorization).toBe("Bearer hf_testtoken");
  });

  it("rejects a token without the hf_ prefix before any request (SPR301)", async () => {
    const hub = fakeHub();
    const error = await rejection(checkModel({ name: "openai-community/gpt2", fetch: hub.fetch, accessToken: "sk-123" }));
    expect(error.code).toBe("SPR301");
    expect(hub.seen).toHaveLength(0);
  });
});

describe("checkDataset", () => {
  it("looks up datasets under /api/datasets", async () => {
    const hub = fakeHub();
    expect(await checkDataset({ name: "rajpurkar/squad", fetch: hub.fetch })).toEqual({
      exists: true,
      name: "rajpurkar/squad",
      gated: false,
      private: false,
    });
    expect(hub.seen[0]!.url.pathname).toBe("/api/datasets/rajpurkar/squad/revision/HEAD");
  });

  it("returns exists: false for a missing dataset", async () => {
    expect(await checkDataset({ name: "specc-test/no-such-dataset", fetch: fakeHub().fetch })).toEqual({
      exists: false,
      name: "specc-test/no-such-dataset",
    });
  });
});

describe("fetchHardwarePrices", () => {
  it("converts per-minute live prices to per-hour and merges them over the fallback", async () => {
    const fallback = { "l40sx1": 2.0, "a100-large": 4.0, "a100x8": 32.0 };
    const result = await fetchHardwarePrices({ fetch: fakeHub().fetch, fallback });
    expect(result.source).toBe("merged");
    expect(result.prices["l40sx1"]).toBe(1.8); // live 0.03/min wins over the fallback's 2.00
    expect(result.prices["a100-large"]).toBeCloseTo(2.5, 3);
    expect(result.prices["a100x8"]).toBe(32.0); // only in the fallback
    expect(result.prices["cpu-basic"]).toBeCloseTo(0.01, 3);
    expect(result.warnings).toEqual([]);
  });

  it("is 'live' when the hub covers every fallback flavor", async () => {
    const result = await fetchHardwarePrices({ fetch: fakeHub().fetch, fallback: { h200: 10 } });
    expect(result.source).toBe("live");
    expect(result.prices["h200"]).toBeCloseTo(5, 3); // 0.083333/min × 60: per-minute rounding, not ours
  });

  it("defaults the fallback to the core's static table", async () => {
    const result = await fetchHardwarePrices({ fetch: offline });
    expect(result).toMatchObject({ source: "fallback", prices: HARDWARE_PRICES_USD_PER_HOUR });
  });

  it("falls back with a warning, never a throw, when the hub is down or errors", async () => {
    const fallback = { "a10g-large": 1.5 };
    const down = await fetchHardwarePrices({ fetch: offline, fallback });
    expect(down).toEqual({ prices: fallback, source: "fallback", warnings: [expect.stringMatching(/live lookup failed \(fetch failed\)/)] });

    const failing = fakeHub([{ request: { method: "GET", path: "/api/jobs/hardware" }, response: { status: 503, body: { error: "Service Unavailable" } } }]);
    const unavailable = await fetchHardwarePrices({ fetch: failing.fetch, fallback });
    expect(unavailable.source).toBe("fallback");
    expect(unavailable.warnings[0]).toMatch(/HTTP 503/);
  });

  it("falls back on a malformed body and skips entries it cannot price", async () => {
    const weird = fakeHub([{ request: { method: "GET", path: "/api/jobs/hardware" }, response: { status: 200, body: { hardware: [] } } }]);
    expect((await fetchHardwarePrices({ fetch: weird.fetch, fallback: { x: 1 } })).source).toBe("fallback");

    const partial = fakeHub([
      {
        request: { method: "GET", path: "/api/jobs/hardware" },
        response: {
          status: 200,
          body: [
            { name: "a", unitCostMicroUSD: 30000, unitLabel: "minute" },
            { name: "b", unitCostUSD: 2.5, unitLabel: "hour" },
            { name: "c", unitCostUSD: 1, unitLabel: "fortnight" },
          ],
        },
      },
    ]);
    const result = await fetchHardwarePrices({ fetch: partial.fetch, fallback: { c: 9 } });
    expect(result.prices).toEqual({ a: 1.8, b: 2.5, c: 9 });
    expect(result.source).toBe("merged");
    expect(result.warnings).toEqual([expect.stringMatching(/ignored live price for `c`/)]);
  });

  it("gives up on a hub that does not answer within the timeout", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    const started = Date.now();
    const result = await fetchHardwarePrices({ fetch: hanging, fallback: { x: 1 }, timeoutMs: 100 });
    expect(result.source).toBe("fallback");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
