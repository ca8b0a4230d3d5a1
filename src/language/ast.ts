/** Syntax tree of a .loss file. Every node carries the span it was parsed from. */
import type { Span } from './diagnostics';

export type BinaryOp = '+' | '-' | '*' | '/' | '∘' | './' | '⊗';

/** An index position in `X[i, j]` / `Y_{*,i}`: an expression, or `:` for the whole range. */
export type IndexArg = { kind: 'all'; span: Span } | { kind: 'at'; expr: Expr };

export type Expr =
  | { kind: 'num'; value: number; span: Span }
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'neg'; arg: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; juxtaposed: boolean; span: Span }
  | { kind: 'pow'; base: Expr; exponent: Expr; span: Span }
  | { kind: 'transpose'; arg: Expr; span: Span }
  | { kind: 'call'; fn: string; fnSpan: Span; args: Expr[]; span: Span }
  | { kind: 'inner'; left: Expr; right: Expr; span: Span }
  | { kind: 'norm'; arg: Expr; p: NormKind; span: Span }
  | { kind: 'index'; target: Expr; indices: IndexArg[]; span: Span }
  /** `name_sub`: resolved later, since `x_i` may be a declared name or an entry of x. */
  | { kind: 'subscripted'; base: Expr; subscript: IndexArg[]; rawText: string; span: Span }
  /** `sum_{j=1}^{n} body`, and `max_{i=1}^{k} body` / `min_…` over literal ranges. */
  | { kind: 'sum'; op: 'sum' | 'max' | 'min'; index: string; lower: Expr; upper: Expr; body: Expr; span: Span }
  /** `grad f`, `hess_{X,Y} L`, `jac_x f`: derivatives of the loss or of a let. */
  | { kind: 'deriv'; op: DerivOp; wrt: string[]; of: string; ofSpan: Span; span: Span };

export type DerivOp = 'grad' | 'hess' | 'jac';

export type NormKind = '2' | 'F' | '1' | 'inf';

export interface DimItem {
  name: string;
  value: Expr;
  span: Span;
}

/** `R`, `R^n`, `R^{n x d}`: each entry is a product of dimension atoms; `(R^{d x d})^k` a family of k. */
export interface TypeAst {
  dims: DimProduct[];
  count?: DimProduct;
  span: Span;
}

export interface DimProduct {
  factors: { name: string; power: number; span: Span }[];
  literal: number;
  span: Span;
}

/** A constraint as written: a chain of comparisons (`0 <= x <= 1`), or a property (`P psd`). */
export type Comparison =
  | { kind: 'compare'; terms: Expr[]; ops: ('<=' | '>=' | '=')[]; span: Span }
  | { kind: 'property'; subject: Expr; property: 'sym' | 'psd'; span: Span };

export type Statement =
  | { kind: 'dim'; items: DimItem[]; span: Span }
  | { kind: 'const'; items: DimItem[]; span: Span }
  | { kind: 'decl'; role: 'given' | 'var'; name: string; nameSpan: Span; type: TypeAst; constraints: Comparison[]; span: Span }
  /** `let f = …`, or `let D(X) = …` written as a function of declared names, as papers write D(X). */
  | { kind: 'let'; name: string; nameSpan: Span; params?: string[]; expr: Expr; span: Span }
  | { kind: 'loss'; name: string; nameSpan: Span; expr: Expr; span: Span }
  | { kind: 'def'; name: string; nameSpan: Span; params: string[]; body: Expr; span: Span }
  | { kind: 'claim'; claim: ClaimAst; span: Span }
  | { kind: 'sweep'; items: SweepItem[]; span: Span };

export interface SweepItem {
  name: string;
  values: number[];
  span: Span;
}

/** A claim, with an optional narrower domain (`for ||X||_F <= 1`) for it alone. */
export type ClaimAst = { domain: Comparison[] } &
  /** `a = b`, or a chain `a = b <= c = d` whose every link is a claim of its own. */
  (
    { kind: 'compare'; terms: Expr[]; ops: ('=' | '<=' | '>=')[] } | { kind: 'definite'; which: 'psd' | 'nsd' | 'pd' | 'nd'; subject: Expr }
  );

export interface Program {
  statements: Statement[];
}
