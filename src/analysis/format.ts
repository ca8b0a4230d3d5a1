/**
 * The formatter: canonical spacing (one space around binary operators and after commas, none inside
 * brackets, norms and inner products), `given`/`var` blocks aligned in columns (keyword, name, type,
 * `with`), trailing comments of a paragraph aligned, at most one blank line, one final newline.
 * Only whitespace changes, never a token or the notation (LaTeX and Unicode stay as written), and
 * never where the parser reads spacing (`x_i`, `A'`, `X[i]`): each formatted line is lexed again and
 * kept only if it gives the same tokens, else the line stays as it was. Formatting is idempotent.
 */
import { type Token, lex } from '../language/lexer';

const BINARY = new Set(['+', '-', '*', '/', '=', '<=', '>=', '∘', '⊗', '.*', './']);
const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** Where a space before the token changes the parse. */
const SPACE_SENSITIVE = new Set(['_', "'", '[']);

type Context = 'paren' | 'index' | 'script' | 'group';

interface Piece {
  text: string;
  token?: Token;
}

interface FormattedLine {
  /** Separator before each piece; seps[0] is the indentation. */
  seps: string[];
  pieces: Piece[];
  comment?: string;
  /** Column of the comment in the original line. */
  commentColumn?: number;
  /** First line of a statement (not a continuation), with the statement keyword when there is one. */
  keyword?: string;
  /** The statement ends on this line. */
  ends: boolean;
  /** Column of `with` in the original line (declarations keep an author's wider alignment). */
  withColumn?: number;
}

function width(s: string): number {
  return [...s].length;
}

function code(line: FormattedLine): string {
  return line.pieces.map((p, i) => line.seps[i] + p.text).join('');
}

/** Statement keywords and `with`: words, but never the end of an operand. */
const KEYWORDS = new Set(['dim', 'const', 'given', 'var', 'let', 'loss', 'def', 'claim', 'sweep', 'with']);

/** How a token works where it stands: `||` and `<`/`>` open or close, `-`/`+` may be a sign. */
type Role = 'open' | 'close' | 'unary' | undefined;

function isOperandEnd(t: Token | undefined, role: Role): boolean {
  if (!t) return false;
  switch (t.kind) {
    case 'ident':
      return !KEYWORDS.has(t.text);
    case 'number':
    case 'sup':
    case 'sub':
      return true;
    case 'op':
      return CLOSERS.has(t.text) || t.text === "'" || role === 'close';
    default:
      return false;
  }
}

export function formatDocument(original: string): string {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const text = original.replace(/\r\n/g, '\n');
  const tokens = lex(text, []);
  const lines = text.split('\n');
  const lineStarts: number[] = [];
  let at = 0;
  for (const l of lines) {
    lineStarts.push(at);
    at += l.length + 1;
  }
  // Tokens by line; a line starts a statement when a newline token precedes its first token.
  const byLine: Token[][] = lines.map(() => []);
  /** Index in `tokens` of each line's last token (whether the statement goes on after the line). */
  const lastIndex: number[] = lines.map(() => -1);
  const startsStatement = lines.map(() => false);
  let li = 0;
  let afterNewline = true;
  tokens.forEach((t, k) => {
    if (t.kind === 'newline' || t.kind === 'eof') {
      afterNewline = true;
      return;
    }
    while (li + 1 < lines.length && lineStarts[li + 1]! <= t.span.start) li++;
    if (byLine[li]!.length === 0 && afterNewline) startsStatement[li] = true;
    byLine[li]!.push(t);
    lastIndex[li] = k;
    afterNewline = false;
  });

  const roles = new Map<Token, Role>();
  const stack: Context[] = [];
  let normDepth = 0;
  let angleDepth = 0;
  let previous: Token | undefined;
  const out: (FormattedLine | undefined)[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const start = lineStarts[i]!;
    const toks = byLine[i]!;
    if (toks.length === 0) {
      out.push(undefined);
      continue;
    }
    if (startsStatement[i]) {
      stack.length = 0;
      normDepth = 0;
      angleDepth = 0;
      previous = undefined;
    }
    const pieces: Piece[] = [];
    const seps: string[] = [];
    let cursor = start;
    for (const t of toks) {
      // The token's role, decided by what precedes it.
      const prevRole = previous ? roles.get(previous) : undefined;
      if (t.kind === 'op' && t.text === '||') roles.set(t, normDepth > 0 && isOperandEnd(previous, prevRole) ? 'close' : 'open');
      else if (t.kind === 'op' && t.text === '<') roles.set(t, 'open');
      else if (t.kind === 'op' && t.text === '>' && angleDepth > 0) roles.set(t, 'close');
      else if (t.kind === 'op' && (t.text === '-' || t.text === '+') && !isOperandEnd(previous, prevRole)) roles.set(t, 'unary');
      const gap = text.slice(cursor, t.span.start);
      // Opaque text between tokens (\left, \,, ~, a stray character) keeps its spacing exactly.
      const m = /^(\s*)(\S(?:[\s\S]*\S)?)?(\s*)$/.exec(gap)!;
      let sep: string;
      if (m[2]) {
        seps.push(pieces.length === 0 && startsStatement[i] ? '' : m[1]!);
        pieces.push({ text: m[2] });
        sep = m[3]!;
      } else if (pieces.length === 0) sep = startsStatement[i] ? '' : /^\s*/.exec(raw)![0];
      else sep = spaceBetween(previous, t, gap, text, stack[stack.length - 1], roles);
      seps.push(sep);
      pieces.push({ text: text.slice(t.span.start, t.span.end), token: t });
      if (t.kind === 'op') {
        if (OPENERS.has(t.text)) {
          const script = previous?.kind === 'op' && (previous.text === '_' || previous.text === '^');
          stack.push(t.text === '(' ? 'paren' : t.text === '[' ? 'index' : script ? 'script' : 'group');
        } else if (CLOSERS.has(t.text)) stack.pop();
        else if (t.text === '||') normDepth += roles.get(t) === 'close' ? -1 : 1;
        else if (t.text === '<') angleDepth++;
        else if (roles.get(t) === 'close') angleDepth--;
      }
      previous = t;
      cursor = t.span.end;
    }
    const rest = text.slice(cursor, start + raw.length);
    const c = /^(\s*)([#%].*?)\s*$/.exec(rest);
    let comment: string | undefined;
    let commentColumn: number | undefined;
    if (c) {
      comment = c[2]!;
      commentColumn = width(text.slice(start, cursor)) + width(c[1]!);
    } else if (rest.trim()) {
      // Opaque text after the last token (a trailing \right): kept with its spacing.
      const m = /^(\s*)(.*?)\s*$/.exec(rest)!;
      seps.push(m[1]!);
      pieces.push({ text: m[2]! });
    }
    const next = tokens[lastIndex[i]! + 1];
    const withToken = toks.find((t) => t.kind === 'ident' && t.text === 'with');
    const line: FormattedLine = {
      seps,
      pieces,
      ...(withToken ? { withColumn: width(text.slice(start, withToken.span.start)) } : {}),
      ...(comment !== undefined ? { comment, commentColumn: commentColumn! } : {}),
      ...(startsStatement[i] && toks[0]!.kind === 'ident' ? { keyword: toks[0]!.text } : {}),
      ends: next === undefined || next.kind === 'newline' || next.kind === 'eof',
    };
    out.push(sameTokens(raw, code(line)) ? line : verbatim(raw, comment, commentColumn));
  }

  alignDeclarations(out);
  alignComments(out);

  // Own-line comments and blank lines stay (trimmed), at most one blank line in a row.
  const result: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = out[i];
    let s: string;
    if (line) {
      const body = code(line);
      s = line.comment !== undefined ? `${body}${' '.repeat(Math.max(1, (line.commentColumn ?? 0) - width(body)))}${line.comment}` : body;
    } else s = lines[i]!.replace(/\s+$/, '');
    if (s === '' && (result.length === 0 || result[result.length - 1] === '')) continue;
    result.push(s);
  }
  while (result.length > 0 && result[result.length - 1] === '') result.pop();
  const formatted = result.length ? `${result.join(eol)}${eol}` : '';
  // Lines were checked one by one; a token spanning lines (a backslash before a line break) is
  // only seen whole: if the document's tokens differ anywhere, it stays as it was.
  const same = (a: Token[], b: Token[]): boolean =>
    a.length === b.length && a.every((t, i) => t.kind === b[i]!.kind && t.text === b[i]!.text);
  const significant = (t: string): Token[] => lex(t, []).filter((k) => k.kind !== 'newline' && k.kind !== 'eof');
  return same(significant(text), significant(formatted.replace(/\r\n/g, '\n'))) ? formatted : original;
}

/** A line the formatter leaves alone (only trailing whitespace goes; its comment may still move). */
function verbatim(raw: string, comment: string | undefined, commentColumn: number | undefined): FormattedLine {
  const body = (comment !== undefined ? [...raw].slice(0, commentColumn).join('') : raw).replace(/\s+$/, '');
  return {
    seps: [''],
    pieces: [{ text: body }],
    ...(comment !== undefined ? { comment, commentColumn: commentColumn! } : {}),
    ends: true,
  };
}

/** The formatted line lexes to the same tokens, with the same spacing where the parser reads it. */
function sameTokens(before: string, after: string): boolean {
  const a = lex(before, []).filter((t) => t.kind !== 'newline' && t.kind !== 'eof');
  const b = lex(after, []).filter((t) => t.kind !== 'newline' && t.kind !== 'eof');
  if (a.length !== b.length) return false;
  return a.every((t, i) => {
    const u = b[i]!;
    const sensitive = t.kind === 'sub' || (t.kind === 'op' && SPACE_SENSITIVE.has(t.text));
    return t.kind === u.kind && t.text === u.text && (!sensitive || t.spaced === u.spaced);
  });
}

function spaceBetween(
  a: Token | undefined,
  b: Token,
  gap: string,
  text: string,
  context: Context | undefined,
  roles: Map<Token, Role>,
): string {
  const original = gap.length > 0 ? ' ' : '';
  if (!a) return original;
  const aText = text.slice(a.span.start, a.span.end);
  const bText = text.slice(b.span.start, b.span.end);
  // Joining would make one token of two (`\langle x`, `A x`, `2 3`): a space stays.
  const merges = /[\p{L}0-9.]$/u.test(aText) && /^[\p{L}0-9.]/u.test(bText) && (a.kind !== 'op' || /[A-Za-z]$/.test(aText));
  const space = (want: boolean): string => (want || merges ? ' ' : '');
  const aOp = a.kind === 'op' ? a.text : undefined;
  const bOp = b.kind === 'op' ? b.text : undefined;
  const aRole = roles.get(a);
  const bRole = roles.get(b);
  // Subscripts and superscripts (`sum_{j=1}^{n}`, `R^{n x d}`) and LaTeX commands keep the
  // author's spacing: pasted LaTeX stays as written.
  if (context === 'script' || aText.startsWith('\\') || bText.startsWith('\\')) return merges ? ' ' : original;
  if (b.kind === 'sub' || b.kind === 'sup' || (bOp !== undefined && SPACE_SENSITIVE.has(bOp))) return original;
  if (aOp === '^' || aOp === '_' || bOp === '^') return space(false);
  if (bOp === ',') return space(false);
  if (aOp === ',') return ' ';
  if ((bOp !== undefined && CLOSERS.has(bOp)) || bRole === 'close') return space(false);
  if ((aOp !== undefined && OPENERS.has(aOp)) || aRole === 'open') return space(false);
  if (bOp === ':' || aOp === ':') return context === undefined ? ' ' : space(false);
  if (aRole === 'unary') return space(false);
  if (aOp !== undefined && BINARY.has(aOp)) return ' ';
  if (bOp !== undefined && BINARY.has(bOp)) return bRole === 'unary' ? space(original !== '') : ' ';
  if (a.kind === 'command' && bOp === '{') return space(false);
  return space(original !== '');
}

function alignDeclarations(out: (FormattedLine | undefined)[]): void {
  let run: FormattedLine[] = [];
  const flush = (): void => {
    if (run.length > 1) alignRun(run);
    run = [];
  };
  for (const line of out) {
    if (line && line.ends && (line.keyword === 'given' || line.keyword === 'var') && declParts(line)) run.push(line);
    else flush();
  }
  flush();
}

/** Indices of the name, of ':' and of 'with' (or -1) at bracket depth 0 in a one-line declaration. */
function declParts(line: FormattedLine): { colon: number; withAt: number } | undefined {
  let depth = 0;
  let colon = -1;
  let withAt = -1;
  line.pieces.forEach((p, i) => {
    const t = p.token;
    if (!t) return;
    if (t.kind === 'op' && OPENERS.has(t.text)) depth++;
    else if (t.kind === 'op' && CLOSERS.has(t.text)) depth--;
    else if (depth === 0 && colon < 0 && t.kind === 'op' && t.text === ':') colon = i;
    else if (depth === 0 && colon >= 0 && withAt < 0 && t.kind === 'ident' && t.text === 'with') withAt = i;
  });
  return colon >= 2 ? { colon, withAt } : undefined;
}

function alignRun(run: FormattedLine[]): void {
  const parts = run.map((l) => declParts(l)!);
  const span = (l: FormattedLine, from: number, to: number): string =>
    l.pieces
      .slice(from, to)
      .map((p, k) => (k === 0 ? '' : l.seps[from + k]) + p.text)
      .join('');
  const keyword = Math.max(...run.map((l) => width(l.pieces[0]!.text)));
  const name = Math.max(...run.map((l, k) => width(span(l, 1, parts[k]!.colon))));
  const withLines = run.map((l, k) => ({ l, p: parts[k]! })).filter((x) => x.p.withAt > 0);
  // `with` one space past the longest type, or where the run's first `with` already was.
  const typeStart = keyword + 1 + name + 3;
  const needed = withLines.length ? Math.max(...withLines.map(({ l, p }) => typeStart + width(span(l, p.colon + 1, p.withAt)) + 1)) : 0;
  const withColumn = Math.max(needed, withLines[0]?.l.withColumn ?? 0);
  run.forEach((l, k) => {
    const p = parts[k]!;
    l.seps[1] = ' '.repeat(keyword - width(l.pieces[0]!.text) + 1);
    l.seps[p.colon] = ' '.repeat(name - width(span(l, 1, p.colon)) + 1);
    if (p.withAt > 0) l.seps[p.withAt] = ' '.repeat(withColumn - typeStart - width(span(l, p.colon + 1, p.withAt)));
  });
}

/**
 * Trailing comments sit at least two spaces past their code. Consecutive lines whose comments the
 * author aligned stay aligned (moving right together when a line's code grows); others keep their column.
 */
function alignComments(out: (FormattedLine | undefined)[]): void {
  let run: FormattedLine[] = [];
  const flush = (): void => {
    if (run.length) {
      const column = Math.max(run[0]!.commentColumn!, ...run.map((l) => width(code(l)) + 2));
      for (const l of run) l.commentColumn = column;
    }
    run = [];
  };
  for (const line of out) {
    if (line?.comment === undefined) flush();
    else {
      if (run.length && run[0]!.commentColumn !== line.commentColumn) flush();
      run.push(line);
    }
  }
  flush();
}
