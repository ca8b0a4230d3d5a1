/**
 * Completion by context: statement keywords at the start of a line, LaTeX commands (with their
 * Unicode symbol) after `\`, dims inside a type, vars after `grad_`/`hess_`, and elsewhere the
 * names declared above the cursor with their shapes, the built-in functions and the claim words.
 */
import type { Span } from '../language/diagnostics';
import { BUILTINS, KEYWORDS } from './builtins';
import type { DocumentAnalysis } from './document';
import { LATEX_COMMANDS } from './latex';
import type { SymbolKind } from './symbols';

export type CompletionKind = 'keyword' | 'latex' | 'function' | SymbolKind;

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  /** One line: the shape, the signature, the symbol. */
  detail: string;
  documentation?: string;
  /** Replaces `replace` when present, else the word before the cursor. */
  insertText?: string;
  /** insertText is a snippet (`${1:…}` placeholders). */
  snippet?: boolean;
  replace?: Span;
  /** Orders the list: declared names before functions before keywords. */
  sortGroup: number;
}

const EXPRESSION_WORDS = ['grad', 'hess'];
const CLAIM_WORDS = ['psd', 'pd', 'nsd', 'nd'];

export function complete(doc: DocumentAnalysis, offset: number): CompletionEntry[] {
  const text = doc.text;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (/(^|[^\\])[#%]/.test(before)) return []; // inside a comment (\% and \# are LaTeX, not comments)

  const latex = /\\([A-Za-z]*|\|?)$/.exec(before);
  if (latex) {
    const replace = { start: offset - latex[0].length, end: offset };
    return LATEX_COMMANDS.map((c) => ({
      label: `\\${c.command}`,
      kind: 'latex',
      detail: c.glyph ? `${c.glyph}${c.unicode ? '' : ' (write the command)'}` : '',
      documentation: c.summary + (c.glyph && c.unicode ? `; ${c.glyph} may be typed directly` : ''),
      insertText: `\\${c.snippet ?? c.command}`,
      snippet: c.snippet !== undefined,
      replace,
      sortGroup: 0,
    }));
  }

  if (/^\s*[A-Za-z]*$/.test(before) && !continuesStatement(doc, lineStart)) {
    return KEYWORDS.filter((k) => k.statement).map((k) => ({ label: k.word, kind: 'keyword', detail: k.summary, sortGroup: 0 }));
  }

  const statement = doc.tokens.statementStart(offset);
  const statementStart = statement?.span.start ?? lineStart;
  const declaredAbove = doc.symbols.symbols.filter((s) => s.kind !== 'param' && s.kind !== 'index' && s.nameSpan.start < statementStart);
  const named = (kinds: readonly SymbolKind[]): CompletionEntry[] =>
    declaredAbove.filter((s) => kinds.includes(s.kind)).map((s) => ({ label: s.name, kind: s.kind, detail: s.detail, sortGroup: 0 }));

  if (/(grad|hess)_\{?([A-Za-z0-9]*,\s*)*[A-Za-z0-9]*$/.test(before)) return named(['var']);

  const keyword = statement?.kind === 'ident' ? statement.text : '';
  if ((keyword === 'given' || keyword === 'var') && !/\bwith\b/.test(text.slice(statementStart, offset))) {
    if (/:\s*\S*$/.test(before) || /\^\{[^}]*$/.test(before)) {
      return [
        ...named(['dim']),
        { label: 'R', kind: 'keyword', detail: 'the reals: R, R^n, R^{n x d}', sortGroup: 1 },
        { label: 'with', kind: 'keyword', detail: KEYWORDS.find((k) => k.word === 'with')!.summary, sortGroup: 2 },
      ];
    }
  }
  if (keyword === 'dim' || keyword === 'const' || keyword === 'sweep') return named(['dim', 'const']);

  // Locals in scope: def parameters and summation indices around the cursor.
  const locals = doc.symbols.symbols
    .filter((s) => s.scope && s.scope.start <= offset && offset <= s.scope.end)
    .map((s) => ({ label: s.name, kind: s.kind, detail: s.detail, sortGroup: 0 }) satisfies CompletionEntry);
  const functions: CompletionEntry[] = BUILTINS.filter((b) => b.name !== 'lipschitz' || keyword === 'claim').map((b) => ({
    label: b.name,
    kind: 'function',
    detail: `${b.name}(${b.params.join(', ')})`,
    documentation: b.summary,
    insertText: `${b.name}(\${1})`,
    snippet: true,
    sortGroup: 1,
  }));
  const words = [...EXPRESSION_WORDS, ...(keyword === 'claim' ? CLAIM_WORDS : [])].map((w): CompletionEntry => ({
    label: w,
    kind: 'keyword',
    detail: KEYWORDS.find((k) => k.word === w)!.summary,
    sortGroup: 2,
  }));
  const loss = keyword === 'claim' ? named(['loss']) : [];
  return [
    ...locals,
    ...named(['dim', 'const', 'given', 'var', 'let', 'def']),
    ...loss,
    ...functions,
    ...(keyword === 'claim' ? words : []),
  ];
}

/** The line continues the previous statement (inside brackets, or after a trailing operator). */
function continuesStatement(doc: DocumentAnalysis, lineStart: number): boolean {
  if (lineStart === 0) return false;
  const t = doc.tokens.statementStart(lineStart);
  return t !== undefined && t.span.start < lineStart;
}
