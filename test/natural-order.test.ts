import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareNatural } from "../compiler/natural-order.js";

// The collator compareNatural stands in for: every answer must have the same sign as its.
const collator = new Intl.Collator("en", { numeric: true });

function specWords(): string[] {
  const words = new Set<string>();
  const dirs = ["specs", "test/corpus", "test/corpus2", "test/corpus3"];
  for (const dir of dirs) {
    for (const name of readdirSync(dir).filter((file) => file.endsWith(".md"))) {
      const text = readFileSync(join(dir, name), "utf8");
      for (const match of text.matchAll(/[A-Za-z0-9§_.-]{1,12}(?: \d{1,3})?/g)) words.add(match[0]);
    }
  }
  return [...words];
}

/** A seeded generator, so a failure names the same strings on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function randomStrings(count: number, alphabet: string): string[] {
  const next = random(7);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""));
}

function expectSameOrder(strings: string[]): void {
  const wrong: string[] = [];
  for (const a of strings) {
    for (const b of strings) {
      if (Math.sign(compareNatural(a, b)) !== Math.sign(collator.compare(a, b))) wrong.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
  expect(wrong.slice(0, 10)).toEqual([]);
}

describe("compareNatural", () => {
  it("orders ids naturally", () => {
    expect(["R10", "R2", "Phase 10", "Phase 9", "SR-3", "C1", "r1", "§7.2", "7.10", "7.9"].sort(compareNatural)).toEqual([...["R10", "R2", "Phase 10", "Phase 9", "SR-3", "C1", "r1", "§7.2", "7.10", "7.9"]].sort(collator.compare));
  });

  it("agrees with Intl.Collator on every pair of words from the bundled and corpus specs", () => {
    const words = specWords();
    expect(words.length).toBeGreaterThan(500);
    // Every pair of 600 words is 360,000 comparisons: enough, and a few seconds at most.
    const step = Math.max(1, Math.floor(words.length / 600));
    expectSameOrder(words.filter((_, index) => index % step === 0));
  });

  it("agrees with Intl.Collator on random strings of the characters it orders itself, and of others", () => {
    expectSameOrder(randomStrings(400, "aAbBzZ019 _-.0"));
    expectSameOrder(randomStrings(200, "aA1 _-.§,:/()Éé"));
  });

  it("agrees where only case or leading zeros differ", () => {
    expectSameOrder(["R1", "r1", "R01", "R001", "a", "A", "ab", "Ab", "aB", "AB", "x1y", "X1Y", "x01y", ""]);
  });
});
