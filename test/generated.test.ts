import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CODES } from "../compiler/diagnostics.js";
import { ROOT } from "./helpers/paths.js";
// @ts-expect-error: plain .mjs build scripts without types
import { generateValidator, VALIDATORS } from "../scripts/generate.mjs";
// @ts-expect-error: plain .mjs build scripts without types
import { renderDiagnosticsDoc } from "../scripts/diagnostics-doc.mjs";
// @ts-expect-error: plain .mjs build scripts without types
import { renderSpecLanguageDoc } from "../scripts/spec-language-doc.mjs";
import { ID_EXAMPLES, PHASE_HEADING_EXAMPLES, REFERENCE_EXAMPLES, SECTION_CONVENTIONS } from "../compiler/lower/conventions.js";
import { GUARDS, LABELS } from "../compiler/lower/guards.js";
import { PROSE_PATTERNS } from "../compiler/lower/prose.js";

describe("generated files are current (run `npm run generate`)", () => {
  test.each(VALIDATORS as [string, string][])("%s → %s", (schema, out) => {
    expect(readFileSync(`${ROOT}${out}`, "utf8") === generateValidator(schema), `${out} is stale: run "npm run generate"`).toBe(true);
  });

  test("docs/diagnostics.md", () => {
    expect(readFileSync(`${ROOT}docs/diagnostics.md`, "utf8") === renderDiagnosticsDoc(CODES), 'docs/diagnostics.md is stale: run "npm run generate"').toBe(true);
  });

  test("docs/spec-language.md tables", () => {
    const current = readFileSync(`${ROOT}docs/spec-language.md`, "utf8");
    const data = { sections: SECTION_CONVENTIONS, phases: PHASE_HEADING_EXAMPLES, ids: ID_EXAMPLES, guards: GUARDS, prose: PROSE_PATTERNS, references: REFERENCE_EXAMPLES, labels: LABELS };
    expect(current === renderSpecLanguageDoc(current, data), 'docs/spec-language.md is stale: run "npm run generate"').toBe(true);
    expect(current).toContain("| rules |");
  });
});
