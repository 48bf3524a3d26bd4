import { readFileSync, statSync } from "node:fs";
import { VFile } from "vfile";
import { SpeccError } from "./errors.js";

/** Specs larger than this are refused: a spec is a document a person reads, not a data dump. */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

/** Read a spec from disk as a VFile, refusing what is not a UTF-8 Markdown text file. */
export function readSpec(path: string, options: { displayPath?: string } = {}): VFile {
  const shown = options.displayPath ?? path;
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new SpeccError(`cannot read ${shown}: it is a directory, expected a Markdown file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof SpeccError) throw error;
    throw new SpeccError(`cannot read ${shown}: ${describeFsError(error)}`);
  }
  if (size > MAX_SPEC_BYTES) {
    throw new SpeccError(`cannot read ${shown}: ${(size / 1024 / 1024).toFixed(1)} MB is over the ${MAX_SPEC_BYTES / 1024 / 1024} MB limit for a spec`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new SpeccError(`cannot read ${shown}: ${describeFsError(error)}`);
  }
  return new VFile({ path: shown, value: decode(bytes, shown) });
}

/** Decode strict UTF-8 (dropping a BOM); binary or mis-encoded input is named with its line. */
export function decode(bytes: Uint8Array, shown: string): string {
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new SpeccError(`cannot read ${shown}: it looks binary (a NUL byte on line ${lineAt(bytes, nul)}), expected Markdown text`);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new SpeccError(`cannot read ${shown}: invalid UTF-8 on line ${lineAt(bytes, bad)}, expected UTF-8 text`, {
      hint: "convert the file to UTF-8 (for example `iconv -f latin1 -t utf-8`)",
    });
  }
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (bytes[index] === 10) line++;
  return line;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // Binary search on the longest valid prefix; a prefix may end mid-character, so allow 3 bytes.
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory, expected a Markdown file";
  return (error as Error).message;
}
