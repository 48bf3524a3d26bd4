import type { Source, SpecIR } from "../ir.js";

export interface Defined {
  id: string;
  kind: string;
  source: Source;
}

/** Every id the spec defines, in document order per kind. */
export function definedIds(ir: SpecIR): Defined[] {
  const defined: Defined[] = [];
  const add = (kind: string, items: { id: string; source: Source }[]): void => {
    for (const item of items) defined.push({ id: item.id, kind, source: item.source });
  };
  add("principle", ir.principles);
  add("capability", ir.capabilities);
  add("phase", ir.phases);
  add("rule", ir.rules);
  add("guard", ir.contract.guards);
  add("criterion", ir.completion);
  return defined;
}

/** Every element that can hold references, with its refs. */
export function referrers(ir: SpecIR): { refs: string[]; source: Source }[] {
  return [
    ...ir.principles,
    ...ir.roles,
    ...ir.capabilities,
    ...ir.phases,
    ...ir.phases.flatMap((phase) => phase.requirements),
    ...ir.rules,
    ...ir.contract.guards,
    ...ir.state,
    ...ir.completion,
    ...ir.docs,
  ];
}
