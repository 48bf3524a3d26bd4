// The floor for `specc check`: a bare Node script that imports unified + remark-parse and parses
// the same file. Nothing else.
import { readFileSync } from "node:fs";
import { unified } from "unified";
import remarkParse from "remark-parse";

const tree = unified().use(remarkParse).parse(readFileSync(process.argv[2], "utf8"));
if (tree.children.length === 0) process.exitCode = 1;
