import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SpeccError } from "./errors.js";
import { validate } from "./generated/validate-profile.js";
import type { SpecIR } from "./ir.js";
import type { Profile } from "./profile.js";

/** The profile for a spec that binds its capabilities to no provider a bundled profile knows. */
export const DEFAULT_PROFILE = "neutral";

function bundledProfiles(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "profiles"))) {
    const parent = dirname(dir);
    if (parent === dir) return "profiles";
    dir = parent;
  }
  return join(dir, "profiles");
}

/** The names of the bundled profiles, sorted. */
export function bundledProfileNames(): string[] {
  const dir = bundledProfiles();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -5)).sort();
}

/** The providers a spec binds its capabilities to (`hf-skills + host` names two). */
export function boundProviders(ir: SpecIR): string[] {
  const names = ir.capabilities.flatMap((capability) => capability.bindings.flatMap((binding) => binding.provider.split("+").map((name) => name.trim().toLowerCase())));
  return [...new Set(names.filter((name) => name !== ""))].sort();
}

/**
 * The profile for a spec without `--profile`: the first bundled profile (by name) that claims a
 * provider the spec's binding table names, else the neutral profile. Domain knowledge is opt-in:
 * a spec that binds nothing gets none.
 */
export function chooseProfile(ir: SpecIR): { profile: Profile; path: string; why: string } {
  const providers = new Set(boundProviders(ir));
  for (const name of bundledProfileNames()) {
    if (name === DEFAULT_PROFILE) continue;
    const loaded = loadProfile(name);
    const claimed = loaded.profile.providers.find((provider) => providers.has(provider.toLowerCase()));
    if (claimed) return { ...loaded, why: `the spec binds capabilities to \`${claimed}\`` };
  }
  return { ...loadProfile(DEFAULT_PROFILE), why: "the spec binds no capability to a provider a bundled profile knows" };
}

/** Load a bundled profile by name, or a profile file by path; refuse one that breaks the schema. */
export function loadProfile(nameOrPath: string): { profile: Profile; path: string } {
  const bundled = join(bundledProfiles(), `${nameOrPath}.json`);
  const path = /[\\/]|\.json$/.test(nameOrPath) ? nameOrPath : bundled;
  if (!existsSync(path)) {
    throw new SpeccError(`cannot read profile ${nameOrPath}: no such bundled profile or file`, { hint: `bundled profiles: ${bundledProfileNames().join(", ")}; or pass a path to a .json profile` });
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
