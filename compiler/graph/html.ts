// All three views in one self-contained HTML file: the layout is computed here (dagre, at compile
// time) and written as absolute coordinates, so the page loads nothing and runs only a few lines
// of its own script (tabs and the detail panel). Spec text is data: every piece of it is escaped
// for HTML, and a Content-Security-Policy lets only the page's own script run.
import { createHash } from "node:crypto";
import { layoutDiagram, type PlacedDiagram, type PlacedEdge, type PlacedNode } from "./layout.js";
import type { Detail, GraphModel, ViewName } from "./model.js";
import { GRAPH_VIEWS } from "./model.js";
import { nodeClass } from "./mermaid.js";
import { escapeHtml as esc } from "./text.js";

const TONES = ["kept", "adapted", "added", "omitted"] as const;

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--panel:#f6f8fa;--focus:#0969da;
--kept:#1a7f37;--kept-bg:#e9f6ec;--adapted:#0969da;--adapted-bg:#e8f1fd;--added:#8250df;--added-bg:#f3edfd;--omitted:#6e7781;--omitted-bg:#f6f8fa}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:14px/1.45 system-ui,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:var(--bg);display:flex;flex-direction:column}
header{padding:8px 16px 6px;border-bottom:1px solid var(--line)}
h1{font-size:17px;margin:0;line-height:1.3}
.sub{margin:2px 0 0;color:var(--muted);font-size:12.5px}
code{font:12px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace}
[role=tablist]{display:flex;gap:4px;padding:6px 16px 0;border-bottom:1px solid var(--line);background:var(--panel)}
[role=tab]{font:inherit;font-weight:600;padding:6px 16px;border:1px solid transparent;border-bottom:0;border-radius:6px 6px 0 0;background:transparent;color:var(--muted);cursor:pointer;margin-bottom:-1px}
[role=tab][aria-selected=true]{background:var(--bg);border-color:var(--line);color:var(--fg)}
[role=tab]:focus-visible,.node:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.layout{flex:1;display:flex;min-height:0}
.views{flex:1;overflow:auto;padding:10px 16px 24px;min-width:0}
.intro{margin:0 0 6px;max-width:860px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:0 0 10px;font-size:12px;color:var(--muted)}
.legend{--stroke:#424a53;--fill:#ffffff}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{display:inline-block;width:14px;height:10px;border:1.5px solid;border-radius:3px}
h2{font-size:14px;margin:14px 0 6px}
.diagram{position:relative;margin:0 0 8px}
.diagram svg{position:absolute;left:0;top:0;overflow:visible}
.e{fill:none;stroke:#6e7781;stroke-width:1.4}
.e.dashed{stroke-dasharray:5 4}
.e.t-kept{stroke:var(--kept)}.e.t-adapted{stroke:var(--adapted)}.e.t-added{stroke:var(--added)}.e.t-omitted{stroke:var(--omitted)}
.el{position:absolute;transform:translate(-50%,-50%);font-size:11px;line-height:14px;padding:0 3px;background:rgba(255,255,255,.92);color:#424a53;white-space:nowrap;border-radius:3px}
.node{position:absolute;display:flex;flex-direction:column;justify-content:center;align-items:center;text-align:center;padding:7px 10px;border:0;background:transparent;color:var(--fg);font:inherit;cursor:pointer;--stroke:#424a53;--fill:#ffffff}
.node .bg{position:absolute;inset:0;border:1.5px solid var(--stroke);background:var(--fill);border-radius:6px;z-index:0}
.node>span:not(.bg){position:relative;z-index:1;white-space:nowrap}
.node .t{font-weight:700;font-size:13px;line-height:17px}
.node .m{font-size:11px;line-height:15px;color:#424a53}
.node:hover .bg{box-shadow:0 0 0 3px rgba(9,105,218,.18)}
.node.selected .bg{box-shadow:0 0 0 3px rgba(9,105,218,.45)}
.s-round .bg{border-radius:14px}
.s-stadium .bg{border-radius:999px}
.s-stadium{padding:7px 18px}
.s-hexagon{padding:7px 22px}
.s-hexagon .bg{border:0;border-radius:0;background:var(--stroke);clip-path:polygon(12px 0,calc(100% - 12px) 0,100% 50%,calc(100% - 12px) 100%,12px 100%,0 50%)}
.s-hexagon .bg::after{content:"";position:absolute;inset:1.5px;background:var(--fill);clip-path:polygon(11.3px 0,calc(100% - 11.3px) 0,100% 50%,calc(100% - 11.3px) 100%,11.3px 100%,0 50%)}
.c-kept{--stroke:var(--kept);--fill:var(--kept-bg)}
.c-adapted{--stroke:var(--adapted);--fill:var(--adapted-bg)}
.c-added{--stroke:var(--added);--fill:var(--added-bg)}
.c-omitted{--stroke:var(--omitted);--fill:var(--omitted-bg)}
.c-omitted .bg{border-style:dashed}
.c-gate{--stroke:#9a6700;--fill:#fff8e1}
.c-loop{--stroke:#1b7c83;--fill:#e6f6f6}.c-loop .bg{border-style:dashed}
.c-agent{--stroke:#8c959f;--fill:#f6f8fa}
.c-terminal{--stroke:#24292f;--fill:#24292f;color:#fff}.c-terminal .m{color:#d1d9e0}
.c-guard{--stroke:#cf222e;--fill:#ffebe9}
.c-hook{--stroke:#bc4c00;--fill:#fff1e5}
.c-prompt{--stroke:#6e7781;--fill:#f6f8fa}
.notes{margin:6px 0 0;padding-left:18px;color:var(--muted);font-size:12.5px;max-width:860px}
table{border-collapse:collapse;font-size:12px;margin-top:6px;max-width:1100px}
caption{text-align:left;font-weight:700;font-size:14px;padding:10px 0 6px}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--panel)}
.tag{display:inline-block;font-size:11px;font-weight:700;padding:0 6px;border-radius:10px;border:1px solid;line-height:17px}
.tag.l-kept{color:var(--kept);background:var(--kept-bg)}.tag.l-adapted{color:var(--adapted);background:var(--adapted-bg)}
.tag.l-added{color:var(--added);background:var(--added-bg)}.tag.l-omitted{color:var(--omitted);background:var(--omitted-bg)}
aside{width:360px;flex:none;overflow:auto;border-left:1px solid var(--line);background:var(--panel);padding:12px 16px 24px}
aside h2{font-size:16px;margin:0 0 2px}
aside h3{font-size:13px;margin:12px 0 4px}
.kind{margin:0;color:var(--muted);font-size:12.5px}
.pos{margin:6px 0}
.reason{margin:6px 0}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0;font-size:13px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:8px 0 0;font-size:12.5px}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
aside ul{margin:0;padding-left:18px;font-size:12.5px}
aside li{margin:2px 0;overflow-wrap:anywhere}
`;

// The page's only script: tabs (click, Enter, arrow keys) and the detail panel (a node's click,
// which Enter and Space give a focused button). It reads nothing from the spec but element ids.
const SCRIPT = `
(function () {
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  function select(tab, focus) {
    tabs.forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) tab.focus();
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () { select(tab, false); });
    tab.addEventListener("keydown", function (event) {
      var next = event.key === "ArrowRight" ? index + 1 : event.key === "ArrowLeft" ? index - 1 : event.key === "Home" ? 0 : event.key === "End" ? tabs.length - 1 : null;
      if (next === null) return;
      event.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true);
    });
  });
  var empty = document.getElementById("detail-empty");
  var shown = null;
  var selected = null;
  function show(node) {
    var detail = document.getElementById(node.getAttribute("data-detail"));
    if (!detail) return;
    if (shown) shown.hidden = true;
    if (selected) { selected.classList.remove("selected"); selected.removeAttribute("aria-current"); }
    detail.hidden = false;
    empty.hidden = true;
    shown = detail;
    selected = node;
    node.classList.add("selected");
    node.setAttribute("aria-current", "true");
  }
  document.addEventListener("click", function (event) {
    var node = event.target.closest ? event.target.closest(".node") : null;
    if (node) show(node);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !shown) return;
    shown.hidden = true;
    empty.hidden = false;
    if (selected) { selected.classList.remove("selected"); selected.removeAttribute("aria-current"); }
    shown = null;
    selected = null;
  });
})();
`;

export interface HtmlOptions {
  /** The view whose tab is open when the page loads. */
  initial: ViewName;
}

/** The whole page, deterministic bytes ending in one newline. */
export function renderHtml(model: GraphModel, options: HtmlOptions): string {
  const detailIds = new Map([...model.details.keys()].map((key, index) => [key, `d${index}`]));
  const hash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const sub = [
    `<code>${esc(model.path)}</code>`,
    `profile ${esc(model.profile)}`,
    model.target ? `target ${esc(model.target)}` : "every target",
    `sha256 <code>${esc(model.sha256.slice(0, 12))}</code>`,
  ].join(" · ");
  const tabs = GRAPH_VIEWS.map(
    (name) =>
      `<button type="button" role="tab" id="tab-${name}" aria-controls="view-${name}" aria-selected="${name === options.initial}">${esc(model.views[name].title)}</button>`,
  ).join("\n");
  const panels = GRAPH_VIEWS.map((name) => renderView(model, name, name === options.initial, detailIds)).join("\n");
  const details = [...model.details].map(([key, detail]) => renderDetail(detailIds.get(key)!, detail)).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="specc graph">
<title>${esc(model.title)} · specc graph</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(model.title)}</h1>
<p class="sub">${sub}</p>
</header>
<div role="tablist" aria-label="Views">
${tabs}
</div>
<div class="layout">
<main class="views">
${panels}
</main>
<aside id="detail" aria-label="Details" aria-live="polite">
<p id="detail-empty">Select an element (click it, or Tab to it and press Enter) to see its spec text and where it is written.</p>
${details}
</aside>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function renderView(model: GraphModel, name: ViewName, open: boolean, detailIds: Map<string, string>): string {
  const view = model.views[name];
  const parts = [
    `<section role="tabpanel" id="view-${name}" aria-labelledby="tab-${name}"${open ? "" : " hidden"}>`,
    `<p class="intro">${esc(view.intro)}</p>`,
    legend(name),
  ];
  for (const diagram of view.diagrams) {
    const placed = layoutDiagram(diagram);
    parts.push(`<h2>${esc(diagram.title)}</h2>`, renderDiagram(`${name}-${diagram.id}`, placed, detailIds));
  }
  if (view.notes.length > 0) parts.push(`<ul class="notes">${view.notes.map((note) => `<li>${esc(note)}</li>`).join("")}</ul>`);
  if (name === "mapping") parts.push(accountingTable(model));
  parts.push("</section>");
  return parts.join("\n");
}

function legend(name: ViewName): string {
  const item = (cls: string, text: string, dashed = false): string => `<span><i class="${cls}" style="border-color:var(--stroke);background:var(--fill)${dashed ? ";border-style:dashed" : ""}"></i>${esc(text)}</span>`;
  const labels = TONES.map((tone) => item(`c-${tone}`, tone, tone === "omitted"));
  const items =
    name === "spec"
      ? [item("c-phase", "phase"), item("c-gate", "gate"), item("c-loop", "loop", true)]
      : name === "pipeline"
        ? [...labels, item("c-agent", "agent of a fan-out"), item("c-terminal", "start and ends"), "<span>dashed arrow: a critic sends work back, or the run ends early</span>"]
        : [...labels, item("c-guard", "runtime guard"), item("c-hook", "hook"), item("c-prompt", "prompts only")];
  return `<div class="legend" aria-label="Legend">${items.join("")}</div>`;
}

/** A smooth path through dagre's points: straight ends, quadratic bends. */
function pathOf(points: { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const fmt = (value: number): string => String(Math.round(value * 10) / 10);
  let d = `M${fmt(points[0].x)} ${fmt(points[0].y)}`;
  for (let index = 1; index < points.length - 1; index++) {
    const point = points[index];
    const next = points[index + 1];
    const mid = index === points.length - 2 ? next : { x: (point.x + next.x) / 2, y: (point.y + next.y) / 2 };
    d += ` Q${fmt(point.x)} ${fmt(point.y)} ${fmt(mid.x)} ${fmt(mid.y)}`;
  }
  if (points.length === 2) d += ` L${fmt(points[1].x)} ${fmt(points[1].y)}`;
  return d;
}

function renderDiagram(id: string, placed: PlacedDiagram, detailIds: Map<string, string>): string {
  const markers = ["plain", ...TONES]
    .map((tone) => `<marker id="${id}-${tone}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${tone === "plain" ? "#6e7781" : `var(--${tone})`}"/></marker>`)
    .join("");
  const paths = placed.edges.map((edge) => renderEdge(id, edge)).join("\n");
  const labels = placed.edges
    .filter((edge) => edge.labelAt && edge.edge.label)
    .map((edge) => `<span class="el" style="left:${edge.labelAt!.x}px;top:${edge.labelAt!.y}px">${esc(edge.edge.label!)}</span>`)
    .join("\n");
  const nodes = placed.nodes.map((node) => renderNode(node, detailIds)).join("\n");
  return [
    `<div class="diagram" id="${id}" role="group" aria-label="${esc(placed.diagram.title)}" style="width:${placed.width}px;height:${placed.height}px">`,
    `<svg width="${placed.width}" height="${placed.height}" viewBox="0 0 ${placed.width} ${placed.height}" aria-hidden="true" focusable="false"><defs>${markers}</defs>`,
    paths,
    "</svg>",
    labels,
    nodes,
    "</div>",
  ]
    .filter(Boolean)
    .join("\n");
}

function renderEdge(diagram: string, placed: PlacedEdge): string {
  const tone = placed.edge.tone;
  const classes = ["e", placed.edge.style === "dashed" ? "dashed" : "", tone ? `t-${tone}` : ""].filter(Boolean).join(" ");
  return `<path class="${classes}" d="${pathOf(placed.points)}" marker-end="url(#${diagram}-${tone ?? "plain"})"/>`;
}

function renderNode(placed: PlacedNode, detailIds: Map<string, string>): string {
  const { node } = placed;
  const classes = ["node", `k-${node.kind}`, `s-${node.shape}`, `c-${nodeClass(node)}`].join(" ");
  const lines = [...placed.titleLines.map((line) => `<span class="t">${esc(line)}</span>`), ...placed.metaLines.map((line) => `<span class="m">${esc(line)}</span>`)].join("");
  return `<button type="button" class="${classes}" data-detail="${detailIds.get(node.detail)}" aria-controls="detail" aria-label="${esc(node.aria)}" style="left:${placed.x}px;top:${placed.y}px;width:${placed.width}px;height:${placed.height}px"><span class="bg"></span>${lines}</button>`;
}

function positionText(position: NonNullable<Detail["position"]>): string {
  const { path, start, end } = position;
  const to = end.line === start.line ? `${end.column}` : `${end.line}:${end.column}`;
  return `${path}:${start.line}:${start.column}–${to}`;
}

function renderDetail(id: string, detail: Detail): string {
  const parts = [`<section class="d" id="${id}" hidden>`, `<h2>${esc(detail.heading)}</h2>`];
  parts.push(`<p class="kind">${esc(detail.kind)}${detail.label ? ` <span class="tag l-${detail.label}">${detail.label}</span>` : ""}</p>`);
  parts.push(`<p class="pos">${detail.position ? `Written at <code>${esc(positionText(detail.position))}</code>` : "Not written in the spec."}</p>`);
  if (detail.reason) parts.push(`<p class="reason">${esc(detail.reason)}</p>`);
  if (detail.text) parts.push("<h3>Spec text</h3>", `<p class="text">${esc(detail.text)}</p>`);
  if (detail.facts.length > 0) parts.push(`<dl>${detail.facts.map(([term, value]) => `<dt>${esc(term)}</dt><dd>${esc(value)}</dd>`).join("")}</dl>`);
  for (const list of detail.lists) parts.push(`<h3>${esc(list.title)}</h3>`, `<ul>${list.items.map((item) => `<li>${esc(item)}</li>`).join("")}</ul>`);
  parts.push("</section>");
  return parts.join("\n");
}

function accountingTable(model: GraphModel): string {
  const rows = model.accounting.map(
    (entry) =>
      `<tr><td>${esc(entry.element)}</td><td>${esc(entry.kind)}</td><td><span class="tag l-${entry.label}">${entry.label}</span></td><td>${esc(entry.steps.join(", "))}</td><td>${entry.line === null ? "" : entry.line}</td><td>${esc(entry.reason)}</td></tr>`,
  );
  return `<table>
<caption>Every spec element and how it was realized</caption>
<thead><tr><th scope="col">Element</th><th scope="col">Kind</th><th scope="col">Label</th><th scope="col">Steps</th><th scope="col">Line</th><th scope="col">Reason</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>`;
}
