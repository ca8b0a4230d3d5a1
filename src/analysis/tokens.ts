/** Token lookups by position: the analysis works on the lexer's tokens wherever the syntax tree keeps no span. */
import type { Span } from '../language/diagnostics';
import type { Token } from '../language/lexer';

export class TokenIndex {
  constructor(readonly tokens: readonly Token[]) {}

  /** Index of the first token starting at or after `offset`. */
  private firstAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.span.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Tokens starting inside [span.start, span.end), newlines and end of file excluded. */
  within(span: Span): Token[] {
    const out: Token[] = [];
    for (let i = this.firstAtOrAfter(span.start); i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.span.start >= span.end) break;
      if (t.kind !== 'newline' && t.kind !== 'eof') out.push(t);
    }
    return out;
  }

  /** The identifier `name` inside `span` (a name written `\mathsf{A}` has a wider span than `A`). */
  ident(span: Span, name: string): Span {
    return this.within(span).find((t) => t.kind === 'ident' && t.text === name)?.span ?? span;
  }

  /** The token covering `offset`, or the one ending there (a cursor right after a word). */
  at(offset: number): Token | undefined {
    const usable = (t: Token | undefined): t is Token => t !== undefined && t.kind !== 'newline' && t.kind !== 'eof';
    const i = this.firstAtOrAfter(offset + 1) - 1;
    const t = this.tokens[i];
    if (usable(t) && t.span.start <= offset && offset < t.span.end) return t;
    const before = this.tokens[this.firstAtOrAfter(offset) - 1];
    return usable(before) && before.span.end === offset ? before : undefined;
  }

  /** The tokens before `offset`, nearest last. */
  before(offset: number): Token[] {
    return this.tokens.slice(0, this.firstAtOrAfter(offset)).filter((t) => t.span.end <= offset);
  }

  /**
   * First token of the statement containing `offset`: the token after the last statement-ending
   * newline before it (continuation lines belong to the statement they continue).
   */
  statementStart(offset: number): Token | undefined {
    let i = this.firstAtOrAfter(offset) - 1;
    while (i >= 0 && this.tokens[i]!.kind !== 'newline') i--;
    const t = this.tokens[i + 1];
    return t && t.kind !== 'eof' && t.kind !== 'newline' ? t : undefined;
  }
}
