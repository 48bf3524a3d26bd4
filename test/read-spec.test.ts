import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { SpeccError } from "../compiler/errors.js";
import { MAX_SPEC_BYTES, readSpec } from "../compiler/read-spec.js";

const scratch = mkdtempSync(join(tmpdir(), "specc-read-"));
function write(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

/** The SpeccError message `readSpec(path)` throws. */
function refusal(path: string): string {
  try {
    readSpec(path, { displayPath: "x.md" });
  } catch (error) {
    expect(error).toBeInstanceOf(SpeccError);
    return (error as Error).message;
  }
  throw new Error(`${path} was read`);
}

describe("readSpec", () => {
  test("reads a Markdown file, dropping a BOM", () => {
    const file = readSpec(write("ok.md", "\uFEFF# Title\n\nText.\n"), { displayPath: "ok.md" });
    expect(String(file.value)).toBe("# Title\n\nText.\n");
    expect(file.path).toBe("ok.md");
  });

  test("refuses a character device without reading it", () => {
    // /dev/zero reports size 0 and never ends: trusting stat made `specc check /dev/zero` grow to 5 GB.
    expect(refusal("/dev/zero")).toBe("cannot read x.md: it is a character device, expected a Markdown file");
  });

  test.skipIf(process.platform === "win32")("refuses a FIFO with no writer without blocking", () => {
    const fifo = join(scratch, "pipe.md");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    expect(refusal(fifo)).toBe("cannot read x.md: it is a FIFO, expected a Markdown file");
  });

  test("refuses a file over the limit", () => {
    const big = write("big.md", Buffer.alloc(MAX_SPEC_BYTES + 1024 * 1024, "a"));
    expect(refusal(big)).toBe("cannot read x.md: 9.0 MB is over the 8 MB limit for a spec");
  });

  test("a file at the limit is read", () => {
    expect(String(readSpec(write("limit.md", Buffer.alloc(MAX_SPEC_BYTES, "a"))).value)).toHaveLength(MAX_SPEC_BYTES);
  });

  test("keeps the messages for missing files, directories, binary and bad UTF-8", () => {
    expect(refusal(join(scratch, "missing.md"))).toBe("cannot read x.md: no such file");
    expect(refusal(scratch)).toBe("cannot read x.md: it is a directory, expected a Markdown file");
    expect(refusal(write("bin.md", Buffer.from("ok\nok\n\0")))).toBe("cannot read x.md: it looks binary (a NUL byte on line 3), expected Markdown text");
    expect(refusal(write("latin1.md", Buffer.from([0x61, 0x0a, 0xe9, 0x0a])))).toBe("cannot read x.md: invalid UTF-8 on line 2, expected UTF-8 text");
  });
});
