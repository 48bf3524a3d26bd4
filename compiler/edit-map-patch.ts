import { EditMap } from "micromark-util-edit-map";

/** The parts of micromark's EditMap that `consume` touches. */
interface EditMapState {
  map: [number, number, unknown[]][];
  index: Map<number, unknown>;
}

/**
 * micromark-util-edit-map 1.0.0 rebuilds the *whole* event list each time it applies edits
 * (`events.slice()` of everything before the first edit, then pushing it back), and micromark
 * applies edits whenever a list or quote closes: a spec with thousands of list items inside one
 * section parsed in quadratic time (16,000 items: 30.8 s). The events before the first edit never
 * move, so this `consume` keeps them in place and rebuilds only the tail. Same result, event for
 * event (test/parse.test.ts compares every spec with the whole-file parse); linear cost.
 */
function consume(this: EditMapState, events: unknown[]): void {
  this.map.sort((a, b) => a[0] - b[0]);
  if (this.map.length === 0) return;
  const slices: unknown[][] = [];
  for (let index = this.map.length - 1; index >= 0; index--) {
    const [at, remove, add] = this.map[index];
    slices.push(events.slice(at + remove), add);
    events.length = at; // the prefix before the first edit stays where it is
  }
  for (let slice = slices.pop(); slice; slice = slices.pop()) for (const event of slice) events.push(event);
  this.map.length = 0;
  this.index.clear();
}

(EditMap.prototype as unknown as { consume: typeof consume }).consume = consume;
