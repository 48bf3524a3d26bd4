import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { VFile } from "vfile";
import { SpeccError } from "./errors.js";

/** Specs larger than this are refused: a spec is a document a person reads, not a data dump. */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

/** Read a spec from disk as a VFile, refusing what is not a UTF-8 Markdown text file. */
export function readSpec(path: string, options: { displayPath?: string } = {}): VFile {
  const shown = options.displayPath ?? path;
  return new VFile({ path: shown, value: decode(readBytes(path, shown), shown) });
}

/**
 * The bytes of a regular file, at most MAX_SPEC_BYTES of them. The size is counted while reading,
 * not taken from stat: special files report 0 (`/dev/zero` never ends) and a file can grow.
 * O_NONBLOCK makes opening a FIFO with no writer return at once instead of waiting forever.
 */
function readBytes(path: string, shown: string): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SpeccError(`cannot read ${shown}: ${describeFsError(error)}`);
  }
  try {
    const stat = fstatSync(descriptor);
    const kind = specialKind(stat);
    if (kind) throw new SpeccError(`cannot read ${shown}: it is ${kind}, expected a Markdown file`);
    if (stat.size > MAX_SPEC_BYTES) throw tooLarge(shown, `${(stat.size / 1024 / 1024).toFixed(1)} MB`);
    return readAtMost(descriptor, shown);
  } catch (error) {
    if (error instanceof SpeccError) throw error;
    throw new SpeccError(`cannot read ${shown}: ${describeFsError(error)}`);
  } finally {
    closeSync(descriptor);
  }
}

/** Read in chunks until the end, refusing as soon as one byte more than the limit arrives. */
function readAtMost(descriptor: number, shown: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const read = readSync(descriptor, chunk, 0, chunk.length, null);
    if (read === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, read));
    total += read;
    if (total > MAX_SPEC_BYTES) throw tooLarge(shown, `more than ${MAX_SPEC_BYTES / 1024 / 1024} MB`);
  }
}

function tooLarge(shown: string, size: string): SpeccError {
  return new SpeccError(`cannot read ${shown}: ${size} is over the ${MAX_SPEC_BYTES / 1024 / 1024} MB limit for a spec`);
}

/** What a file that is not a regular file is, in words; null for a regular file. */
function specialKind(stat: Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return "a directory";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/** Decode strict UTF-8 (dropping a BOM); binary or mis-encoded input is named with its line. */
export function decode(bytes: Uint8Array, shown: string): string {
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new SpeccError(`cannot read ${shown}: it looks binary (a NUL byte on line ${lineAt(bytes, nul)}), expected Markdown text`);
  try {
    // CRLF and lone CR become LF: line endings are layout, and lines and columns stay the same.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes).replace(/\r\n?/g, "\n");
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
