import type { Guard } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { LIMITS } from "./limits.js";
import { diffParamsOf } from "./params-of.js";
import { normalizeText } from "./text.js";

/**
 * Guards of the control contract, matched by kind (a guard of kind `other` by title, as its kind
 * says nothing): added, removed, and the parameters the resolved contract does not cover (those
 * are reported once, as limits, with their direction). A documented default counts as the
 * guard's value, so writing down the default is no change.
 */
export function diffGuards(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const old = keyed(before.ir.contract.guards);
  const now = keyed(after.ir.contract.guards);
  for (const [key, guard] of old) {
    const next = now.get(key);
    if (!next) {
      changes.push(change("guard-removed", { id: guard.id, from: guard.title, where: whereIn(before, guard.source.start.line) }));
      continue;
    }
    const skip = new Set(LIMITS.filter((limit) => limit.kind === guard.kind).map((limit) => limit.key));
    const kinds = { added: "guard-param-added", removed: "guard-param-removed", changed: "guard-param-changed" };
    changes.push(...diffParamsOf(next.id, { side: before, params: guard.params }, { side: after, params: next.params }, kinds, skip));
  }
  for (const [key, guard] of now) if (!old.has(key)) changes.push(change("guard-added", { id: guard.id, to: guard.title, where: whereIn(after, guard.source.start.line) }));
  return changes;
}

function keyed(guards: Guard[]): Map<string, Guard> {
  const map = new Map<string, Guard>();
  for (const guard of guards) {
    const key = guard.kind === "other" ? `other:${normalizeText(guard.title).toLowerCase()}` : guard.kind;
    if (!map.has(key)) map.set(key, guard);
  }
  return map;
}

