/**
 * Every kind of change `specc diff` reports, with its severity, the report section it belongs to
 * and its inverse (what the same edit is called read backwards). One table drives the report's
 * order, `--fail-on` and the antisymmetry tests, so a new kind cannot forget any of them.
 */

/** Most severe first: the report and `--fail-on` follow this order. */
export const SEVERITIES = ["weakening", "loosened", "removal", "change"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a change of severity `change` is listed, in report order. */
export const AREAS = ["spec", "rules", "contract", "phases", "capabilities", "parameters", "elements", "pipeline", "output"] as const;
export type Area = (typeof AREAS)[number];

interface KindInfo {
  severity: Severity;
  area: Area;
  inverse: string;
}

/** An added/removed pair: adding is a plain change, removing is a removal. */
function pair(area: Area, added: string, removed: string): Record<string, KindInfo> {
  return { [added]: { severity: "change", area, inverse: removed }, [removed]: { severity: "removal", area, inverse: added } };
}

/** A kind that reads the same both ways (a rename, a rewording). */
function self(area: Area, kind: string): Record<string, KindInfo> {
  return { [kind]: { severity: "change", area, inverse: kind } };
}

/** A directed pair: `worse` has the given severity, `better` is a plain change. */
function directed(area: Area, worse: string, better: string, severity: Severity): Record<string, KindInfo> {
  return { [worse]: { severity, area, inverse: better }, [better]: { severity: "change", area, inverse: worse } };
}

export const KINDS: Record<string, KindInfo> = {
  ...self("spec", "name-changed"),
  ...self("spec", "title-changed"),
  ...pair("rules", "rule-added", "rule-removed"),
  ...directed("rules", "rule-weakened", "rule-strengthened", "weakening"),
  ...self("rules", "rule-strength-changed"),
  ...self("rules", "rule-reworded"),
  ...pair("rules", "rule-param-added", "rule-param-removed"),
  ...self("rules", "rule-param-changed"),
  ...directed("rules", "protected-key-removed", "protected-key-added", "loosened"),
  ...directed("contract", "limit-loosened", "limit-tightened", "loosened"),
  ...pair("contract", "guard-added", "guard-removed"),
  ...pair("contract", "guard-param-added", "guard-param-removed"),
  ...self("contract", "guard-param-changed"),
  ...pair("phases", "phase-added", "phase-removed"),
  ...self("phases", "phase-renamed"),
  ...self("phases", "phase-reordered"),
  ...self("phases", "phase-renumbered"),
  ...self("phases", "phase-reworded"),
  ...directed("phases", "phase-made-optional", "phase-made-required", "loosened"),
  ...pair("phases", "requirement-added", "requirement-removed"),
  ...directed("phases", "requirement-weakened", "requirement-strengthened", "weakening"),
  ...self("phases", "requirement-strength-changed"),
  ...self("phases", "requirement-reworded"),
  ...pair("phases", "gate-added", "gate-removed"),
  ...self("phases", "gate-reworded"),
  ...pair("phases", "checklist-item-added", "checklist-item-removed"),
  ...pair("phases", "phase-param-added", "phase-param-removed"),
  ...self("phases", "phase-param-changed"),
  ...pair("capabilities", "capability-added", "capability-removed"),
  ...self("capabilities", "capability-reworded"),
  ...pair("capabilities", "binding-added", "binding-removed"),
  ...pair("capabilities", "binding-skill-added", "binding-skill-removed"),
  ...self("capabilities", "binding-gap-changed"),
  ...pair("parameters", "param-added", "param-removed"),
  ...self("parameters", "param-default-changed"),
  ...self("parameters", "param-required-changed"),
  ...self("parameters", "param-type-changed"),
  ...pair("elements", "principle-added", "principle-removed"),
  ...self("elements", "principle-reworded"),
  ...pair("elements", "role-added", "role-removed"),
  ...self("elements", "role-reworded"),
  ...pair("elements", "criterion-added", "criterion-removed"),
  ...self("elements", "criterion-reworded"),
  ...pair("elements", "state-added", "state-removed"),
  ...self("elements", "state-reworded"),
  ...self("pipeline", "profile-changed"),
  ...pair("pipeline", "step-added", "step-removed"),
  ...self("pipeline", "step-renamed"),
  ...self("pipeline", "step-kind-changed"),
  ...pair("pipeline", "agent-added", "agent-removed"),
  ...directed("pipeline", "agent-tool-added", "agent-tool-removed", "loosened"),
  ...directed("pipeline", "enforcement-weakened", "enforcement-strengthened", "weakening"),
  ...self("pipeline", "enforcement-changed"),
  ...directed("output", "hook-removed", "hook-added", "weakening"),
  ...directed("output", "allow-added", "allow-removed", "loosened"),
  ...directed("output", "deny-removed", "deny-added", "loosened"),
  ...directed("output", "permission-raised", "permission-lowered", "loosened"),
};
