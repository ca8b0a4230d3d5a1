/**
 * Semantic highlighting: every name coloured by what it is (dim, const, given, var, let, loss,
 * function, parameter), claim words marked, declarations flagged. The legend's order is the
 * protocol's: the server sends indices into these lists.
 */
import type { Span } from '../language/diagnostics';
import type { DocumentAnalysis } from './document';
import type { SymbolKind } from './symbols';

export const TOKEN_TYPES = ['dim', 'const', 'given', 'var', 'let', 'loss', 'function', 'parameter', 'claim'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export interface HighlightToken {
  span: Span;
  type: TokenType;
  modifiers: TokenModifier[];
}

const TYPE_OF: Record<SymbolKind, TokenType> = {
  dim: 'dim',
  const: 'const',
  given: 'given',
  var: 'var',
  let: 'let',
  loss: 'loss',
  def: 'function',
  param: 'parameter',
  index: 'parameter',
};

const CLAIM_WORDS = new Set(['claim', 'psd', 'nsd', 'pd', 'nd']);

/** Non-overlapping tokens in document order. */
export function highlightTokens(doc: DocumentAnalysis): HighlightToken[] {
  const out: HighlightToken[] = doc.symbols.occurrences.map((o) => ({
    span: o.span,
    type: TYPE_OF[o.symbol.kind],
    modifiers: o.declaration ? ['declaration'] : [],
  }));
  for (const b of doc.symbols.builtinCalls) out.push({ span: b.span, type: 'function', modifiers: ['defaultLibrary'] });
  for (const st of doc.statements) {
    if (st.kind !== 'claim') continue;
    for (const t of doc.tokens.within(st.span))
      if (t.kind === 'ident' && CLAIM_WORDS.has(t.text)) out.push({ span: t.span, type: 'claim', modifiers: [] });
  }
  out.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  const kept: HighlightToken[] = [];
  for (const t of out) {
    const last = kept[kept.length - 1];
    if (t.span.end <= t.span.start || (last && t.span.start < last.span.end)) continue;
    kept.push(t);
  }
  return kept;
}
