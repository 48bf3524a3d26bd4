import type { Yaml } from "mdast";
import type { VFile } from "vfile";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { report } from "../diagnostics.js";
import type { Point, Source, SpecParam } from "../ir.js";

export interface Frontmatter {
  name: string | null;
  title: string | null;
  version: string | null;
  params: SpecParam[];
}

const KNOWN_KEYS = ["name", "title", "version", "description", "params", "specc-test"];
const PARAM_KEYS = ["type", "required", "default", "description"];
const TYPES = ["string", "number", "integer", "boolean"] as const;
const EMPTY: Frontmatter = { name: null, title: null, version: null, params: [] };

/** Maps YAML offsets to spec positions: the YAML starts on the line after the opening `---`. */
class Locator {
  constructor(
    private readonly counter: LineCounter,
    private readonly firstLine: number,
  ) {}
  point(offset: number): Point {
    const { line, col } = this.counter.linePos(offset);
    return { line: this.firstLine + line - 1, column: col };
  }
  source(node: YamlNode | null | undefined, fallback: Source): Source {
    if (!node?.range) return fallback;
    return { start: this.point(node.range[0]), end: this.point(node.range[1]) };
  }
}

/** Read the YAML frontmatter; type errors are reported at the YAML line that holds them. */
export function lowerFrontmatter(node: Yaml | undefined, file: VFile): Frontmatter {
  if (!node?.position) return EMPTY;
  const counter = new LineCounter();
  const document = parseDocument(node.value, { lineCounter: counter, prettyErrors: false });
  const locator = new Locator(counter, node.position.start.line + 1);
  const whole: Source = { start: node.position.start, end: node.position.end };
  if (document.errors.length > 0) {
    const error = document.errors[0];
    report(file, "SPC201", `Unexpected YAML in frontmatter: ${error.message.split("\n")[0]}`, {
      place: locator.point(error.pos[0]),
      hint: "fix the YAML between the `---` fences; `key: value` pairs, two-space indentation",
    });
    return EMPTY;
  }
  if (document.contents === null) return EMPTY;
  if (!isMap(document.contents)) {
    report(file, "SPC202", "Unexpected frontmatter value, expected a mapping of keys", { place: whole });
    return EMPTY;
  }
  return readFrontmatter(document, locator, file, whole);
}

function readFrontmatter(document: Document, locator: Locator, file: VFile, whole: Source): Frontmatter {
  const map = document.contents as import("yaml").YAMLMap;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!KNOWN_KEYS.includes(key)) {
      report(file, "SPC203", `Unexpected frontmatter key \`${key}\`, expected one of ${KNOWN_KEYS.map((k) => `\`${k}\``).join(", ")}`, {
        place: locator.source(pair.key as YamlNode, whole),
        hint: "specc ignores this key; remove it or fix its spelling",
      });
    }
  }
  const name = readString(document, "name", locator, file, whole);
  if (name !== null && !/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(name)) {
    report(file, "SPC202", `Unexpected name \`${name}\`, expected kebab-case (lowercase letters, digits, hyphens)`, {
      place: locator.source(document.get("name", true) as YamlNode, whole),
      hint: "the name becomes the command (`/ml-research`) and file names; write it like `ml-research`",
    });
  }
  const version = readString(document, "version", locator, file, whole, { allowNumber: true });
  return {
    name,
    title: readString(document, "title", locator, file, whole),
    version,
    params: readParams(document, locator, file, whole),
  };
}

function readString(
  document: Document,
  key: string,
  locator: Locator,
  file: VFile,
  whole: Source,
  options: { allowNumber?: boolean } = {},
): string | null {
  const node = document.get(key, true) as YamlNode | undefined;
  if (node === undefined) return null;
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === "string") return value;
  if (options.allowNumber && typeof value === "number") return String(node.toString());
  report(file, "SPC202", `Unexpected ${describe(value ?? node)} for \`${key}\`, expected a string`, {
    place: locator.source(node, whole),
    hint: `write \`${key}: some text\``,
  });
  return null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value) || (typeof value === "object" && value && "items" in value)) return "a list or mapping";
  return `a ${typeof value}`;
}

function readParams(document: Document, locator: Locator, file: VFile, whole: Source): SpecParam[] {
  const node = document.get("params", true) as YamlNode | undefined;
  if (node === undefined) return [];
  if (isSeq(node)) return readParamList(node, locator, file, whole);
  if (!isMap(node)) {
    report(file, "SPC202", "Unexpected value for `params`, expected a mapping of parameter names", {
      place: locator.source(node, whole),
      hint: "write `params:` then one indented `name:` block per parameter",
    });
    return [];
  }
  const params: SpecParam[] = [];
  for (const pair of node.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : "";
    const param = readParam(name, pair.value as YamlNode | null, locator, file, locator.source(pair.key as YamlNode, whole));
    if (param) params.push(param);
  }
  return params;
}

/** `params:` written as a list of `- name: x` blocks, as many tools write it: the same parameters. */
function readParamList(node: import("yaml").YAMLSeq, locator: Locator, file: VFile, whole: Source): SpecParam[] {
  const params: SpecParam[] = [];
  for (const item of node.items as YamlNode[]) {
    const nameNode = isMap(item) ? (item.get("name", true) as YamlNode | undefined) : undefined;
    const name = nameNode && isScalar(nameNode) ? String(nameNode.value) : "";
    if (!isMap(item) || name === "") {
      report(file, "SPC202", "Unexpected list item in `params` without a `name`, expected `- name: <identifier>` with its `type`", {
        place: locator.source(item, whole),
        hint: "give every parameter a `name:` line",
      });
      continue;
    }
    const param = readParam(name, item, locator, file, locator.source(nameNode as YamlNode, whole), { named: true });
    if (param) params.push(param);
  }
  return params;
}

function readParam(name: string, node: YamlNode | null, locator: Locator, file: VFile, at: Source, options: { named?: boolean } = {}): SpecParam | null {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) {
    report(file, "SPC202", `Unexpected parameter name \`${name}\`, expected an identifier`, { place: at, hint: "use letters, digits and `_`" });
    return null;
  }
  if (!isMap(node)) {
    report(file, "SPC202", `Unexpected value for parameter \`${name}\`, expected a mapping with \`type\``, {
      place: locator.source(node, at),
      hint: `write \`${name}:\` then \`type: string\` indented below it`,
    });
    return null;
  }
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!PARAM_KEYS.includes(key) && !(options.named && key === "name")) {
      report(file, "SPC203", `Unexpected key \`${key}\` in parameter \`${name}\`, expected one of ${PARAM_KEYS.map((k) => `\`${k}\``).join(", ")}`, {
        place: locator.source(pair.key as YamlNode, at),
        hint: "specc ignores this key",
      });
    }
  }
  const source = locator.source(node, at);
  const typeNode = node.get("type", true) as YamlNode | undefined;
  const type = typeNode && isScalar(typeNode) ? typeNode.value : "string";
  if (typeof type !== "string" || !(TYPES as readonly string[]).includes(type)) {
    report(file, "SPC202", `Unexpected type \`${String(type)}\` for parameter \`${name}\`, expected one of ${TYPES.map((t) => `\`${t}\``).join(", ")}`, {
      place: locator.source(typeNode, source),
      hint: "pick the type of value the parameter takes",
    });
    return null;
  }
  return buildParam(name, type as SpecParam["type"], node, locator, file, source);
}

function buildParam(
  name: string,
  type: SpecParam["type"],
  node: import("yaml").YAMLMap,
  locator: Locator,
  file: VFile,
  source: Source,
): SpecParam {
  const param: SpecParam = { name, type, required: false, description: "", source };
  const required = node.get("required", true) as YamlNode | undefined;
  if (required !== undefined) {
    if (isScalar(required) && typeof required.value === "boolean") param.required = required.value;
    else report(file, "SPC202", `Unexpected value for \`required\` of \`${name}\`, expected \`true\` or \`false\``, { place: locator.source(required, source), hint: "write `required: true`" });
  }
  const description = node.get("description", true) as YamlNode | undefined;
  if (description !== undefined && isScalar(description)) param.description = String(description.value ?? "");
  const fallback = node.get("default", true) as YamlNode | undefined;
  if (fallback !== undefined) {
    const value = isScalar(fallback) ? fallback.value : undefined;
    if (matchesType(value, type)) param.default = value as string | number | boolean;
    else
      report(file, "SPC202", `Unexpected default ${JSON.stringify(value ?? null)} for \`${name}\`, expected a ${type}`, {
        place: locator.source(fallback, source),
        hint: `give \`${name}\` a default of type ${type}, or change its \`type\``,
      });
  }
  return param;
}

function matchesType(value: unknown, type: SpecParam["type"]): boolean {
  if (type === "integer") return Number.isInteger(value);
  return typeof value === type;
}
