// Bundles the CLI into dist/bin/specc.mjs with rolldown. An ESM package tree of ~300 small modules
// costs more to resolve and load than to run; one minified file makes `specc check` start within
// a few percent of a bare remark parse (see bench/). Lazy imports stay lazy as separate chunks.
import { rolldown } from "rolldown";
import { chmodSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeShakeGraphs } from "./shake-graph.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// The inlined runtime's declaration graph, precomputed so compile need not parse it.
await writeShakeGraphs(root);
const bundle = await rolldown({
  input: { specc: `${root}dist/compiler/bin.js` },
  platform: "node",
  logLevel: "warn",
});
await bundle.write({
  dir: `${root}dist/bin`,
  format: "esm",
  entryFileNames: "[name].mjs",
  chunkFileNames: "[name].mjs",
  minify: true,
  banner: "#!/usr/bin/env node",
});
await bundle.close();
// The package's bin: npm links it before `prepare` has built it, so it must be made executable here
// (`npx specc` on a fresh clone runs it directly).
chmodSync(`${root}dist/bin/specc.mjs`, 0o755);
