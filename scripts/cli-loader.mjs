#!/usr/bin/env node
// specc's executable. It runs the bundled CLI (specc.cjs, one file) through V8 with the code cache
// the build wrote beside it (specc.cjs.cache), so a start does not compile ~600 KB of JavaScript
// again: TypeScript's `tsc` does the same with Node's compile cache, which Node 20 lacks. A cache
// V8 rejects (another Node version or flags) is ignored and the source is compiled as usual.
import { readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, Script } from "node:vm";
import { setFlagsFromString } from "node:v8";

// A run of specc is short and its front end reads prose with a few dozen large regular
// expressions, most of them run on a few paragraphs. V8 first compiles each to bytecode and
// compiles it again to machine code once it runs again; compiling once, straight to machine code,
// saves about 12 ms of a check or a compile (bench/). Set before the cache is read: V8 checks a
// code cache against the flags it was written under, and the build writes it through this file.
// V8 prints an error for a flag it no longer knows: set only on the V8 versions (Node 20 to 24)
// whose flag it is.
const v8Major = Number(process.versions.v8.split(".")[0]);
if (v8Major >= 11 && v8Major <= 13) setFlagsFromString("--no-regexp-tier-up");

const file = fileURLToPath(new URL("./specc.cjs", import.meta.url));
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(readFileSync(file, "utf8")), {
  filename: file,
  cachedData,
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
// The build runs the CLI with this set to write the cache after a representative run.
if (process.env.SPECC_WRITE_CODE_CACHE === "1") process.once("exit", () => writeFileSync(cacheFile, script.createCachedData()));
// A dynamic import from code V8 restored from the cache has no module loader to ask, so the
// loader, a real module, lends the bundle its own import() (the Agent SDK is loaded this way).
globalThis[Symbol.for("specc.import")] = (specifier) => import(specifier);
const cjs = { exports: {} };
script.runInThisContext()(cjs.exports, createRequire(file), cjs, file, dirname(file));
