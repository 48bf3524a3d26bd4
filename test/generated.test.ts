import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CODES } from "../compiler/diagnostics.js";
import { ROOT } from "./helpers/paths.js";
// @ts-expect-error: plain .mjs build scripts without types
import { generateValidator, VALIDATORS } from "../scripts/generate.mjs";
// @ts-expect-error: plain .mjs build scripts without types
import { renderDiagnosticsDoc } from "../scripts/diagnostics-doc.mjs";

describe("generated files are current (run `npm run generate`)", () => {
  test.each(VALIDATORS as [string, string][])("%s → %s", (schema, out) => {
    expect(readFileSync(`${ROOT}${out}`, "utf8") === generateValidator(schema), `${out} is stale: run "npm run generate"`).toBe(true);
  });

  test("docs/diagnostics.md", () => {
    expect(readFileSync(`${ROOT}docs/diagnostics.md`, "utf8") === renderDiagnosticsDoc(CODES), 'docs/diagnostics.md is stale: run "npm run generate"').toBe(true);
  });
});
