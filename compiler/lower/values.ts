import type { ParamValue } from "../ir.js";

const NUMBER = String.raw`[-+]?\d+(?:\.\d+)?`;
const DURATION_UNITS: Record<string, number> = { s: 1 / 3600, m: 1 / 60, h: 1, d: 24 };
const SUFFIXES: Record<string, number> = { k: 1e3, K: 1e3, m: 1e6, M: 1e6, b: 1e9, B: 1e9 };

/** Round away float noise (1/60 h, 0.1 × 3) so the IR prints the same everywhere. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

function parseNumber(text: string): number | null {
  const plain = new RegExp(`^\\$?(${NUMBER})\\s*(?:usd|USD|%)?$`).exec(text);
  if (plain) return text.endsWith("%") ? tidy(Number(plain[1]) / 100) : Number(plain[1]);
  const suffixed = new RegExp(`^(${NUMBER})\\s*([kKmMbB])$`).exec(text);
  if (suffixed) return tidy(Number(suffixed[1]) * SUFFIXES[suffixed[2]]);
  const times = new RegExp(`^(${NUMBER})\\s*[×x]$`).exec(text);
  if (times) return Number(times[1]);
  return null;
}

function parseDuration(text: string): number | null {
  const match = new RegExp(`^(${NUMBER})\\s*([smhd])$`).exec(text);
  return match ? tidy(Number(match[1]) * DURATION_UNITS[match[2]]) : null;
}

function parseRange(text: string): { min: number; max: number } | null {
  const parts = text.split(/\s*(?:–|—|-|\bto\b)\s*/);
  if (parts.length !== 2 || parts[0] === "") return null;
  const [low, high] = parts;
  const min = parseDuration(low) ?? parseNumber(low);
  const max = parseDuration(high) ?? parseNumber(high);
  if (min === null || max === null || min > max) return null;
  return { min, max };
}

/** Parse a written parameter value (docs/spec-language.md §7). */
export function parseValue(raw: string): ParamValue {
  const text = raw.trim().replace(/^`(.*)`$/, "$1").replace(/[.;]$/, "").trim();
  if (/^(true|yes|on)$/i.test(text)) return true;
  if (/^(false|no|off)$/i.test(text)) return false;
  const value = parseDuration(text) ?? parseNumber(text) ?? parseRange(text);
  if (value !== null) return value;
  if (text.includes(",") && !/\s\w+\s\w+\s/.test(text)) return text.split(/\s*,\s*/).filter(Boolean);
  return text;
}

/** `Max iterations` → `max_iterations`. */
export function snakeKey(text: string): string {
  return text
    .trim()
    .replace(/[`*]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}
