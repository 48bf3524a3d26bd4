/** One column of a plain-text table: its heading, its width in characters and its alignment. */
export interface Column {
  title: string;
  width: number;
  align?: "left" | "right";
}

/** Two spaces between columns: wide enough to read, narrow enough for 100 columns. */
const GAP = "  ";

/**
 * A plain-text table: a heading row, then each row with every cell wrapped to its column's width
 * (a row takes as many lines as its tallest cell). Lines end without trailing spaces.
 */
export function formatTable(columns: Column[], rows: string[][], indent = ""): string[] {
  const lines: string[] = [];
  const render = (cells: string[][]) => {
    const height = Math.max(1, ...cells.map((cell) => cell.length));
    for (let line = 0; line < height; line++) {
      const parts = columns.map((column, index) => {
        const text = cells[index]?.[line] ?? "";
        return column.align === "right" ? text.padStart(column.width) : text.padEnd(column.width);
      });
      lines.push(`${indent}${parts.join(GAP)}`.trimEnd());
    }
  };
  render(columns.map((column) => [column.title]));
  for (const row of rows) render(columns.map((column, index) => wrapText(row[index] ?? "", column.width)));
  return lines;
}

/** Greedy word wrap to `width`; a word longer than the width is cut into pieces. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter((part) => part !== "")) {
    const pieces = word.length > width ? (word.match(new RegExp(`.{1,${width}}`, "gu")) ?? [word]) : [word];
    for (const piece of pieces) {
      if (current === "") current = piece;
      else if (current.length + 1 + piece.length <= width) current += ` ${piece}`;
      else {
        lines.push(current);
        current = piece;
      }
    }
  }
  if (current !== "" || lines.length === 0) lines.push(current);
  return lines;
}
