/** Source positions and user-facing diagnostics. User errors never throw; they are collected. */

export interface Span {
  /** 0-based offsets into the source text. */
  start: number;
  end: number;
}

/** Stable diagnostic codes (kebab-case), one per kind of problem, so tools and tests can key on them. */
export type DiagnosticCode =
  | 'syntax'
  | 'unexpected-character'
  | 'unknown-name'
  | 'duplicate-name'
  | 'shape-mismatch'
  | 'ambiguous-product'
  | 'wrong-arity'
  | 'not-scalar'
  | 'not-square'
  | 'bad-index'
  | 'bad-dimension'
  | 'bad-constraint'
  | 'bad-claim'
  | 'no-loss'
  | 'no-var'
  | 'not-differentiable'
  | 'almost-everywhere'
  /** A numeric literal beyond float64 (1e400), or a nonzero one that rounds to 0 (1e-400). */
  | 'number-out-of-range'
  /** A constant, or an expression folded from constants, that is ±Infinity or NaN (1 / (<x, x> - <x, x>)). */
  | 'non-finite-constant';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span: Span;
  /** The error concerns one claim only: that claim is dropped, every other claim is still checked. */
  claimOnly?: boolean;
}

export interface LineCol {
  /** 1-based line and column, as editors and compilers print them. */
  line: number;
  column: number;
}

export class SourceFile {
  private readonly lineStarts: number[];

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineCol(offset: number): LineCol {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    return this.text.slice(start, next === undefined ? this.text.length : next - 1).replace(/\r$/, '');
  }

  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }
}

/** `file:line:col: error[code]: message`, followed by the source line and a caret marker. */
export function formatDiagnostic(file: SourceFile, d: Diagnostic): string {
  const { line, column } = file.lineCol(d.span.start);
  const src = file.lineText(line);
  const endCol = d.span.end > d.span.start ? file.lineCol(d.span.end).column : column + 1;
  const width = Math.max(1, file.lineCol(d.span.end).line === line ? endCol - column : src.length - column + 1);
  return (
    `${file.path}:${line}:${column}: ${d.severity}[${d.code}]: ${d.message}\n` + `  ${src}\n  ${' '.repeat(column - 1)}${'^'.repeat(width)}`
  );
}

export function spanUnion(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
