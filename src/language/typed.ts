/**
 * The checked program: names resolved, every expression annotated with its shape, products
 * classified (scaling vs matrix product). The symbolic layer lowers this to IR without re-checking.
 */
import type { Span } from './diagnostics';
import type { Shape } from './shape';

export type FnName = 'exp' | 'log' | 'cosh' | 'sinh' | 'tanh' | 'sigmoid' | 'relu' | 'sqrt' | 'abs' | 'step' | 'sign';

export type TIndex = { kind: 'lit'; value: number } | { kind: 'index'; name: string };

export type TExpr = { shape: Shape; span: Span } & (
  | { k: 'num'; value: number }
  | { k: 'var' | 'given' | 'let'; name: string }
  | { k: 'const'; name: string; value: number }
  | { k: 'indexValue'; name: string }
  | { k: 'identity' | 'ones' | 'zeros' }
  | { k: 'add' | 'sub' | 'scale' | 'matmul' | 'hadamard' | 'divide' | 'kron' | 'inner' | 'pow'; a: TExpr; b: TExpr }
  | { k: 'neg' | 'transpose' | 'sum' | 'trace' | 'diag' | 'vec' | 'softmax'; a: TExpr }
  | { k: 'matpow'; a: TExpr; power: number }
  | { k: 'fn'; fn: FnName; a: TExpr }
  | { k: 'norm'; p: '2' | 'F' | '1'; a: TExpr }
  | { k: 'slice'; a: TExpr; row: TIndex | null; col: TIndex | null }
  | { k: 'indexSum'; index: string; lower: number; upper: number; body: TExpr }
  | { k: 'deriv'; order: 1 | 2; of: string; wrt: string[] }
  /** The parameter of a `def` body (a scalar). */
  | { k: 'param'; name: string }
  /** A user function applied elementwise: `phi(A x)` for `def phi(t) = …`. */
  | { k: 'apply'; fn: string; a: TExpr }
);

export interface UserFunction {
  name: string;
  param: string;
  body: TExpr;
}

export type Constraint =
  | { kind: 'normBall'; norm: '2' | 'F' | 'spectral' | '1'; radius: TExpr; span: Span }
  | { kind: 'lower'; bound: TExpr; span: Span }
  | { kind: 'upper'; bound: TExpr; span: Span }
  | { kind: 'sum'; value: TExpr; span: Span };

export interface Declaration {
  name: string;
  shape: Shape;
  constraints: Constraint[];
  span: Span;
}

export type Claim = { span: Span; text: string } &
  /** lhs = rhs, lhs <= rhs, lhs >= rhs; for matrices <= / >= are Loewner order. */
  (
    | { kind: 'compare'; op: '=' | '<=' | '>='; lhs: TExpr; rhs: TExpr }
    | { kind: 'definite'; which: 'psd' | 'nsd' | 'pd' | 'nd'; subject: TExpr }
    | { kind: 'lipschitz'; of: TExpr; bound: TExpr }
  );

export interface CheckedProgram {
  dims: { name: string; value: number }[];
  consts: { name: string; value: number }[];
  givens: Declaration[];
  vars: Declaration[];
  lets: { name: string; expr: TExpr; span: Span }[];
  defs: Map<string, UserFunction>;
  loss?: { name: string; expr: TExpr; span: Span };
  claims: Claim[];
  /** `sweep n in [..], R in [..]`: the grid of dims/consts to rerun the numeric claims over. */
  sweep?: { name: string; values: number[] }[];
}
