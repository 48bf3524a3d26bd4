import type { List, ListItem, Node, RootContent, Table } from "mdast";
import { toString } from "mdast-util-to-string";
import type { Param, TableValue } from "../ir.js";
import { sourceOf } from "./source.js";
import { parseValue, snakeKey } from "./values.js";

// A key is a short lowercase or snake_case name; prose like "Note: the run …" is not a parameter.
const KEY_VALUE = /^\s*`?([a-z][a-z0-9_]*(?: [a-z0-9_]+){0,3})`?\s*[:=]\s*(.+?)\s*$/;
const KEY_VALUE_HEADERS = new Set(["parameter", "param", "key", "name", "setting", "option", "limit", "limits", "control", "guard", "item", "what"]);

/** A `key: value` list item as a parameter, or null when it is prose. */
export function paramFromItem(item: ListItem): Param | null {
  const first = item.children[0];
  if (!first || first.type !== "paragraph" || item.children.length > 1) return null;
  const text = toString(first);
  const match = KEY_VALUE.exec(text);
  if (!match || match[2].length > 80) return null;
  return { key: snakeKey(match[1]), value: parseValue(match[2]), raw: match[2], source: sourceOf(item), origin: "written" };
}

function cellTexts(row: Table["children"][number]): string[] {
  return row.children.map((cell) => toString(cell).trim());
}

/** A two-column key/value table gives one parameter a row; any other table is one table parameter. */
export function paramsFromTable(table: Table): Param[] {
  const [header, ...rows] = table.children;
  if (!header) return [];
  const columns = cellTexts(header);
  if (columns.length === 2 && KEY_VALUE_HEADERS.has(snakeKey(columns[0]))) {
    return rows.map((row) => {
      const [key, raw = ""] = cellTexts(row);
      return { key: snakeKey(key), value: parseValue(raw), raw, source: sourceOf(row), origin: "written" };
    });
  }
  const value: TableValue = {
    columns,
    rows: rows.map((row) => {
      const cells = cellTexts(row);
      return Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? ""]));
    }),
  };
  const key = `${snakeKey(columns[columns.length - 1])}_by_${snakeKey(columns[0])}`;
  return [{ key, value, raw: "", source: sourceOf(table), origin: "written" }];
}

/** An ordered list is an order of steps (the OOM recovery order). */
export function paramFromOrderedList(list: List): Param {
  const steps = list.children.map((item) => toString(item).trim());
  return { key: "order", value: steps, raw: steps.join("; "), source: sourceOf(list), origin: "written" };
}

/** Every parameter among `nodes`: key/value items, tables and ordered lists. */
export function collectParams(nodes: readonly (RootContent | Node)[]): Param[] {
  const params: Param[] = [];
  for (const node of nodes) {
    if (node.type === "table") params.push(...paramsFromTable(node as Table));
    else if (node.type === "list" && (node as List).ordered) params.push(paramFromOrderedList(node as List));
    else if (node.type === "list") {
      for (const item of (node as List).children) {
        const param = paramFromItem(item);
        if (param) params.push(param);
      }
    }
  }
  return params;
}
