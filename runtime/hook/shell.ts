// A shell command line read without running a shell, for the PreToolUse guard. It splits a Bash
// call into simple commands (words and redirections), descends into every construct that runs
// other text ($(...), backticks, <(...), here-document bodies that expand), and throws on anything
// it cannot read (unbalanced quotes, unclosed substitutions, unterminated here-documents): the
// guard blocks what does not parse. One pass over the text per nesting level; nesting is bounded.

/** One word. `dynamic`: part of it comes from an expansion; `glob`: unquoted pattern characters. */
export interface HookWord {
  text: string;
  dynamic: boolean;
  glob: boolean;
}

/** A redirection: `op` as written (`>`, `>>`, `<`, `<<<`, `&>`, ...), its target word, or none (dup). */
export interface HookRedirect {
  op: string;
  target: HookWord | null;
}

/** One simple command. `stdin` says where its standard input comes from when not inherited. */
export interface HookCommand {
  words: HookWord[];
  redirects: HookRedirect[];
  stdin: "inherit" | "pipe" | "heredoc" | "file";
  /** 0 for the command line itself, one more per substitution or nested program. */
  depth: number;
}

/** The deepest nesting of substitutions, nested shells and eval the guard follows. */
export const HOOK_MAX_DEPTH = 8;

interface HookHeredoc {
  delimiter: string;
  strip: boolean;
  quoted: boolean;
}

interface HookLex {
  text: string;
  depth: number;
  out: HookCommand[];
  cur: HookCommand;
  word: HookWord | null;
  redirect: string | null;
  heredocs: HookHeredoc[];
}

/** Every simple command a command line runs, substitutions first; throws when it cannot be read. */
export function hookParseShell(text: string, depth = 0): HookCommand[] {
  if (depth > HOOK_MAX_DEPTH) throw new Error("the command nests too deeply to check");
  const lex: HookLex = { text, depth, out: [], cur: hookNewCommand(depth, "inherit"), word: null, redirect: null, heredocs: [] };
  let i = 0;
  while (i < text.length) i = hookLexStep(lex, i);
  if (lex.heredocs.length > 0) throw new Error("unterminated here-document");
  hookEndCommand(lex, "inherit");
  return lex.out;
}

function hookNewCommand(depth: number, stdin: HookCommand["stdin"]): HookCommand {
  return { words: [], redirects: [], stdin, depth };
}

function hookStartWord(lex: HookLex): HookWord {
  if (lex.word === null) lex.word = { text: "", dynamic: false, glob: false };
  return lex.word;
}

function hookAppend(lex: HookLex, text: string): void {
  hookStartWord(lex).text += text;
}

function hookDynamic(lex: HookLex, text: string): void {
  const word = hookStartWord(lex);
  word.text += text;
  word.dynamic = true;
}

function hookEndWord(lex: HookLex): void {
  const word = lex.word;
  lex.word = null;
  if (word === null) return;
  if (lex.redirect === null) {
    lex.cur.words.push(word);
    return;
  }
  const op = lex.redirect;
  lex.redirect = null;
  const dup = /&$/.test(op) && /^(\d+-?|-)$/.test(word.text);
  lex.cur.redirects.push({ op, target: dup ? null : word });
  if (op === "<<<") lex.cur.stdin = "heredoc";
  else if (op === "<" || op === "<>") lex.cur.stdin = "file";
}

function hookEndCommand(lex: HookLex, next: HookCommand["stdin"]): void {
  hookEndWord(lex);
  if (lex.redirect !== null) throw new Error("a redirection has no target");
  if (lex.cur.words.length > 0 || lex.cur.redirects.length > 0) lex.out.push(lex.cur);
  lex.cur = hookNewCommand(lex.depth, next);
}

function hookNested(lex: HookLex, inner: string): void {
  lex.out.push(...hookParseShell(inner, lex.depth + 1));
}

/** Consume one construct at i; returns the index after it. */
function hookLexStep(lex: HookLex, i: number): number {
  const text = lex.text;
  const c = text[i];
  if (c === " " || c === "\t" || c === "\r") {
    hookEndWord(lex);
    return i + 1;
  }
  if (c === "\n") return hookNewline(lex, i);
  if (c === "#" && lex.word === null) {
    const end = text.indexOf("\n", i);
    return end < 0 ? text.length : end;
  }
  if (c === "\\") {
    if (text[i + 1] === "\n") return i + 2;
    if (i + 1 >= text.length) throw new Error("the command ends in a lone backslash");
    hookAppend(lex, text[i + 1]);
    return i + 2;
  }
  if (c === "'") {
    const end = text.indexOf("'", i + 1);
    if (end < 0) throw new Error("unbalanced single quote");
    hookAppend(lex, text.slice(i + 1, end));
    return end + 1;
  }
  if (c === '"') return hookDoubleQuote(lex, i + 1);
  if (c === "$") return hookDollar(lex, i, false);
  if (c === "`") return hookBacktick(lex, i);
  if (c === "<" || c === ">" || (c === "&" && text[i + 1] === ">")) return hookRedirection(lex, i);
  if (c === "|" || c === "&" || c === ";") {
    const two = text.slice(i, i + 2);
    const pipe = c === "|" && two !== "||";
    hookEndCommand(lex, pipe ? "pipe" : "inherit");
    return i + (two === "||" || two === "&&" || two === ";;" || two === "|&" || two === ";&" ? 2 : 1);
  }
  if (c === "(" || c === ")") {
    hookEndCommand(lex, "inherit");
    return i + 1;
  }
  const word = hookStartWord(lex);
  word.text += c;
  if (c === "*" || c === "?" || c === "[" || c === "{" || (c === "~" && word.text === "~")) word.glob = word.glob || c !== "~";
  return i + 1;
}

function hookDoubleQuote(lex: HookLex, start: number): number {
  const text = lex.text;
  hookStartWord(lex);
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined) break;
      if (next === "\n") i += 2;
      else {
        hookAppend(lex, "$`\"\\".includes(next) ? next : "\\" + next);
        i += 2;
      }
    } else if (c === "$") i = hookDollar(lex, i, true);
    else if (c === "`") i = hookBacktick(lex, i);
    else {
      hookAppend(lex, c);
      i++;
    }
  }
  throw new Error("unbalanced double quote");
}

/** `$...`: substitutions are parsed as nested command lines; every expansion marks the word dynamic. */
function hookDollar(lex: HookLex, i: number, quoted: boolean): number {
  const text = lex.text;
  const next = text[i + 1];
  if (next === "(" && text[i + 2] === "(") {
    const end = hookClose(text, i + 2);
    hookExpansions(lex, text.slice(i + 3, end));
    hookDynamic(lex, text.slice(i, end + 1));
    return end + 1;
  }
  if (next === "(") {
    const end = hookClose(text, i + 2);
    hookNested(lex, text.slice(i + 2, end));
    hookDynamic(lex, text.slice(i, end + 1));
    return end + 1;
  }
  if (next === "{") {
    const end = hookBrace(text, i + 2);
    hookExpansions(lex, text.slice(i + 2, end));
    hookDynamic(lex, text.slice(i, end + 1));
    return end + 1;
  }
  if (next === "'" && !quoted) {
    let j = i + 2;
    while (j < text.length && text[j] !== "'") j += text[j] === "\\" ? 2 : 1;
    if (j >= text.length) throw new Error("unbalanced $'...' quote");
    hookDynamic(lex, text.slice(i, j + 1));
    return j + 1;
  }
  if (next === '"' && !quoted) {
    hookDynamic(lex, "$");
    return hookDoubleQuote(lex, i + 2);
  }
  if (next !== undefined && /[A-Za-z_]/.test(next)) {
    let j = i + 1;
    while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
    hookDynamic(lex, text.slice(i, j));
    return j;
  }
  if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
    hookDynamic(lex, text.slice(i, i + 2));
    return i + 2;
  }
  hookAppend(lex, "$");
  return i + 1;
}

function hookBacktick(lex: HookLex, i: number): number {
  const text = lex.text;
  let inner = "";
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\" && j + 1 < text.length) {
      const next = text[j + 1];
      inner += "$`\\".includes(next) ? next : c + next;
      j++;
    } else if (c === "`") {
      hookNested(lex, inner);
      hookDynamic(lex, text.slice(i, j + 1));
      return j + 1;
    } else inner += c;
  }
  throw new Error("unclosed backtick substitution");
}

/** Redirections, here-documents, here-strings and process substitutions. */
function hookRedirection(lex: HookLex, i: number): number {
  const text = lex.text;
  if ((text[i] === "<" || text[i] === ">") && text[i + 1] === "(") {
    const end = hookClose(text, i + 2);
    hookNested(lex, text.slice(i + 2, end));
    hookDynamic(lex, text.slice(i, end + 1));
    return end + 1;
  }
  // A word of digits right before the operator is the file descriptor, not an argument.
  if (lex.word !== null && /^\d+$/.test(lex.word.text) && !lex.word.dynamic) lex.word = null;
  else hookEndWord(lex);
  if (lex.redirect !== null) throw new Error("a redirection has no target");
  const op = /^(<<<|<<-|<<|<>|<&|<|>>|>\||>&|>|&>>|&>)/.exec(text.slice(i, i + 3))![0];
  if (op === "<<" || op === "<<-") return hookHeredocStart(lex, i + op.length, op === "<<-");
  lex.redirect = op;
  return i + op.length;
}

/** <<WORD, <<-WORD, <<'WORD': the body follows the next newline. */
function hookHeredocStart(lex: HookLex, start: number, strip: boolean): number {
  const text = lex.text;
  let j = start;
  while (text[j] === " " || text[j] === "\t") j++;
  const match = /^(?:'([^'\n]*)'|"([^"\n]*)"|([^\s;&|<>()]+))/.exec(text.slice(j, j + 256));
  if (!match) throw new Error("a here-document has no delimiter");
  const delimiter = match[1] ?? match[2] ?? match[3].replace(/\\/g, "");
  lex.heredocs.push({ delimiter, strip, quoted: match[3] === undefined || match[3].includes("\\") });
  lex.cur.stdin = "heredoc";
  lex.cur.redirects.push({ op: "<<", target: null });
  return j + match[0].length;
}

/** The lines of a here-document body from `position` up to its delimiter line, and where the text goes on. */
function hookHeredocBody(text: string, start: number, heredoc: { delimiter: string; strip: boolean }): { lines: string[]; position: number } {
  const lines: string[] = [];
  let position = start;
  for (;;) {
    if (position >= text.length) throw new Error("unterminated here-document");
    const end = text.indexOf("\n", position);
    const line = text.slice(position, end < 0 ? text.length : end);
    position = end < 0 ? text.length : end + 1;
    if ((heredoc.strip ? line.replace(/^\t+/, "") : line) === heredoc.delimiter) return { lines, position };
    lines.push(line);
  }
}

/** A newline ends the command; pending here-document bodies follow it. */
function hookNewline(lex: HookLex, i: number): number {
  const text = lex.text;
  let position = i + 1;
  for (const heredoc of lex.heredocs) {
    const body = hookHeredocBody(text, position, heredoc);
    position = body.position;
    if (!heredoc.quoted) hookExpansions(lex, body.lines.join("\n"));
  }
  lex.heredocs = [];
  hookEndCommand(lex, "inherit");
  return position;
}

/** Substitutions inside an expanding text (unquoted here-document, ${...}, $((...))) still run. */
function hookExpansions(lex: HookLex, body: string): void {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") i++;
    else if (body[i] === "$" && body[i + 1] === "(") {
      const end = hookClose(body, i + 2);
      hookNested(lex, body.slice(i + 2, end));
      i = end;
    } else if (body[i] === "`") {
      const end = body.indexOf("`", i + 1);
      if (end < 0) throw new Error("unclosed backtick substitution");
      hookNested(lex, body.slice(i + 1, end));
      i = end;
    }
  }
}

/** The `)` closing a `$(` or `(` opened before start; here-documents inside are skipped whole. */
function hookClose(text: string, start: number): number {
  let level = 1;
  let quote = "";
  const pending: HookHeredoc[] = [];
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = "";
    } else if (quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') quote = "";
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === start || /[\s;&|()]/.test(text[i - 1]))) {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end - 1;
    } else if (c === "<" && text[i + 1] === "<" && text[i + 2] !== "<") {
      const strip = text[i + 2] === "-";
      let j = i + (strip ? 3 : 2);
      while (text[j] === " " || text[j] === "\t") j++;
      const match = /^(?:'([^'\n]*)'|"([^"\n]*)"|([^\s;&|<>()]+))/.exec(text.slice(j, j + 256));
      if (!match) throw new Error("a here-document has no delimiter");
      pending.push({ delimiter: match[1] ?? match[2] ?? match[3].replace(/\\/g, ""), strip, quoted: true });
      i = j + match[0].length - 1;
    } else if (c === "\n" && pending.length > 0) {
      let position = i + 1;
      for (const heredoc of pending) position = hookHeredocBody(text, position, heredoc).position;
      pending.length = 0;
      i = position - 1;
    } else if (c === "(") level++;
    else if (c === ")" && --level === 0) return i;
  }
  throw new Error("unclosed command substitution");
}

/** The `}` closing a `${` opened before start. */
function hookBrace(text: string, start: number): number {
  let level = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "{") level++;
    else if (c === "}" && --level === 0) return i;
  }
  throw new Error("unclosed ${...} expansion");
}
