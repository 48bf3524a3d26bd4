import type { List, Paragraph, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";
import type { Gate, GateKind } from "../ir.js";
import { sourceOf } from "./source.js";
import { displayText, squash } from "./text.js";

/** Words that name each kind of gate, as authors write them. */
const KIND_WORDS: [RegExp, GateKind][] = [
  [/^(?:(?:human|cost|manager|owner)\s+)?(?:approval|sign[- ]?off|go\s*\/\s*no[- ]go)$/, "approval"],
  [/^(?:cpu\s+|gpu\s+)?(?:smoke[- ]?test|smoke|pre-?flight|dry[- ]?run)$/, "smoke-test"],
  [/^(?:[\w-]+\s+)?checklist$/, "checklist"],
  [/^(?:mandatory(?:\s+review)?|verification|review|quality|verify)$/, "mandatory"],
];

/**
 * The gate kind a label names: `Gate (smoke test)`, `Approval gate`, `Sign-off`, `Verification gate
 * (mandatory review)`, `Checklist — all items MUST be true…`. A qualifier in parentheses that
 * names a kind wins (`Review gate (mandatory)`).
 */
export function gateKindOf(label: string): GateKind | null {
  const text = label.toLowerCase().replace(/\s+/g, " ").trim();
  if (/^checklist\b/.test(text)) return "checklist";
  const inner = /^gate\s*\(\s*([^)]*)\)$/.exec(text);
  const qualifier = /\(\s*([^)]*)\)$/.exec(text);
  const core = (inner ? inner[1] : text.replace(/\s*\([^)]*\)$/, "")).replace(/^gate\s+/, "").replace(/\s+gate$/, "").trim();
  const kindOf = (words: string) => KIND_WORDS.find(([pattern]) => pattern.test(words.trim()))?.[1] ?? null;
  return (qualifier && !inner ? kindOf(qualifier[1]) : null) ?? kindOf(core);
}

/** A plain (not bold) label only counts when it says it is a gate or a sign-off: `Approval gate:`, `Sign-off:`, `Smoke test.` */
const PLAIN_LABEL = /^((?:[\w-]+ ){0,2}gate(?: \([^)]*\))?|gate \([^)]*\)|sign[- ]?off|smoke[- ]?test|dry[- ]?run)\s*[:.]\s+/i;

/** The gate kind of a labelled paragraph (`**Gate (smoke test):**`, `Approval gate: …`), or null. */
export function gateLabel(paragraph: Paragraph): { kind: GateKind; text: string } | null {
  const [first, ...rest] = paragraph.children;
  if (!first) return null;
  if (first.type === "strong") {
    const label = toString(first).trim().replace(/[:.]$/, "").trim();
    const kind = gateKindOf(label.replace(/\s*[—–-]\s.*$/, "")) ?? (/^checklist\b/i.test(label) ? "checklist" : null);
    if (!kind) return null;
    const text = squash(displayText({ type: "paragraph", children: rest })).replace(/^[:.]\s*/, "");
    return { kind, text };
  }
  if (first.type !== "text") return null;
  const plain = PLAIN_LABEL.exec(first.value);
  const kind = plain ? gateKindOf(plain[1]) : null;
  if (!plain || !kind) return null;
  return { kind, text: squash(displayText(paragraph)).slice(plain[0].length).trim() };
}

/** A sentence that announces a checklist and ends with a colon, right before a list: `Pre-flight checklist — every item MUST be true:`. */
function checklistLead(paragraph: Paragraph, next: RootContent | undefined): { kind: GateKind; text: string } | null {
  if (next?.type !== "list") return null;
  const text = squash(displayText(paragraph));
  return /^(?:[\w-]+ ){0,2}checklist\b.*:$/i.test(text) ? { kind: "checklist", text: text.replace(/:$/, "") } : null;
}

/** A gate from a labelled paragraph; a checklist takes the items of the list right after it. */
export function gateFrom(paragraph: Paragraph, next: RootContent | undefined): { gate: Gate; consumedNext: boolean } | null {
  const label = gateLabel(paragraph) ?? checklistLead(paragraph, next);
  if (!label) return null;
  const takesList = label.kind === "checklist" && next?.type === "list";
  const items = takesList ? (next as List).children.map((item) => squash(displayText(item))) : [];
  const source = sourceOf(paragraph);
  if (takesList) source.end = sourceOf(next as List).end;
  return { gate: { kind: label.kind, text: label.text, items, source }, consumedNext: takesList };
}
