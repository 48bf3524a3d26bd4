import type { Guard, Param, Phase, Source, SpecIR } from "./ir.js";

/** One line of the outline: where it stands in the spec, how deep, and what it says. */
interface Line {
  line: number;
  column: number;
  order: number;
  heading: boolean;
  depth: number;
  text: string;
}

/**
 * What specc read, as the spec's heading tree with what each block became (kind, id, strength,
 * group, refs, parameters with their origin) and what went to docs: `specc check --outline`.
 * Derived from the IR alone, so it shows exactly what later stages see.
 */
export function outline(ir: SpecIR): string {
  const lines: Line[] = [];
  let order = 0;
  const add = (source: Source, depth: number, text: string, heading = false): void => {
    lines.push({ line: source.start.line, column: source.start.column, order: order++, heading, depth, text });
  };
  for (const section of ir.sections) add(section.source, section.depth, `${"#".repeat(section.depth)} ${section.number ? `${section.number} ` : ""}${section.title}  [${section.kind}]`, true);
  for (const element of ir.principles) add(element.source, 0, `principle ${element.id} ${quote(element.title)}${extras(element)}`);
  for (const element of ir.roles) add(element.source, 0, `role ${element.id} ${quote(element.title)}${extras(element)}`);
  for (const capability of ir.capabilities) {
    add(capability.source, 0, `capability ${capability.id} ${quote(capability.title)}${extras(capability)}`);
    for (const binding of capability.bindings) add(binding.source, 0, `binding ${capability.id} → ${binding.provider || "?"}${binding.skills.length ? ` skills: ${binding.skills.join(", ")}` : ""}${binding.gap ? ` gap: ${binding.gap}` : ""}`);
  }
  for (const phase of ir.phases) addPhase(phase, add);
  for (const rule of ir.rules) {
    add(rule.source, 0, `rule ${rule.id} ${rule.strength ?? "(no strength)"} ${quote(rule.title)}${extras(rule)}`);
    for (const param of rule.params) add(param.source, 1, paramText(param));
  }
  for (const guard of ir.contract.guards) addGuard(guard, add);
  for (const entry of ir.state) add(entry.source, 0, `state ${entry.name}${entry.refs.length ? ` refs: ${entry.refs.join(", ")}` : ""}`);
  for (const criterion of ir.completion) add(criterion.source, 0, `criterion ${criterion.id} ${quote(criterion.text)}${criterion.refs.length ? ` refs: ${criterion.refs.join(", ")}` : ""}`);
  for (const doc of ir.docs) add(doc.source, 0, `docs (${doc.kind}) ${quote(doc.title)} lines ${doc.source.start.line}–${doc.source.end.line}`);
  return render(lines);
}

type Add = (source: Source, depth: number, text: string) => void;

function addPhase(phase: Phase, add: Add): void {
  const flags = [phase.optional ? "optional" : "", phase.group ? `group: ${quote(phase.group)}` : ""].filter(Boolean).join(", ");
  add(phase.source, 0, `${phase.kind} ${phase.id} ${quote(phase.title)}${flags ? ` (${flags})` : ""}${phase.refs.length ? ` refs: ${phase.refs.join(", ")}` : ""}${phase.rules.length ? ` rules: ${phase.rules.join(", ")}` : ""}`);
  for (const requirement of phase.requirements) add(requirement.source, 1, `requirement${requirement.id ? ` ${requirement.id}` : ""} ${requirement.strength ?? "(no strength)"}${requirement.refs.length ? ` refs: ${requirement.refs.join(", ")}` : ""}`);
  for (const gate of phase.gates) add(gate.source, 1, `gate ${gate.kind}${gate.items.length ? ` (${gate.items.length} items)` : ""}`);
  for (const param of phase.params) add(param.source, 1, paramText(param));
}

function addGuard(guard: Guard, add: Add): void {
  add(guard.source, 0, `guard ${guard.id} (${guard.kind}) ${quote(guard.title)}`);
  for (const param of guard.params) add(param.source, 1, paramText(param));
}

function paramText(param: Param): string {
  const value = typeof param.value === "object" && param.value !== null && !Array.isArray(param.value) && "columns" in param.value ? `table ${param.value.columns.length}×${param.value.rows.length}` : JSON.stringify(param.value);
  return `param ${param.key} = ${value} (${param.origin})`;
}

function extras(element: { group: string | null; refs: string[] }): string {
  return `${element.group ? ` group: ${quote(element.group)}` : ""}${element.refs.length ? ` refs: ${element.refs.join(", ")}` : ""}`;
}

function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}…` : text;
  return JSON.stringify(short);
}

/** Sort by place (headings first on their line) and indent each line under the heading above it. */
function render(lines: Line[]): string {
  lines.sort((a, b) => a.line - b.line || Number(b.heading) - Number(a.heading) || a.column - b.column || a.order - b.order);
  let depth = 0;
  const width = String(lines.at(-1)?.line ?? 1).length;
  return lines
    .map((entry) => {
      if (entry.heading) depth = entry.depth;
      const indent = "  ".repeat(entry.heading ? Math.max(entry.depth - 1, 0) : depth + entry.depth);
      return `${String(entry.line).padStart(width)}  ${indent}${entry.text}`;
    })
    .join("\n");
}
