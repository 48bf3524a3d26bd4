import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpeccError } from "./errors.js";
import { validate } from "./generated/validate-profile.js";
import type { Profile } from "./profile.js";

/** The profile used when `--profile` is not given. */
export const DEFAULT_PROFILE = "hf-skills";

function bundledProfiles(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "profiles"))) {
    const parent = dirname(dir);
    if (parent === dir) return "profiles";
    dir = parent;
  }
  return join(dir, "profiles");
}

/** Load a bundled profile by name, or a profile file by path; refuse one that breaks the schema. */
export function loadProfile(nameOrPath: string = DEFAULT_PROFILE): { profile: Profile; path: string } {
  const bundled = join(bundledProfiles(), `${nameOrPath}.json`);
  const path = /[\\/]|\.json$/.test(nameOrPath) ? nameOrPath : bundled;
  if (!existsSync(path)) {
    throw new SpeccError(`cannot read profile ${nameOrPath}: no such bundled profile or file`, { hint: `bundled profiles: ${DEFAULT_PROFILE}; or pass a path to a .json profile` });
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new SpeccError(`${nameOrPath}: error SPC402 Unexpected JSON in profile: ${(error as Error).message}`, { exitCode: 1 });
  }
  if (!validate(data)) {
    const [first] = (validate as unknown as { errors: { instancePath: string; message?: string }[] }).errors;
    throw new SpeccError(`${nameOrPath}: error SPC402 Unexpected value at ${first.instancePath || "/"}: ${first.message}, expected a valid realization profile`, {
      exitCode: 1,
      hint: "see compiler/schema/profile.schema.json and profiles/hf-skills.json",
    });
  }
  return { profile: data as Profile, path };
}
