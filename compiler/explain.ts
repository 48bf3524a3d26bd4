import type { Accounting, ElementKind, Enforcement, Pipeline } from "./pipeline.js";
import { formatTable, wrapText, type Column } from "./explain/table.js";

/** The groups of the table, in the order accounting lists them, with their headings. */
const GROUPS: [ElementKind, string][] = [
  ["section", "Sections"],
  ["phase", "Phases"],
  ["gate", "Gates"],
  ["rule", "Rules"],
  ["guard", "Guards (control contract)"],
  ["parameter", "Run parameters"],
  ["principle", "Principles"],
  ["capability", "Capabilities"],
  ["criterion", "Completion criteria"],
  ["role", "Roles"],
  ["state", "State"],
  ["document", "Documents"],
];

export interface ExplainOptions {
  /** The spec as the header names it. */
  shown: string;
  /** The hooks the pipeline's enforcement may name (from the profile). */
  hooks: Set<string>;
  /** With a target: the hooks its files contain; a hook it does not emit is marked. */
  target?: { name: string; emits: Set<string> };
  /** Rules whose guard claims a stand-in run could not prove. */
  unproven?: Set<string>;
  /** Add each element's reason under its row. */
  reasons?: boolean;
  /** The widest line, in characters. */
  width?: number;
}

/**
 * How a spec maps onto its pipeline, as plain aligned text: a group per element kind (sections,
 * phases, gates, rules, guards, …), each element with its label (kept, adapted, added, omitted),
 * its line, the steps that realize it and, for a rule, what enforces it. Width-bounded (long
 * cells wrap) and deterministic: the same pipeline prints the same bytes.
 */
export function explain(pipeline: Pipeline, options: ExplainOptions): string {
  const width = options.width ?? 100;
  const lines = header(pipeline, options);
  for (const [kind, title] of GROUPS) {
    const entries = pipeline.accounting.filter((entry) => entry.kind === kind);
    if (entries.length === 0) continue;
    lines.push("", `${title} (${entries.length})`, ...group(entries, kind === "rule" ? pipeline.enforcement : null, options, width));
  }
  return `${lines.join("\n")}\n`;
}

function header(pipeline: Pipeline, options: ExplainOptions): string[] {
  const count = (label: string) => pipeline.accounting.filter((entry) => entry.label === label).length;
  const target = options.target ? `, target ${options.target.name}` : "";
  return [
    `${options.shown}: pipeline ${pipeline.name}, profile ${pipeline.profile}${target}, ${pipeline.steps.length} steps: ${pipeline.steps.map((step) => step.id).join(", ")}`,
    `${pipeline.accounting.length} elements: ${count("kept")} kept, ${count("adapted")} adapted, ${count("added")} added, ${count("omitted")} omitted`,
  ].flatMap((line) => wrapText(line, options.width ?? 100));
}

/** One group's table; rules get an ENFORCED column, every group a wrapped reason line on request. */
function group(entries: Accounting[], enforcement: Enforcement[] | null, options: ExplainOptions, width: number): string[] {
  const element = Math.min(28, Math.max(7, ...entries.map((entry) => entry.element.length)));
  const fixed: Column[] = [
    { title: "ELEMENT", width: element },
    { title: "LABEL", width: 7 },
    { title: "LINE", width: 4, align: "right" },
  ];
  const used = 2 + fixed.reduce((sum, column) => sum + column.width + 2, 0);
  const enforced = enforcement ? 26 : 0;
  const columns: Column[] = [...fixed, { title: "STEPS", width: width - used - (enforced ? enforced + 2 : 0) }, ...(enforcement ? [{ title: "ENFORCED", width: enforced }] : [])];
  const lines = formatTable(columns, [], "  ");
  for (const entry of entries) {
    const row = [entry.element, entry.label, entry.line === null ? "" : String(entry.line), entry.steps.length > 0 ? entry.steps.join(", ") : "-"];
    if (enforcement) row.push(enforcedBy(enforcement.find((candidate) => candidate.rule === entry.element), options));
    lines.push(...formatTable(columns, [row], "  ").slice(1));
    if (options.reasons) lines.push(...wrapText(entry.reason, width - 2 - element - 2).map((line) => `  ${" ".repeat(element)}  ${line}`));
  }
  return lines;
}

/** `guard: checkScopeChange`, `hook: spend-guard`, `prompt only`; a hook the target does not emit says so. */
function enforcedBy(entry: Enforcement | undefined, options: ExplainOptions): string {
  if (!entry || entry.by.length === 0) return "prompt only";
  const guards = entry.by.filter((name) => !options.hooks.has(name)).map((name) => `${name}${options.unproven?.has(`${entry.rule} ${name}`) ? " (unproven)" : ""}`);
  const hooks = entry.by.filter((name) => options.hooks.has(name)).map((name) => (options.target && !options.target.emits.has(name) ? `${name} (not in ${options.target.name})` : name));
  return [...(guards.length ? [`guard: ${guards.join(", ")}`] : []), ...(hooks.length ? [`hook: ${hooks.join(", ")}`] : [])].join("; ");
}
