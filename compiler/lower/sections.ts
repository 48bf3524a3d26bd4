import type { Heading, Root, RootContent } from "mdast";
import { toString } from "mdast-util-to-string";

export type SectionKind =
  | "principles"
  | "roles"
  | "capabilities"
  | "workflow"
  | "rules"
  | "contract"
  | "state"
  | "completion"
  | "mapping"
  | "realization"
  | "unknown";

/** A `##` section (or a `###` block inside one): its heading and the nodes up to the next one. */
export interface Section {
  heading: Heading;
  /** The heading text without its number or appendix prefix. */
  title: string;
  /** The number written before the title (`5`, `6.2`, `A`), if any. */
  number: string | null;
  kind: SectionKind;
  children: RootContent[];
}

// Order matters: the first kind whose names match the start of the title wins.
const KINDS: [SectionKind, RegExp][] = [
  ["mapping", /^(capability[- ]to[- ]provider|capability mapping|provider mapping|bindings?)\b/],
  ["realization", /^(realization|realisation|implementation) notes\b/],
  ["principles", /^((core|design|guiding) )?principles\b/],
  ["roles", /^(roles|actors|agents)\b/],
  ["capabilities", /^((abstract|required) )?(capabilities|tools)\b/],
  ["workflow", /^((research )?workflow|phases|(research )?process)\b/],
  ["rules", /^(hard rules|rules|constraints|invariants)\b/],
  ["contract", /^((control|safety) contract|control|guards|guardrails)\b/],
  ["state", /^((run )?state|memory)\b/],
  ["completion", /^(completion( criteria)?|definition of done|done when|success criteria)\b/],
];

const PREFIX = /^(?:appendix\s+)?(?:§\s*)?([0-9]+(?:\.[0-9]+)*|[A-Z])(?:[.):]|\s+—|\s+-)?\s+/i;

/** Split a heading into its number and title: `## 6.2 Repetition guard` → `6.2`, `Repetition guard`. */
export function splitHeading(text: string): { number: string | null; title: string } {
  const trimmed = text.trim();
  const match = PREFIX.exec(trimmed);
  // A single capital letter only counts as a number after "Appendix" ("A. Mapping"), not "A loop".
  if (!match || (/^[A-Z]$/i.test(match[1]) && !/^appendix/i.test(trimmed))) return { number: null, title: trimmed };
  return { number: match[1], title: trimmed.slice(match[0].length).trim() };
}

/** The section kind of a heading title. */
export function sectionKind(title: string): SectionKind {
  const lower = title.toLowerCase();
  for (const [kind, pattern] of KINDS) if (pattern.test(lower)) return kind;
  return "unknown";
}

/** Group `nodes` under each heading of `depth`; what comes before the first heading is `preamble`. */
export function splitByHeading(
  nodes: readonly RootContent[],
  depth: number,
): { preamble: RootContent[]; sections: Section[] } {
  const preamble: RootContent[] = [];
  const sections: Section[] = [];
  for (const node of nodes) {
    if (node.type === "heading" && node.depth === depth) {
      const { number, title } = splitHeading(toString(node));
      sections.push({ heading: node, title, number, kind: sectionKind(title), children: [] });
    } else if (node.type === "heading" && node.depth < depth) {
      // A shallower heading inside a block closes it; keep it as text of the preamble or block.
      (sections.at(-1)?.children ?? preamble).push(node);
    } else {
      (sections.at(-1)?.children ?? preamble).push(node);
    }
  }
  return { preamble, sections };
}

/** The document's `#` title and the `##` sections. */
export function sectionsOf(tree: Root): { title: Heading | null; preamble: RootContent[]; sections: Section[] } {
  const body = tree.children.filter((node) => node.type !== "yaml");
  const title = body.find((node): node is Heading => node.type === "heading" && node.depth === 1) ?? null;
  const { preamble, sections } = splitByHeading(
    body.filter((node) => node !== title),
    2,
  );
  return { title, preamble, sections };
}
