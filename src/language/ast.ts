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
  | { kind: 'sum'; index: string; lower: Expr; upper: Expr; body: Expr; span: Span }
  | { kind: 'deriv'; order: 1 | 2; wrt: string[]; of: string; ofSpan: Span; span: Span };

export type NormKind = '2' | 'F' | '1';

export interface DimItem {
  name: string;
  value: Expr;
  span: Span;
}

/** `R`, `R^n`, `R^{n x d}`: each entry is a product of dimension atoms. */
export interface TypeAst {
  dims: DimProduct[];
  span: Span;
}

export interface DimProduct {
  factors: { name: string; power: number; span: Span }[];
  literal: number;
  span: Span;
}

export interface Comparison {
  terms: Expr[];
  ops: ('<=' | '>=' | '=')[];
  span: Span;
}

export type Statement =
  | { kind: 'dim'; items: DimItem[]; span: Span }
  | { kind: 'const'; items: DimItem[]; span: Span }
  | { kind: 'decl'; role: 'given' | 'var'; name: string; nameSpan: Span; type: TypeAst; constraints: Comparison[]; span: Span }
  | { kind: 'let'; name: string; nameSpan: Span; expr: Expr; span: Span }
  | { kind: 'loss'; name: string; nameSpan: Span; expr: Expr; span: Span }
  | { kind: 'def'; name: string; nameSpan: Span; params: string[]; body: Expr; span: Span }
  | { kind: 'claim'; claim: ClaimAst; span: Span }
  | { kind: 'sweep'; items: SweepItem[]; span: Span };

export interface SweepItem {
  name: string;
  values: number[];
  span: Span;
}

export type ClaimAst =
  | { kind: 'compare'; op: '=' | '<=' | '>='; left: Expr; right: Expr }
  | { kind: 'definite'; which: 'psd' | 'nsd' | 'pd' | 'nd'; subject: Expr };

export interface Program {
  statements: Statement[];
}
