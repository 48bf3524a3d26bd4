import type { Table } from "mdast";
import { toString } from "mdast-util-to-string";
import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { Binding, Capability } from "../ir.js";
import { splitId } from "./items.js";
import type { Section } from "./sections.js";
import { sourceOf } from "./source.js";

const GAPS = ["none", "partial", "full"] as const;

/** Which column of the mapping table holds what, by header words. */
function columnRoles(columns: string[]): { provider: number; skills: number; gap: number } {
  const find = (pattern: RegExp): number => columns.findIndex((column) => pattern.test(column));
  return { provider: find(/provider|platform|realized by/i), skills: find(/skill|tool/i), gap: find(/gap/i) };
}

/** Fill capabilities' `bindings` from the capability-to-provider mapping tables. */
export function lowerBindings(sections: Section[], capabilities: Capability[], file: VFile): void {
  const byId = new Map(capabilities.map((capability) => [capability.id, capability]));
  for (const section of sections) {
    for (const table of section.children.filter((node): node is Table => node.type === "table")) {
      const [header, ...rows] = table.children;
      if (!header) continue;
      const columns = header.children.map((cell) => toString(cell).trim());
      const roles = columnRoles(columns);
      for (const row of rows) {
        const cells = row.children.map((cell) => toString(cell).trim());
        const { id } = splitId(cells[0] ?? "");
        const capability = id ? byId.get(id) : undefined;
        if (!capability) {
          reportUnknown(file, cells[0] ?? "", [...byId.keys()], sourceOf(row));
          continue;
        }
        capability.bindings.push(binding(cells, columns, roles, sourceOf(row)));
      }
    }
  }
}

function binding(cells: string[], columns: string[], roles: ReturnType<typeof columnRoles>, source: Binding["source"]): Binding {
  const gapText = roles.gap >= 0 ? (cells[roles.gap] ?? "").toLowerCase() : "";
  const gap = GAPS.find((word) => gapText.startsWith(word)) ?? (gapText ? "partial" : null);
  const used = new Set([0, roles.provider, roles.skills, roles.gap]);
  const notes = cells
    .map((cell, index) => (used.has(index) || !cell ? "" : `${columns[index]}: ${cell}`))
    .filter(Boolean)
    .join("; ");
  return {
    provider: roles.provider >= 0 ? (cells[roles.provider] ?? "") : "",
    skills: roles.skills >= 0 ? (cells[roles.skills] ?? "").split(/[,;]\s*|\s+\+\s+/).map((s) => s.replace(/`/g, "").trim()).filter((s) => s && s !== "—" && s !== "-") : [],
    gap,
    notes: gapText && !GAPS.some((word) => gapText === word) ? [notes, `gap: ${cells[roles.gap]}`].filter(Boolean).join("; ") : notes,
    source,
  };
}

function reportUnknown(file: VFile, cell: string, known: string[], place: Binding["source"]): void {
  report(file, "SPC302", `Unexpected capability \`${cell}\` in the mapping table, expected one of ${known.map((id) => `\`${id}\``).join(", ") || "the capabilities"}`, {
    place,
    hint: "the first cell of each mapping row names a capability defined in the capabilities section",
  });
}
