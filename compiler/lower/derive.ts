import { report } from "../diagnostics.js";
import type { LowerContext } from "./context.js";
import type { Item } from "./items.js";

/**
 * Ids for items, in order: the author's where written, else `<prefix><n>` by position (or the next
 * free number when that one is taken), said once per kind in a note so nothing is renamed silently.
 */
export function deriveIds(items: Item[], options: { prefix: string; what: string; context: LowerContext }): string[] {
  const taken = new Set(items.map((item) => item.id).filter((id): id is string => id !== null));
  const derived: string[] = [];
  let next = 1;
  const ids = items.map((item, index) => {
    if (item.id !== null) return item.id;
    let candidate = `${options.prefix}${index + 1}`;
    while (taken.has(candidate)) candidate = `${options.prefix}${next++}`;
    taken.add(candidate);
    derived.push(candidate);
    return candidate;
  });
  const first = items.find((item) => item.id === null);
  if (first && derived.length > 0) {
    const list = derived.length > 3 ? `${derived[0]}–${derived.at(-1)}` : derived.join(", ");
    report(options.context.file, "SPC106", `Unexpected ${options.what} without ids, expected \`${options.prefix}<n>\` ids; numbered them ${list} in order`, {
      place: first.source.start,
      hint: `write the ids yourself (\`**${options.prefix}1.** …\`) so that references to them stay stable when items move`,
    });
  }
  return ids;
}
