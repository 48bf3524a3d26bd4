import type { Change } from "./change.js";
import { LIMITS } from "./limits.js";

/**
 * Spec text in a pull-request comment is data: it goes in a code span (no links, images, HTML or
 * @-mentions render there), fenced with more backticks than it contains.
 */
export function code(value: string | number | undefined): string {
  const text = String(value ?? "").replace(/\s+/g, " ");
  if (text.trim() === "") return "(empty)";
  const fence = "`".repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return fence.length > 1 || /^[` ]|[` ]$/.test(text) ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** An id in bold when it is plain (`R4`, `Phase 3`, `§6.2`), else as code. */
function name(id: string | undefined): string {
  return id !== undefined && /^[\p{L}\p{N}§][\p{L}\p{N} ._§-]*$/u.test(id) ? `**${id}**` : code(id);
}

/** A value known to be a closed word or a number (a strength, a level, a count): printed as is. */
function plain(value: string | number | undefined): string {
  return String(value ?? "none");
}

/** Numbers need no code span; text does. */
const value = (v: string | number | undefined) => (typeof v === "number" ? String(v) : code(v));
const arrow = (c: Change) => `${value(c.from)} → ${value(c.to)}`;
const plainArrow = (c: Change) => `${plain(c.from)} → ${plain(c.to)}`;
const param = (c: Change, what: string) => `${name(c.id)} parameter ${code(c.text)} ${what}`;
const guard = (c: Change) => name(/^\d+(\.\d+)*$/.test(c.id ?? "") ? `§${c.id}` : c.id);
const element = (word: string) => ({
  [`${word}-added`]: (c: Change) => `${word} ${name(c.id)} added: ${code(c.to)}`,
  [`${word}-removed`]: (c: Change) => `${word} ${name(c.id)} removed: ${code(c.from)}`,
  [`${word}-reworded`]: (c: Change) => `${word} ${name(c.id)} reworded: ${arrow(c)}`,
});

function limit(c: Change, word: string): string {
  const found = LIMITS.find((candidate) => candidate.id === c.id);
  const unit = found?.unit ? ` ${found.unit}` : "";
  return `${found?.label ?? c.id} ${word}: ${plain(c.from)} → ${plain(c.to)}${c.to === "none" ? "" : unit}`;
}

/** One bullet's words for each kind of change, without the position. */
export const DESCRIBE: Record<string, (c: Change) => string> = {
  "name-changed": (c) => `spec name changed: ${arrow(c)} (every generated file is renamed)`,
  "title-changed": (c) => `spec title changed: ${arrow(c)}`,
  "rule-added": (c) => `${name(c.id)} added: ${code(c.to)}`,
  "rule-removed": (c) => `${name(c.id)} removed: ${code(c.from)}`,
  "rule-weakened": (c) => `${name(c.id)} weakened: ${plainArrow(c)}`,
  "rule-strengthened": (c) => `${name(c.id)} strengthened: ${plainArrow(c)}`,
  "rule-strength-changed": (c) => `${name(c.id)} strength changed: ${plainArrow(c)}`,
  "rule-reworded": (c) => `${name(c.id)} reworded: ${arrow(c)}`,
  "rule-param-added": (c) => `${param(c, "added")}: ${code(c.to)}`,
  "rule-param-removed": (c) => `${param(c, "removed")} (was ${code(c.from)})`,
  "rule-param-changed": (c) => `${param(c, "changed")}: ${arrow(c)}`,
  "protected-key-removed": (c) => `${name(c.id)} no longer protects ${code(c.from)} from scope changes`,
  "protected-key-added": (c) => `${name(c.id)} now protects ${code(c.to)} from scope changes`,
  "limit-loosened": (c) => limit(c, "loosened"),
  "limit-tightened": (c) => limit(c, "tightened"),
  "guard-added": (c) => `guard ${guard(c)} added: ${code(c.to)}`,
  "guard-removed": (c) => `guard ${guard(c)} removed: ${code(c.from)}`,
  "guard-param-added": (c) => `guard ${guard(c)} parameter ${code(c.text)} added: ${code(c.to)}`,
  "guard-param-removed": (c) => `guard ${guard(c)} parameter ${code(c.text)} removed (was ${code(c.from)})`,
  "guard-param-changed": (c) => `guard ${guard(c)} parameter ${code(c.text)} changed: ${arrow(c)}`,
  "phase-added": (c) => `${name(c.id)} added: ${code(c.to)}`,
  "phase-removed": (c) => `${name(c.id)} removed: ${code(c.from)}`,
  "phase-renamed": (c) => `${name(c.id)} renamed: ${arrow(c)}`,
  "phase-reordered": (c) => `${code(c.id)} moved: ${name(String(c.from))} → ${name(String(c.to))} (the order of the phases changed)`,
  "phase-renumbered": (c) => `${code(c.id)} renumbered: ${name(String(c.from))} → ${name(String(c.to))}`,
  "phase-reworded": (c) => `${name(c.id)} text reworded (its agents' instructions change)`,
  "phase-made-optional": (c) => `${name(c.id)} made optional`,
  "phase-made-required": (c) => `${name(c.id)} made required`,
  "requirement-added": (c) => `${name(c.id)} requirement added: ${code(c.to)}`,
  "requirement-removed": (c) => `${name(c.id)} requirement removed: ${code(c.from)}`,
  "requirement-weakened": (c) => `${name(c.id)} requirement weakened: ${plainArrow(c)} in ${code(c.text)}`,
  "requirement-strengthened": (c) => `${name(c.id)} requirement strengthened: ${plainArrow(c)} in ${code(c.text)}`,
  "requirement-strength-changed": (c) => `${name(c.id)} requirement strength changed: ${plainArrow(c)} in ${code(c.text)}`,
  "requirement-reworded": (c) => `${name(c.id)} requirement reworded: ${arrow(c)}`,
  "gate-added": (c) => `${name(c.id)} added: ${code(c.to)}`,
  "gate-removed": (c) => `${name(c.id)} removed: ${code(c.from)}`,
  "gate-reworded": (c) => `${name(c.id)} reworded: ${arrow(c)}`,
  "checklist-item-added": (c) => `${name(c.id)} item added: ${code(c.to)}`,
  "checklist-item-removed": (c) => `${name(c.id)} item removed: ${code(c.from)}`,
  "phase-param-added": (c) => `${param(c, "added")}: ${code(c.to)}`,
  "phase-param-removed": (c) => `${param(c, "removed")} (was ${code(c.from)})`,
  "phase-param-changed": (c) => `${param(c, "changed")}: ${arrow(c)}`,
  "capability-added": (c) => `${name(c.id)} added: ${code(c.to)}`,
  "capability-removed": (c) => `${name(c.id)} removed: ${code(c.from)}`,
  "capability-reworded": (c) => `${name(c.id)} reworded: ${arrow(c)}`,
  "binding-added": (c) => `${name(c.id)} bound to ${code(c.to)}`,
  "binding-removed": (c) => `${name(c.id)} no longer bound to ${code(c.from)}`,
  "binding-skill-added": (c) => `${name(c.id)} binding ${code(c.text)} gains skill ${code(c.to)}`,
  "binding-skill-removed": (c) => `${name(c.id)} binding ${code(c.text)} loses skill ${code(c.from)}`,
  "binding-gap-changed": (c) => `${name(c.id)} binding ${code(c.text)} gap changed: ${plainArrow(c)}`,
  "param-added": (c) => `run parameter ${code(c.id)} added`,
  "param-removed": (c) => `run parameter ${code(c.id)} removed`,
  "param-default-changed": (c) => `run parameter ${code(c.id)} default changed: ${arrow(c)}`,
  "param-required-changed": (c) => `run parameter ${code(c.id)} changed: ${plainArrow(c)}`,
  "param-type-changed": (c) => `run parameter ${code(c.id)} type changed: ${plainArrow(c)}`,
  ...element("principle"),
  ...element("role"),
  ...element("criterion"),
  ...element("state"),
  "profile-changed": (c) => `realization profile changed: ${arrow(c)}`,
  "step-added": (c) => `step ${code(c.id)} added (${plain(c.to)})`,
  "step-removed": (c) => `step ${code(c.id)} removed (${plain(c.from)})`,
  "step-renamed": (c) => `step renamed: ${arrow(c)}`,
  "step-kind-changed": (c) => `step ${code(c.id)} kind changed: ${plainArrow(c)}`,
  "agent-added": (c) => `agent ${code(c.id)} added (${plain(c.to)})`,
  "agent-removed": (c) => `agent ${code(c.id)} removed (${plain(c.from)})`,
  "agent-tool-added": (c) => `agent ${code(c.id)} gains tool ${code(c.to)}`,
  "agent-tool-removed": (c) => `agent ${code(c.id)} loses tool ${code(c.from)}`,
  "enforcement-weakened": (c) => `${name(c.id)} enforcement weakened: ${arrow(c)}`,
  "enforcement-strengthened": (c) => `${name(c.id)} enforcement strengthened: ${arrow(c)}`,
  "enforcement-changed": (c) => `${name(c.id)} enforcement changed: ${arrow(c)}`,
  "hook-added": (c) => `${plain(c.target)}: hook ${code(c.id)} now emitted`,
  "hook-removed": (c) => `${plain(c.target)}: hook ${code(c.id)} no longer emitted`,
  "allow-added": (c) => `${plain(c.target)}: permission ${code(c.id)} now allowed`,
  "allow-removed": (c) => `${plain(c.target)}: permission ${code(c.id)} no longer allowed`,
  "deny-added": (c) => `${plain(c.target)}: permission ${code(c.id)} now denied`,
  "deny-removed": (c) => `${plain(c.target)}: permission ${code(c.id)} no longer denied`,
  "permission-raised": (c) => `${plain(c.target)}: token permission ${code(c.id)} raised: ${plainArrow(c)}`,
  "permission-lowered": (c) => `${plain(c.target)}: token permission ${code(c.id)} lowered: ${plainArrow(c)}`,
};

/** The bullet text of a change, with its position in the spec. */
export function describeChange(c: Change): string {
  return `${DESCRIBE[c.kind](c)}${c.where ? ` (${code(c.where)})` : ""}`;
}
