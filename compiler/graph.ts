// `specc graph`: a spec drawn three ways (the spec's phases, gates and loops; the realized
// pipeline; the mapping from spec elements to steps and from rules to their enforcement) as
// Mermaid text or as one self-contained HTML file. See docs/views.md.
import type { SpecIR } from "./ir.js";
import type { Pipeline } from "./pipeline.js";
import type { Profile } from "./profile.js";
import { renderHtml } from "./graph/html.js";
import { renderMermaid } from "./graph/mermaid.js";
import { GRAPH_VIEWS, graphModel, type GraphModel, type ViewName } from "./graph/model.js";

export { GRAPH_VIEWS, graphModel, renderHtml, renderMermaid };
export type { GraphModel, ViewName };

export const GRAPH_FORMATS = ["mermaid", "html"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export interface GraphOptions {
  view: ViewName;
  format: GraphFormat;
  /** The spec's path relative to its project, as generated files name it. */
  path: string;
  sha256: string;
  profile: Profile;
  /** The target whose hooks count (`claude-code` emits the spend guard); null: as realized. */
  target?: string | null;
}

/** The graph of a realized spec: one view as Mermaid, or every view as HTML (`view` opens first). */
export function renderGraph(ir: SpecIR, pipeline: Pipeline, options: GraphOptions): string {
  const model = graphModel(ir, pipeline, { path: options.path, sha256: options.sha256, profile: options.profile, target: options.target ?? null });
  return options.format === "html" ? renderHtml(model, { initial: options.view }) : renderMermaid(model, options.view);
}
