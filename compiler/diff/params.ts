import { change, whereIn, type Change, type DiffSide } from "./change.js";

/** The run parameters of the frontmatter, by name: added, removed, default, required and type changes. */
export function diffParams(before: DiffSide, after: DiffSide): Change[] {
  const changes: Change[] = [];
  const now = new Map(after.ir.params.map((param) => [param.name, param]));
  const old = new Map(before.ir.params.map((param) => [param.name, param]));
  for (const param of before.ir.params) {
    const next = now.get(param.name);
    if (!next) {
      changes.push(change("param-removed", { id: param.name, where: whereIn(before, param.source.start.line) }));
      continue;
    }
    const where = whereIn(after, next.source.start.line);
    const shown = (value: string | number | boolean | undefined) => (value === undefined ? "none" : typeof value === "boolean" ? String(value) : value);
    if (param.default !== next.default) changes.push(change("param-default-changed", { id: param.name, from: shown(param.default), to: shown(next.default), where }));
    if (param.required !== next.required) changes.push(change("param-required-changed", { id: param.name, from: param.required ? "required" : "optional", to: next.required ? "required" : "optional", where }));
    if (param.type !== next.type) changes.push(change("param-type-changed", { id: param.name, from: param.type, to: next.type, where }));
  }
  for (const param of after.ir.params) if (!old.has(param.name)) changes.push(change("param-added", { id: param.name, where: whereIn(after, param.source.start.line) }));
  return changes;
}
