/**
 * Natural order (`R2` before `R10`), exactly as `new Intl.Collator("en", { numeric: true })` sorts,
 * without building that collator on every start: loading ICU's collation data costs about 5 ms,
 * as much as lowering a spec's rules. Ids and table keys are letters, digits, spaces and `_-.`,
 * and for those the collator's first level is simple: spaces and that punctuation, then digit
 * runs by value, then letters regardless of case. Two strings that differ there are ordered
 * here; anything else (other characters, or strings equal at that level, which only case or
 * leading zeros tell apart) goes to the real collator, made on first need.
 * test/natural-order.test.ts checks every answer against the collator.
 */
let collator: Intl.Collator | null = null;

const PLAIN = /^[A-Za-z0-9 _.-]*$/;

export function compareNatural(a: string, b: string): number {
  if (a === b) return 0;
  const first = PLAIN.test(a) && PLAIN.test(b) ? firstLevel(a, b) : 0;
  if (first !== 0) return first;
  collator ??= new Intl.Collator("en", { numeric: true });
  return collator.compare(a, b);
}

/** The collator's first-level order of two plain strings: -1, 1, or 0 when it cannot tell them apart. */
function firstLevel(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      const endA = digitsEnd(a, i);
      const endB = digitsEnd(b, j);
      const order = compareDigits(a.slice(i, endA), b.slice(j, endB));
      if (order !== 0) return order;
      i = endA;
      j = endB;
      continue;
    }
    const order = weight(a.charCodeAt(i)) - weight(b.charCodeAt(j));
    if (order !== 0) return Math.sign(order);
    i++;
    j++;
  }
  return Math.sign(a.length - i - (b.length - j));
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function digitsEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  return end;
}

/** Two digit runs by value: leading zeros dropped, then the longer is larger, then digit by digit. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return Math.sign(x.length - y.length);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** First-level weights: space < `_` < `-` < `.` < digits < letters (a and A alike). */
function weight(code: number): number {
  if (code === 32) return 1;
  if (code === 95) return 2;
  if (code === 45) return 3;
  if (code === 46) return 4;
  if (isDigit(code)) return 10;
  return 100 + ((code | 32) - 97);
}
