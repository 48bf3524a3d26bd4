import { closest, distance } from "fastest-levenshtein";
import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { SpecIR } from "../ir.js";
import { definedIds, referrers } from "./ids.js";
import { locate } from "./locate.js";

/** Report references to ids the spec does not define, with a "did you mean". */
export function checkReferences(ir: SpecIR, file: VFile): void {
  const known = definedIds(ir).map((defined) => defined.id);
  const knownSet = new Set(known);
  // Guards are also referred to as §6.2; phases as "Phase 3".
  const reported = new Set<string>();
  // One hint per undefined id, however often it is cited: a hint costs O(defined ids).
  const hints = new Map<string, string>();
  for (const element of referrers(ir)) {
    for (const ref of element.refs) {
      if (knownSet.has(ref)) continue;
      const place = locate(file, element.source, ref);
      const key = `${ref}@${place.start.line}:${place.start.column}`;
      if (reported.has(key)) continue;
      reported.add(key);
      report(file, "SPC302", `Unexpected reference to undefined \`${ref}\`, expected a defined id`, {
        place,
        hint: hints.get(ref) ?? hints.set(ref, suggestion(ref, known)).get(ref)!,
      });
    }
  }
}

function suggestion(ref: string, known: string[]): string {
  const sameKind = known.filter((id) => id.replace(/[\d.\s]+$/, "") === ref.replace(/[\d.\s]+$/, ""));
  const pool = sameKind.length > 0 ? sameKind : known;
  if (pool.length === 0) return `define \`${ref}\` or remove the reference`;
  const best = closest(ref, pool);
  const list = summarize(pool);
  return distance(ref, best) <= 2 ? `did you mean \`${best}\`? defined: ${list}` : `defined: ${list}`;
}

/** `C1`–`C14` instead of fourteen names. */
function summarize(ids: string[]): string {
  const prefix = ids[0].replace(/[\d.\s]+$/, "");
  const numbers = ids.map((id) => Number(id.slice(prefix.length).trim()));
  const contiguous = ids.every((id) => id.replace(/[\d.\s]+$/, "") === prefix) && numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n === numbers[i - 1] + 1));
  if (contiguous && ids.length > 3) return `\`${ids[0]}\`–\`${ids.at(-1)}\``;
  return ids.slice(0, 12).map((id) => `\`${id}\``).join(", ") + (ids.length > 12 ? ", …" : "");
}
