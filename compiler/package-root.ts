import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * specc's own package directory (the one with its package.json), found by walking up from this
 * module: it runs from compiler/ (tests), dist/compiler/ and dist/bin/ (the bundle). Null if none.
 */
export function findPackageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return dir;
}
