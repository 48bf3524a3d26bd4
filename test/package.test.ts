import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ROOT } from "./helpers/paths.js";

function node(code: string) {
  return spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT, encoding: "utf8" });
}

describe("the package as users import it", () => {
  test("import('specc/runtime') resolves through package exports and works", () => {
    const result = node(`const r = await import("specc/runtime");
const l = r.reserve(r.createLedger(10), { key: "a", estimateUsd: 12 });
console.log(JSON.stringify({ ok: l.ok, oom: r.classifyFailureLog("torch.OutOfMemoryError: CUDA out of memory."), driver: typeof r.workflow.runStep }));`);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, oom: "oom", driver: "function" });
  });

  test("import('specc') exposes the compiler", () => {
    const result = node(`const c = await import("specc"); console.log(typeof c.analyze, typeof c.parse);`);
    expect(result.stdout.trim()).toBe("function function");
  });

  test("the bin points at the built bundle, and heavy modules stay out of check's start-up", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8"));
    expect(pkg.bin.specc).toBe("dist/bin/specc.mjs");
    const bundle = readFileSync(`${ROOT}dist/bin/specc.mjs`, "utf8");
    expect(bundle.startsWith("#!/usr/bin/env node")).toBe(true);
    // `npx specc` on a fresh clone executes the file itself: it must be executable.
    expect(statSync(`${ROOT}dist/bin/specc.mjs`).mode & 0o111).not.toBe(0);
    // The loader runs the one-file bundle. acorn loads only when the tests verify output (by
    // require, so its parser is not in the bundle); ts-morph is not in it, and the agent SDK is
    // only named (its executor imports it by name when a call needs it), never bundled.
    expect(bundle).toContain('new URL("./specc.cjs", import.meta.url)');
    const cjs = readFileSync(`${ROOT}dist/bin/specc.cjs`, "utf8");
    expect(cjs).not.toMatch(/Unterminated regular expression|ts-morph|node_modules\/@anthropic-ai/);
    expect(cjs).toMatch(/`@anthropic-ai\/claude-agent-sdk`/);
  });
});
