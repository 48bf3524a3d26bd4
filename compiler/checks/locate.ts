import type { VFile } from "vfile";
import type { Point, Source } from "../ir.js";

/** Line start offsets of the file, computed once per file. */
const lineStarts = new WeakMap<VFile, number[]>();

function startsOf(file: VFile): number[] {
  let starts = lineStarts.get(file);
  if (!starts) {
    starts = [0];
    const text = String(file.value);
    for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) starts.push(index + 1);
    lineStarts.set(file, starts);
  }
  return starts;
}

function offsetOf(file: VFile, point: Point): number {
  return (startsOf(file)[point.line - 1] ?? 0) + point.column - 1;
}

function pointAt(file: VFile, offset: number): Point {
  const starts = startsOf(file);
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - starts[low] + 1 };
}

/** The exact place of `needle` (as a whole word) inside `within`; `within` when not found. */
export function locate(file: VFile, within: Source, needle: string): Source {
  const text = String(file.value);
  const from = offsetOf(file, within.start);
  const to = offsetOf(file, within.end);
  const pattern = new RegExp(`(?<![\\w.])${needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+")}(?![\\w])`, "g");
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  if (!match || match.index >= to) return within;
  return { start: pointAt(file, match.index), end: pointAt(file, match.index + match[0].length) };
}
