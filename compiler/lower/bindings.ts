import type { RootContent, Table } from "mdast";
import { report } from "../diagnostics.js";
import type { Binding, Capability } from "../ir.js";
import type { LowerContext } from "./context.js";
import { cellTexts, idColumn, splitId } from "./items.js";
import { sourceOf } from "./source.js";

const GAPS = ["none", "partial", "full"] as const;
const SHAPE = { letters: "C" };

/** Which column of the mapping table holds what, by header words. */
function columnRoles(columns: string[]): { provider: number; skills: number; gap: number } {
  const find = (pattern: RegExp): number => columns.findIndex((column) => pattern.test(column));
  return { provider: find(/provider|platform|realized by/i), skills: find(/skill|tool/i), gap: find(/gap/i) };
}

/** Fill capabilities' `bindings` from mapping tables (an appendix, or a table re-listing the ids). */
export function lowerBindings(tables: RootContent[], capabilities: Capability[], context: LowerContext): void {
  const byId = new Map(capabilities.map((capability) => [capability.id, capability]));
  for (const table of tables.filter((node): node is Table => node.type === "table")) {
    const [header, ...rows] = table.children;
    if (!header) continue;
    const columns = cellTexts(header);
    const roles = columnRoles(columns);
    const idAt = Math.max(idColumn(table, SHAPE), 0);
    for (const row of rows) {
      const cells = cellTexts(row);
      const { id } = splitId(cells[idAt] ?? "", SHAPE);
      const capability = id ? byId.get(id) : byId.get(cells[idAt] ?? "");
      if (!capability) {
        reportUnknown(context, cells[idAt] ?? "", [...byId.keys()], sourceOf(row));
        continue;
      }
      capability.bindings.push(binding(cells, columns, roles, idAt, sourceOf(row)));
    }
  }
}

function binding(cells: string[], columns: string[], roles: ReturnType<typeof columnRoles>, idAt: number, source: Binding["source"]): Binding {
  const gapText = roles.gap >= 0 ? (cells[roles.gap] ?? "").toLowerCase() : "";
  const gap = GAPS.find((word) => gapText.startsWith(word)) ?? (gapText ? "partial" : null);
  const used = new Set([idAt, roles.provider, roles.skills, roles.gap]);
  const notes = cells
    .map((cell, index) => (used.has(index) || !cell ? "" : `${columns[index]}: ${cell}`))
    .filter(Boolean)
    .sort()
    .join("; ");
  return {
    provider: roles.provider >= 0 ? (cells[roles.provider] ?? "") : "",
    skills: roles.skills >= 0 ? (cells[roles.skills] ?? "").split(/[,;]\s*|\s+\+\s+/).map((s) => s.replace(/`/g, "").trim()).filter((s) => s && s !== "—" && s !== "-") : [],
    gap,
    notes: gapText && !GAPS.some((word) => gapText === word) ? [notes, `gap: ${cells[roles.gap]}`].filter(Boolean).join("; ") : notes,
    source,
  };
}

function reportUnknown(context: LowerContext, cell: string, known: string[], place: Binding["source"]): void {
  report(context.file, "SPC302", `Unexpected capability \`${cell}\` in the mapping table, expected one of ${known.slice(0, 20).map((id) => `\`${id}\``).join(", ") || "the capabilities"}`, {
    place,
    hint: "the first cell of each mapping row names a capability defined in the capabilities section",
  });
}
