// The layout of a diagram, computed at compile time with dagre (a layered graph layout): node
// boxes sized from the text they hold, edges as point lists. The HTML then needs no layout code,
// and the same spec always gives the same coordinates.
import { graphlib, layout } from "@dagrejs/dagre";
import type { Diagram, GraphEdge, GraphNode, Shape } from "./model.js";
import { textWidth, wrapText } from "./text.js";

export const TITLE_SIZE = 13;
export const META_SIZE = 11;
export const TITLE_LINE = 17;
export const META_LINE = 15;
export const EDGE_LABEL_SIZE = 11;
const PAD_X = 10;
const PAD_Y = 7;
/** Extra room on each side for shapes whose ends are cut (a pill, a hexagon). */
const SHAPE_INSET: { [shape in Shape]: number } = { rect: 0, round: 2, stadium: 8, hexagon: 12 };
const MAX_TEXT: { [kind: string]: number } = { agent: 150, terminal: 200, gate: 190, rule: 250, enforcer: 190, criterion: 250, sink: 170 };
const DEFAULT_TEXT = 220;

export interface PlacedNode {
  node: GraphNode;
  /** Top-left corner and size, in pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  titleLines: string[];
  metaLines: string[];
}

export interface PlacedEdge {
  edge: GraphEdge;
  points: { x: number; y: number }[];
  /** The label's centre, when the edge has one. */
  labelAt: { x: number; y: number; width: number; height: number } | null;
}

export interface PlacedDiagram {
  diagram: Diagram;
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/** One decimal place: small, stable numbers in the file. */
function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The lines a node shows and the box that holds them. */
export function measureNode(node: GraphNode): { width: number; height: number; titleLines: string[]; metaLines: string[] } {
  const max = MAX_TEXT[node.kind] ?? DEFAULT_TEXT;
  const titleLines = wrapText(node.title, TITLE_SIZE, max, { bold: true, limit: 3 });
  const metaLines = node.meta.flatMap((line) => wrapText(line, META_SIZE, max, { limit: 10 }));
  const widest = Math.max(60, ...titleLines.map((line) => textWidth(line, TITLE_SIZE, true)), ...metaLines.map((line) => textWidth(line, META_SIZE)));
  const inset = SHAPE_INSET[node.shape];
  return {
    width: Math.ceil(widest + 2 * (PAD_X + inset)),
    height: Math.ceil(titleLines.length * TITLE_LINE + metaLines.length * META_LINE + 2 * PAD_Y),
    titleLines,
    metaLines,
  };
}

/** Lay a diagram out: dagre ranks, orders and positions the nodes and routes the edges. */
export function layoutDiagram(diagram: Diagram): PlacedDiagram {
  const graph = new graphlib.Graph({ multigraph: true });
  const lr = diagram.direction === "LR";
  graph.setGraph({ rankdir: diagram.direction, nodesep: lr ? 10 : 16, ranksep: lr ? 60 : 34, edgesep: 10, marginx: 12, marginy: 12 });
  const measured = new Map(diagram.nodes.map((node) => [node.id, measureNode(node)]));
  for (const node of diagram.nodes) {
    const { width, height } = measured.get(node.id)!;
    graph.setNode(node.id, { width, height });
  }
  diagram.edges.forEach((edge, index) => {
    const label = edge.label ? { width: Math.ceil(textWidth(edge.label, EDGE_LABEL_SIZE) + 8), height: 16, labelpos: "c" } : {};
    graph.setEdge(edge.from, edge.to, { ...label, minlen: 1 }, `e${index}`);
  });
  // Nodes keep the order the model gives them (fan-out agents as the step lists them, the
  // mapping's columns in spec order): dagre's crossing reduction would reorder them freely.
  layout(graph, { disableOptimalOrderHeuristic: true });
  const size = graph.graph() as { width?: number; height?: number };
  const nodes = diagram.nodes.map((node) => {
    const placed = graph.node(node.id) as { x: number; y: number; width: number; height: number };
    const { titleLines, metaLines } = measured.get(node.id)!;
    return { node, x: round(placed.x - placed.width / 2), y: round(placed.y - placed.height / 2), width: placed.width, height: placed.height, titleLines, metaLines };
  });
  const edges = diagram.edges.map((edge, index) => {
    const placed = graph.edge({ v: edge.from, w: edge.to, name: `e${index}` }) as { points: { x: number; y: number }[]; x?: number; y?: number; width?: number; height?: number };
    const labelAt = edge.label && placed.x !== undefined && placed.y !== undefined ? { x: round(placed.x), y: round(placed.y), width: placed.width ?? 0, height: placed.height ?? 0 } : null;
    return { edge, points: placed.points.map((point) => ({ x: round(point.x), y: round(point.y) })), labelAt };
  });
  const finite = (value: number | undefined): number => (value !== undefined && Number.isFinite(value) ? Math.ceil(value) : 0);
  return { diagram, width: finite(size.width), height: finite(size.height), nodes, edges };
}
