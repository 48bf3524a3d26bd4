import type { SpecIR } from "../ir.js";
import type { Profile } from "../profile.js";

/** `sequence length` → `sequence_length`: the canonical spelling of a protected key. */
export function keyName(text: string): string {
  return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

/**
 * The keys the scope guard protects: the ones a rule of the spec lists in its `protected`
 * parameter (each with the profile's aliases, else its own name), or, when no rule does, the
 * profile's defaults. The spec's declared parameters are frozen by the runtime at start, too.
 */
export function protectedKeysOf(ir: SpecIR, profile: Profile): { [key: string]: string[] } {
  const listed = ir.rules.flatMap((rule) => rule.params.filter((param) => param.key === "protected").flatMap((param) => (Array.isArray(param.value) ? param.value : [param.value])));
  const names = listed.filter((value): value is string => typeof value === "string").map(keyName).filter((name) => name !== "");
  if (names.length === 0) return structuredClone(profile.protectedKeys);
  const keys: { [key: string]: string[] } = {};
  for (const name of [...new Set(names)].sort()) keys[name] = Object.hasOwn(profile.protectedKeys, name) ? [...profile.protectedKeys[name]] : [name];
  return keys;
}
