import type { Change } from "./change.js";
import { code, describeChange } from "./describe-change.js";
import { AREAS, KINDS, type Area, type Severity } from "./kinds.js";
import { summarize } from "./summarize.js";

const SEVERITY_TITLES: Record<Exclude<Severity, "change">, string> = { weakening: "Weakenings", loosened: "Loosened limits and permissions", removal: "Removals" };

const AREA_TITLES: Record<Area, string> = {
  spec: "Spec",
  rules: "Rules",
  contract: "Control contract",
  phases: "Phases",
  capabilities: "Capabilities",
  parameters: "Run parameters",
  elements: "Principles, roles, criteria and state",
  pipeline: "Pipeline (every target)",
  output: "Target output",
};

/**
 * The diff as a pull-request comment: a heading, one summary line, then a section per severity
 * (weakenings, loosened, removals) and per area for the rest. `changes` come sorted.
 */
export function formatDiffMarkdown(changes: Change[], names: { old: string; new: string }): string {
  const lines = [`## specc diff: ${code(names.old)} → ${code(names.new)}`, "", summaryLine(changes)];
  const sections: [string, Change[]][] = [
    ...(Object.keys(SEVERITY_TITLES) as Exclude<Severity, "change">[]).map((severity): [string, Change[]] => [SEVERITY_TITLES[severity], changes.filter((c) => c.severity === severity)]),
    ...AREAS.map((area): [string, Change[]] => [AREA_TITLES[area], changes.filter((c) => c.severity === "change" && KINDS[c.kind].area === area)]),
  ];
  for (const [title, list] of sections) {
    if (list.length === 0) continue;
    lines.push("", `### ${title}`, "", ...list.map((c) => `- ${describeChange(c)}`));
  }
  return `${lines.join("\n")}\n`;
}

function summaryLine(changes: Change[]): string {
  if (changes.length === 0) return "No semantic changes.";
  const counts = summarize(changes);
  const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;
  return `${plural(counts.total, "change")}: ${plural(counts.weakening, "weakening")}, ${counts.loosened} loosened, ${plural(counts.removal, "removal")}, ${counts.change} other.`;
}
