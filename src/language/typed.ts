/**
 * The checked program: names resolved, every expression annotated with its shape, products
 * classified (scaling vs matrix product). The symbolic layer lowers this to IR without re-checking.
 */
import type { DerivOp } from './ast';
import type { Span } from './diagnostics';
import type { Dim, Shape } from './shape';

export type TIndex = { kind: 'lit'; value: number } | { kind: 'index'; name: string };

export type TExpr = { shape: Shape; span: Span } & (
  | { k: 'num'; value: number }
  | { k: 'var' | 'given' | 'let'; name: string }
  | { k: 'const'; name: string; value: number }
  | { k: 'indexValue'; name: string }
  | { k: 'identity' | 'ones' | 'zeros' }
  | { k: 'commutation'; m: Dim; n: Dim }
  | { k: 'add' | 'sub' | 'scale' | 'matmul' | 'hadamard' | 'divide' | 'inner' | 'pow'; a: TExpr; b: TExpr }
  | { k: 'neg' | 'transpose'; a: TExpr }
  | { k: 'matpow'; a: TExpr; power: number }
  /** A built-in function (a FunctionTable entry): `det(M)`, `softplus(x)`, `kron(A, B)`, `M^{-1}` (inv); `value` when constant. */
  | { k: 'call'; fn: string; args: TExpr[]; value?: number }
  | { k: 'norm'; p: '2' | 'F' | '1' | 'inf'; a: TExpr }
  | { k: 'slice'; a: TExpr; row: TIndex | null; col: TIndex | null }
  /** Member `index` of a family of matrices (`P[i]`), `a` the stacked family. */
  | { k: 'member'; a: TExpr; index: TIndex }
  | { k: 'indexSum'; index: string; lower: number; upper: number; upperName?: string; body: TExpr }
  /** `max_{i=1}^{k} body`: unrolled over the literal range when lowered. */
  | { k: 'indexExtremum'; op: 'max' | 'min'; index: string; lower: number; upper: number; body: TExpr }
  /** Derivative of the loss or of a let `of`; `wrt` lists vars (all of them for the loss's stacked derivatives). */
  /** `wrt` lists every var when none is written; `block` marks hess_{X,Y} (two written, possibly equal). */
  | { k: 'deriv'; op: DerivOp; of: string; wrt: string[]; block: boolean }
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
  /** ‖x − center‖ <= radius; the center (absent: 0) is an expression of givens declared before. */
  | { kind: 'normBall'; norm: '2' | 'F' | 'spectral' | '1'; radius: TExpr; center?: TExpr; span: Span }
  | { kind: 'lower'; bound: TExpr; span: Span }
  | { kind: 'upper'; bound: TExpr; span: Span }
  | { kind: 'sum'; value: TExpr; span: Span }
  /** Symmetric, or symmetric positive semidefinite (each member, for a family). */
  | { kind: 'sym' | 'psd'; span: Span };

export interface Declaration {
  name: string;
  /** The shape of the value; a family of k matrices is stored stacked by rows ((k·d)×d). */
  shape: Shape;
  constraints: Constraint[];
  span: Span;
  /** A family `(R^{d x d})^k`: its count and the shape of one member. */
  family?: { count: Dim; member: Shape };
}

/** A claim's own, narrower domain: constraints added to those of the named declarations. */
export interface ClaimDomain {
  name: string;
  constraints: Constraint[];
}

export type Claim = { span: Span; text: string; domain?: ClaimDomain[] } &
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
