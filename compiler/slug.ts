import { createHash } from "node:crypto";

/** The longest slug: ids, agent names and file names built from several slugs stay far below NAME_MAX (255 bytes). */
export const SLUG_MAX = 60;

/**
 * `Intake & planning` → `intake-and-planning`: ids, agent names and file names (empty if no letters).
 * A slug longer than SLUG_MAX is cut at a hyphen-free end and suffixed with 8 hex digits of its
 * full form's sha256, so two long titles that share a beginning still get different slugs.
 */
export function slug(text: string): string {
  const full = text.toLowerCase().replace(/&/g, "and").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  if (full.length <= SLUG_MAX) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, SLUG_MAX - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}
