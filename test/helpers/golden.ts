import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The one command that accepts new golden output; every failure names it. */
export const UPDATE_COMMAND = "npm run golden:update";
const UPDATING = process.env.SPECC_UPDATE_GOLDEN === "1";

/** Every file under `dir`, as sorted `/`-separated paths relative to it. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** Compare one produced file with its golden copy; in update mode, write it instead. */
export function compareGolden(root: string, path: string, actual: string): string | null {
  const full = join(root, path);
  if (UPDATING) {
    mkdirSync(dirname(full), { recursive: true });
    if (!existsSync(full) || readFileSync(full, "utf8") !== actual) writeFileSync(full, actual);
    return null;
  }
  if (!existsSync(full)) return `golden/${path} is missing. Run "${UPDATE_COMMAND}" if the new output is correct.`;
  const expected = readFileSync(full, "utf8");
  if (expected === actual) return null;
  return `golden/${path} differs from the output (${firstDifference(expected, actual)}). Run "${UPDATE_COMMAND}" if the new output is correct.`;
}

/** Golden files under `prefix` that nothing produced: stale, so they fail (or are removed on update). */
export function staleGolden(root: string, prefix: string, produced: Set<string>): string[] {
  const stale = listFiles(join(root, prefix))
    .map((path) => `${prefix}/${path}`)
    .filter((path) => !produced.has(path));
  if (UPDATING) {
    for (const path of stale) rmSync(join(root, path));
    return [];
  }
  return stale.map((path) => `golden/${path} is stale: nothing produces it. Run "${UPDATE_COMMAND}" to remove it.`);
}

function firstDifference(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    if (a[index] !== b[index]) return `first difference on line ${index + 1}: expected ${JSON.stringify(a[index] ?? "<end>")}, got ${JSON.stringify(b[index] ?? "<end>")}`;
  }
  return "line endings differ";
}
