import type { List, Paragraph, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";
import type { Gate, GateKind } from "../ir.js";
import { sourceOf } from "./source.js";
import { squash } from "./text.js";

const LABELS: [RegExp, GateKind][] = [
  [/^(?:gate\s*\(\s*)?mandatory(?:\s*\))?(?:\s+gate)?$/i, "mandatory"],
  [/^(?:gate\s*\(\s*)?(?:cpu |gpu )?(?:smoke[- ]?test|smoke|pre-?flight)(?:\s*\))?(?:\s+gate)?$/i, "smoke-test"],
  [/^(?:gate\s*\(\s*)?(?:[\w-]+\s+)?checklist(?:\s*\))?(?:\s+gate)?$/i, "checklist"],
  [/^(?:gate\s*\(\s*)?(?:human |cost )?approval(?:\s*\))?(?:\s+gate)?$/i, "approval"],
];

/** The gate kind of a bold label such as `Gate (smoke test):` or `Checklist:`, or null. */
export function gateLabel(paragraph: Paragraph): { kind: GateKind; text: string } | null {
  const [first, ...rest] = paragraph.children;
  if (!first || first.type !== "strong") return null;
  const label = toString(first).trim().replace(/[:.]$/, "").trim();
  const found = LABELS.find(([pattern]) => pattern.test(label));
  if (!found) return null;
  const text = squash(toString({ type: "paragraph", children: rest })).replace(/^[:.]\s*/, "");
  return { kind: found[1], text };
}

/** A gate from a labelled paragraph; a checklist takes the items of the list right after it. */
export function gateFrom(paragraph: Paragraph, next: RootContent | undefined): { gate: Gate; consumedNext: boolean } | null {
  const label = gateLabel(paragraph);
  if (!label) return null;
  const takesList = label.kind === "checklist" && next?.type === "list";
  const items = takesList ? (next as List).children.map((item) => squash(toString(item))) : [];
  const source = sourceOf(paragraph);
  if (takesList) source.end = sourceOf(next as List).end;
  return { gate: { kind: label.kind, text: label.text, items, source }, consumedNext: takesList };
}
