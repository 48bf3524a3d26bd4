// A view as a Mermaid flowchart, for Markdown files and pull requests. Node ids are generated;
// labels are spec text escaped for Mermaid (quoted, `"` as `#quot;`, no backticks or newlines,
// brackets and the like as entity codes), so no spec text can change the chart's structure.
import { oneLine } from "../js-print.js";
import type { GraphModel, GraphNode, Shape, View, ViewName } from "./model.js";
import { mermaidText } from "./text.js";

const OPEN: { [shape in Shape]: [string, string] } = { rect: ["[", "]"], round: ["(", ")"], stadium: ["([", "])"], hexagon: ["{{", "}}"] };

/** Styles by class: the trace labels, and the kinds of node that are not steps. */
const CLASSES: [string, string][] = [
  ["kept", "fill:#e9f6ec,stroke:#1a7f37,color:#0f2e18"],
  ["adapted", "fill:#e8f1fd,stroke:#0969da,color:#0b2545"],
  ["added", "fill:#f3edfd,stroke:#8250df,color:#2b1152"],
  ["omitted", "fill:#f6f8fa,stroke:#6e7781,color:#424a53,stroke-dasharray:5 3"],
  ["phase", "fill:#ffffff,stroke:#424a53,color:#1f2328"],
  ["gate", "fill:#fff8e1,stroke:#9a6700,color:#3d2a00"],
  ["loop", "fill:#e6f6f6,stroke:#1b7c83,color:#0d3437,stroke-dasharray:5 3"],
  ["agent", "fill:#f6f8fa,stroke:#8c959f,color:#1f2328"],
  ["terminal", "fill:#24292f,stroke:#24292f,color:#ffffff"],
  ["guard", "fill:#ffebe9,stroke:#cf222e,color:#4c0a0e"],
  ["hook", "fill:#fff1e5,stroke:#bc4c00,color:#3d1800"],
  ["prompt", "fill:#f6f8fa,stroke:#6e7781,color:#424a53"],
  ["rule", "fill:#ffffff,stroke:#424a53,color:#1f2328"],
];
const TONES: { [label: string]: string } = { kept: "#1a7f37", adapted: "#0969da", added: "#8250df", omitted: "#6e7781" };

/** The class a node is drawn with: its trace label, else its enforcer, else its kind. */
export function nodeClass(node: GraphNode): string {
  if (node.label) return node.label;
  if (node.enforcer) return node.enforcer;
  if (node.kind === "step" || node.kind === "criterion" || node.kind === "guard" || node.kind === "sink") return "phase";
  return node.kind;
}

function label(node: GraphNode): string {
  return [`<b>${mermaidText(node.title)}</b>`, ...node.meta.map(mermaidText)].join("<br>");
}

/** One view as Mermaid text, ending in one newline. */
export function renderMermaid(model: GraphModel, name: ViewName): string {
  const view: View = model.views[name];
  const lines = [
    `%% ${oneLine(`specc graph, ${name} view of ${model.path} (sha256 ${model.sha256.slice(0, 12)}), profile ${model.profile}${model.target ? `, target ${model.target}` : ""}`)}`,
    `flowchart ${view.diagrams.length === 1 ? view.diagrams[0].direction : "LR"}`,
  ];
  const nested = view.diagrams.length > 1;
  const used = new Set<string>();
  for (const diagram of view.diagrams) {
    const indent = nested ? "    " : "  ";
    if (nested) lines.push(`  subgraph ${diagram.id.replace(/[^A-Za-z0-9]/g, "_")}["${mermaidText(diagram.title)}"]`, `    direction ${diagram.direction}`);
    for (const node of diagram.nodes) {
      const [open, close] = OPEN[node.shape];
      lines.push(`${indent}${node.id}${open}"${label(node)}"${close}`);
      used.add(nodeClass(node));
    }
    if (nested) lines.push("  end");
  }
  const toned = new Map<string, number[]>();
  let index = 0;
  for (const diagram of view.diagrams) {
    for (const edge of diagram.edges) {
      const arrow = edge.style === "dashed" ? "-.->" : "-->";
      lines.push(`  ${edge.from} ${arrow}${edge.label ? `|"${mermaidText(edge.label)}"|` : ""} ${edge.to}`);
      if (edge.tone) toned.set(edge.tone, [...(toned.get(edge.tone) ?? []), index]);
      index++;
    }
  }
  for (const [name, style] of CLASSES) if (used.has(name)) lines.push(`  classDef ${name} ${style}`);
  for (const [name] of CLASSES) {
    const ids = view.diagrams.flatMap((diagram) => diagram.nodes.filter((node) => nodeClass(node) === name).map((node) => node.id));
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${name}`);
  }
  for (const [tone, indexes] of [...toned].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) lines.push(`  linkStyle ${indexes.join(",")} stroke:${TONES[tone]}`);
  return `${lines.join("\n")}\n`;
}
