import { stableJson } from "../json.js";
import type { Change } from "./change.js";
import { summarize } from "./summarize.js";

/** The diff for bots: `{changes: [...], summary: {old, new, total, weakening, loosened, removal, change}}`, keys sorted, changes in report order. */
export function formatDiffJson(changes: Change[], names: { old: string; new: string }): string {
  return stableJson({ changes, summary: { old: names.old, new: names.new, ...summarize(changes) } });
}
