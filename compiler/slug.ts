/** `Intake & planning` → `intake-and-planning`: ids, agent names and file names (empty if no letters). */
export function slug(text: string): string {
  return text.toLowerCase().replace(/&/g, "and").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
