// Synthetic specs with N phases, for the per-phase benchmarks.
// `rules` rules (default 1) are listed once and cited round-robin, so references scale with phases.
export function syntheticSpec(phases, { rules = 1 } = {}) {
  const lines = ["---", "name: synthetic", "params:", "  task:", "    type: string", "    required: true", "---", "", "# Synthetic", "", "A generated spec.", "", "## Capabilities", "", "- **C1. Search.** Find things.", "", "## Rules", ""];
  for (let r = 1; r <= rules; r++) lines.push(`- **R${r} (MUST). Persist ${r}.** Keep every artifact of kind ${r}.`);
  lines.push("", "## Workflow", "");
  for (let n = 0; n < phases; n++) {
    const rule = `R${(n % rules) + 1}`;
    lines.push(`### Phase ${n}: Step number ${n}`, "", `Do step ${n} carefully and report (C1, ${rule}).`, "", `- The agent MUST finish step ${n} (${rule}).`, "");
  }
  lines.push("## Completion criteria", "", "- [ ] Every step is done (R1).", "");
  return lines.join("\n");
}
