import type { Root } from "mdast";
import { frontmatterFromMarkdown } from "mdast-util-frontmatter";
import { gfmTableFromMarkdown } from "mdast-util-gfm-table";
import { gfmTaskListItemFromMarkdown } from "mdast-util-gfm-task-list-item";
import { frontmatter } from "micromark-extension-frontmatter";
import { gfmTable } from "micromark-extension-gfm-table";
import { gfmTaskListItem } from "micromark-extension-gfm-task-list-item";
import remarkParse from "remark-parse";
import { unified, type Processor } from "unified";
import type { VFile } from "vfile";

/**
 * Only the syntax specs use: tables, task lists and YAML frontmatter.
 * remark-gfm would also load autolinks, footnotes and strikethrough, which cost start-up time
 * and add nothing a spec needs.
 */
function remarkSpecSyntax(this: Processor): void {
  const data = this.data() as {
    micromarkExtensions?: unknown[];
    fromMarkdownExtensions?: unknown[];
  };
  (data.micromarkExtensions ??= []).push(frontmatter(["yaml"]), gfmTable(), gfmTaskListItem());
  (data.fromMarkdownExtensions ??= []).push(
    frontmatterFromMarkdown(["yaml"]),
    gfmTableFromMarkdown(),
    gfmTaskListItemFromMarkdown(),
  );
}

const processor = unified().use(remarkParse).use(remarkSpecSyntax).freeze();

/** Markdown → mdast with positions. Adds no meaning. */
export function parse(file: VFile): Root {
  return processor.parse(file) as Root;
}
