/**
 * Dimensions keep their symbolic name next to their value: `A x` with A ∈ R^{n×d}, x ∈ R^n is an error
 * even when n = d numerically, and messages can say R^{n x d} as the author wrote it.
 */

export interface Dim {
  value: number;
  /** Symbol → exponent, e.g. {d: 2} for d². Empty for a literal. */
  factors: Readonly<Record<string, number>>;
  /** Numeric coefficient of a symbolic dim (usually 1); equals `value` for a literal. */
  coef: number;
}

export interface Shape {
  rows: Dim;
  cols: Dim;
}

export function literalDim(value: number): Dim {
  return { value, factors: {}, coef: value };
}

export function namedDim(name: string, value: number): Dim {
  return { value, factors: { [name]: 1 }, coef: 1 };
}

export const ONE = literalDim(1);
export const SCALAR: Shape = { rows: ONE, cols: ONE };

export function isLiteral(d: Dim): boolean {
  return Object.keys(d.factors).length === 0;
}

export function dimMul(a: Dim, b: Dim): Dim {
  const factors: Record<string, number> = { ...a.factors };
  for (const [k, p] of Object.entries(b.factors)) factors[k] = (factors[k] ?? 0) + p;
  return { value: a.value * b.value, factors, coef: a.coef * b.coef };
}

/** a / b for a dim that is a multiple of b (the count of a family from its stacked size). */
export function dimDiv(a: Dim, b: Dim): Dim {
  const factors: Record<string, number> = { ...a.factors };
  for (const [k, p] of Object.entries(b.factors)) {
    const left = (factors[k] ?? 0) - p;
    if (left === 0) delete factors[k];
    else factors[k] = left;
  }
  return { value: a.value / b.value, factors, coef: a.coef / b.coef };
}

/** Literal dims compare by value; symbolic dims must match symbolically (n ≠ d even when both are 8). */
export function dimEq(a: Dim, b: Dim): boolean {
  if (a.value !== b.value) return false;
  if (isLiteral(a) || isLiteral(b)) return true;
  return dimText(a) === dimText(b);
}

export function dimText(d: Dim): string {
  const names = Object.keys(d.factors).sort();
  if (names.length === 0) return String(d.value);
  const parts = names.map((n) => (d.factors[n] === 1 ? n : `${n}^${d.factors[n]}`));
  return (d.coef === 1 ? '' : `${d.coef} `) + parts.join(' ');
}

export function dimLatex(d: Dim): string {
  const names = Object.keys(d.factors).sort();
  if (names.length === 0) return String(d.value);
  const parts = names.map((n) => (d.factors[n] === 1 ? n : `${n}^{${d.factors[n]}}`));
  // Spaces render as nothing in math mode, and keep d m a product of two dims when read back.
  return [...(d.coef === 1 ? [] : [String(d.coef)]), ...parts].join(' ');
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return dimEq(a.rows, b.rows) && dimEq(a.cols, b.cols);
}

export function isScalarShape(s: Shape): boolean {
  return s.rows.value === 1 && s.cols.value === 1 && isLiteral(s.rows) && isLiteral(s.cols);
}

export function isColumn(s: Shape): boolean {
  return s.cols.value === 1 && isLiteral(s.cols);
}

export function isRow(s: Shape): boolean {
  return s.rows.value === 1 && isLiteral(s.rows);
}

export function numel(s: Shape): Dim {
  return dimMul(s.rows, s.cols);
}

export function shapeOf(rows: Dim, cols: Dim = ONE): Shape {
  return { rows, cols };
}

export function transposeShape(s: Shape): Shape {
  return { rows: s.cols, cols: s.rows };
}

/** How a researcher writes the type: R, R^n, R^{1 x n}, R^{n x d}. */
export function shapeText(s: Shape): string {
  if (isScalarShape(s)) return 'R';
  if (isColumn(s))
    return isLiteral(s.rows) || (Object.keys(s.rows.factors).length === 1 && s.rows.coef === 1 && Object.values(s.rows.factors)[0] === 1)
      ? `R^${dimText(s.rows)}`
      : `R^{${dimText(s.rows)}}`;
  return `R^{${dimText(s.rows)} x ${dimText(s.cols)}}`;
}

/** Dims are immutable values; their text is asked for on every IR node interned. */
const dimKeys = new WeakMap<Dim, string>();

function dimKey(d: Dim): string {
  let k = dimKeys.get(d);
  if (k === undefined) dimKeys.set(d, (k = `${dimText(d)}|${d.value}`));
  return k;
}

export function shapeKey(s: Shape): string {
  return `${dimKey(s.rows)}x${dimKey(s.cols)}`;
}
