import type { Param } from "../ir.js";
import { change, whereIn, type Change, type DiffSide } from "./change.js";
import { sameValue, valueText } from "./value-text.js";

/** The kinds one element's parameter changes are reported as. */
export interface ParamKinds {
  added: string;
  removed: string;
  changed: string;
}

/**
 * The changes between two lists of an element's parameters, by key: added, removed, or a value
 * that means something else (`50k` and `50000` are the same value, so no change). `skip` names
 * keys another part of the diff reports.
 */
export function diffParamsOf(id: string, before: { side: DiffSide; params: Param[] }, after: { side: DiffSide; params: Param[] }, kinds: ParamKinds, skip: Set<string> = new Set()): Change[] {
  const changes: Change[] = [];
  const old = new Map(before.params.filter((param) => !skip.has(param.key)).map((param) => [param.key, param]));
  const now = new Map(after.params.filter((param) => !skip.has(param.key)).map((param) => [param.key, param]));
  for (const [key, param] of old) {
    const next = now.get(key);
    if (!next) changes.push(change(kinds.removed, { id, text: key, from: valueText(param.value), where: whereIn(before.side, param.source.start.line) }));
    else if (!sameValue(param.value, next.value)) changes.push(change(kinds.changed, { id, text: key, from: valueText(param.value), to: valueText(next.value), where: whereIn(after.side, next.source.start.line) }));
  }
  for (const [key, param] of now) {
    if (!old.has(key)) changes.push(change(kinds.added, { id, text: key, to: valueText(param.value), where: whereIn(after.side, param.source.start.line) }));
  }
  return changes;
}
