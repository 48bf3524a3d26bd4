import type { VFile } from "vfile";
import { report } from "../diagnostics.js";
import type { Contract, Guard, Param } from "../ir.js";
import { itemFromHeading } from "./items.js";
import { collectParams } from "./params.js";
import { refsIn } from "./refs.js";
import { splitByHeading, type Section } from "./sections.js";
import { sourceOf } from "./source.js";
import { guardSpecFor, valueHasType } from "./guards.js";
import { blockText } from "./text.js";
import { slug } from "../slug.js";

/** The control contract: one guard per `###` sub-section, with parameters and defaults. */
export function lowerContract(section: Section | undefined, file: VFile): Contract {
  if (!section) return { guards: [], text: "", source: null };
  const { preamble, sections: blocks } = splitByHeading(section.children, 3);
  const guards = blocks.map((block) => lowerGuard(block, file));
  return { guards, text: blockText(preamble), source: sourceOf(section.heading) };
}

function lowerGuard(block: Section, file: VFile): Guard {
  const item = itemFromHeading(block.heading, block.children);
  const spec = guardSpecFor(item.title);
  const kind = spec?.kind ?? "other";
  const id = item.id ?? `guard-${kind === "other" ? slug(item.title) || "guard" : kind}`;
  const params = collectParams(block.children);
  const defaulted: string[] = [];
  if (spec) {
    checkTypes(params, spec.types, file);
    const written = new Set(params.map((param) => param.key));
    for (const [key, value] of Object.entries(spec.defaults)) {
      if (written.has(key)) continue;
      defaulted.push(key);
      params.push({ key, value, raw: "", source: sourceOf(block.heading) });
    }
    if (written.size === 0) warnDefaults(file, item.title, spec.defaults, block);
  }
  return { id, title: item.title, text: item.text, refs: refsIn(item.text, id), source: item.source, kind, params, defaulted };
}

function checkTypes(params: Param[], types: Record<string, string>, file: VFile): void {
  for (const param of params) {
    const type = types[param.key];
    if (type && !valueHasType(param.value, type as never)) {
      report(file, "SPC309", `Unexpected value \`${param.raw}\` for \`${param.key}\`, expected a ${type}`, {
        place: param.source,
        hint: type === "range" ? "write a number or a range such as `2–5`" : `write a ${type}, such as \`${param.key}: ${type === "boolean" ? "true" : "3"}\``,
      });
    }
  }
}

function warnDefaults(file: VFile, title: string, defaults: Record<string, unknown>, block: Section): void {
  const used = Object.entries(defaults)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join(", ");
  report(file, "SPC306", `Unexpected guard \`${title}\` without parameters, expected \`key: value\` items; using the defaults ${used}`, {
    place: sourceOf(block.heading),
    hint: "write the numbers as a list (`- window: 30`) so specc does not have to assume them",
  });
}

