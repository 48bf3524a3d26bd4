// Synthetic specs with N phases, for the per-phase compile-time benchmark.
export function syntheticSpec(phases) {
  const lines = ["---", "name: synthetic", "params:", "  task:", "    type: string", "    required: true", "---", "", "# Synthetic", "", "A generated spec.", "", "## Capabilities", "", "- **C1. Search.** Find things.", "", "## Rules", "", "- **R1 (MUST). Persist.** Keep every artifact.", "", "## Workflow", ""];
  for (let n = 0; n < phases; n++) {
    lines.push(`### Phase ${n}: Step number ${n}`, "", `Do step ${n} carefully and report (C1, R1).`, "", `- The agent MUST finish step ${n} (R1).`, "");
  }
  lines.push("## Completion criteria", "", "- [ ] Every step is done (R1).", "");
  return lines.join("\n");
}
