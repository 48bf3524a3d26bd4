import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root (tests run from source). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The bundled specs, `specs/*.md`, sorted. */
export function bundledSpecs(): string[] {
  return readdirSync(`${ROOT}specs`).filter((name) => name.endsWith(".md")).sort().map((name) => `specs/${name}`);
}

/** The diagnostic fixtures, `test/fixtures/diagnostics/SPCnnn-*.md`, sorted. */
export function diagnosticFixtures(): string[] {
  return readdirSync(`${ROOT}test/fixtures/diagnostics`).filter((name) => name.endsWith(".md")).sort();
}
