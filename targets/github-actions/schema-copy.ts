/**
 * GitHub's workflow schema, saved by the build and rebuilt by a compile. The parser loads its
 * schema by reading an 80 KB JSON document through its own template reader and validating every
 * definition: a third of a compile's time in the parser. The result is plain data in nine classes,
 * so the build saves it as JSON with each object's class named, and a compile rebuilds the same
 * objects on the same prototypes with one `JSON.parse`. test/github-actions.test.ts checks that the
 * rebuilt schema equals a freshly loaded one, object for object, and parses every workflow alike.
 */
import type { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";

type Parser = typeof import("./parser-entry.js");

/** The classes a schema is made of, by the names its copy uses (a bundle minifies the classes' own names). */
const CLASSES = ["TemplateSchema", "MappingDefinition", "SequenceDefinition", "StringDefinition", "NumberDefinition", "BooleanDefinition", "NullDefinition", "OneOfDefinition", "PropertyDefinition"] as const;
type ClassName = (typeof CLASSES)[number];

const CLASS_KEY = "$class";

/** The schema as JSON, each object of one of the schema's classes tagged with that class. */
export function copySchema(parser: Parser, schema: TemplateSchema): string {
  const names = new Map<object, ClassName>(CLASSES.map((name) => [parser[name].prototype as object, name]));
  return JSON.stringify(schema, (key, value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype === Object.prototype) {
      if (CLASS_KEY in value) throw new Error(`schema copy: a plain object with a \`${CLASS_KEY}\` key at \`${key}\``);
      return value;
    }
    const name = prototype === null ? undefined : names.get(prototype);
    if (name === undefined) throw new Error(`schema copy: an object of a class the copy does not know at \`${key}\``);
    return { [CLASS_KEY]: name, ...value };
  });
}

/** The schema rebuilt from its copy, on the parser's own classes. */
export function reviveSchema(parser: Parser, json: string): TemplateSchema {
  return JSON.parse(json, (_, value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !(CLASS_KEY in value)) return value;
    const { [CLASS_KEY]: name, ...fields } = value as { [CLASS_KEY]: ClassName };
    if (!CLASSES.includes(name)) throw new Error(`schema copy: an unknown class \`${String(name)}\``);
    return Object.assign(Object.create(parser[name].prototype as object) as object, fields);
  }) as TemplateSchema;
}
