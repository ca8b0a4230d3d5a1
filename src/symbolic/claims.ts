/**
 * Claims lowered for checking: each side becomes an IR node or a derivative block of the loss.
 * An identity whose two sides are the same node after canonicalisation is `proved` here, with no
 * numeric work.
 */
import type { Span } from '../language/diagnostics';
import type { Claim, TExpr } from '../language/typed';
import { factorCommon } from './factor';
import { type Node, NonFiniteConstant, UnsupportedError } from './ir';
import { type Derivatives, type LoweredProgram, Lowering } from './lower';

export type SymQuantity = { kind: 'expr'; node: Node } | { kind: 'grad'; wrt: number[] } | { kind: 'hess'; rows: number[]; cols: number[] };

export type ClaimPlan = { claim: Claim } & (
  | { kind: 'identity'; lhs: SymQuantity; rhs: SymQuantity; proved: boolean }
  | { kind: 'order'; op: '<=' | '>='; lhs: SymQuantity; rhs: SymQuantity }
  | { kind: 'definite'; which: 'psd' | 'nsd' | 'pd' | 'nd'; subject: SymQuantity }
  | { kind: 'lipschitz'; of: SymQuantity; bound: SymQuantity }
  /** The claim could not be lowered (e.g. an operation without a derivative rule), at `span`. */
  | { kind: 'unsupported'; code: 'not-differentiable' | 'non-finite-constant'; message: string; span: Span }
);

export function planClaims(lowered: LoweredProgram, derivatives: Derivatives, claims: readonly Claim[]): ClaimPlan[] {
  const g = lowered.graph;
  const lowering = new Lowering(g, lowered.defs, lowered.vars).withDerivatives(lowered, derivatives);
  const varIndex = (name: string): number => lowered.vars.findIndex((v) => v.kind === 'var' && v.name === name);
  // A derivative on its own stays a derivative quantity, so the worker can also check it against
  // finite differences; `node` is its symbolic value when it is one block (for `proved`).
  const side = (t: TExpr): SymQuantity & { node?: Node } => {
    // The loss's gradient and Hessian are also checked against finite differences of the loss.
    if (t.k === 'deriv' && t.of === lowered.lossName && t.op !== 'jac') {
      const idx = t.wrt.map(varIndex);
      const node = idx.length === 1 || t.block ? lowering.lower(t) : undefined;
      const q: SymQuantity =
        t.op === 'grad' ? { kind: 'grad', wrt: idx } : { kind: 'hess', rows: t.block ? [idx[0]!] : idx, cols: t.block ? [idx[1]!] : idx };
      return node ? { ...q, node } : q;
    }
    const node = factorCommon(g, lowering.lower(t));
    return { kind: 'expr', node };
  };
  const strip = (q: SymQuantity & { node?: Node }): SymQuantity =>
    q.kind === 'expr' ? q : q.kind === 'grad' ? { kind: 'grad', wrt: q.wrt } : { kind: 'hess', rows: q.rows, cols: q.cols };
  return claims.map((claim): ClaimPlan => {
    try {
      switch (claim.kind) {
        case 'compare': {
          const lhs = side(claim.lhs);
          const rhs = side(claim.rhs);
          if (claim.op === '=') {
            const proved =
              lhs.node !== undefined &&
              rhs.node !== undefined &&
              (lhs.node === rhs.node || g.isZero(factorCommon(g, g.sub(lhs.node, rhs.node))));
            return { claim, kind: 'identity', lhs: strip(lhs), rhs: strip(rhs), proved };
          }
          return { claim, kind: 'order', op: claim.op, lhs: strip(lhs), rhs: strip(rhs) };
        }
        case 'definite':
          return { claim, kind: 'definite', which: claim.which, subject: strip(side(claim.subject)) };
        case 'lipschitz':
          return { claim, kind: 'lipschitz', of: strip(side(claim.of)), bound: strip(side(claim.bound)) };
      }
    } catch (e) {
      if (e instanceof UnsupportedError)
        return {
          claim,
          kind: 'unsupported',
          code: 'not-differentiable',
          message: e.message,
          span: (e.node && g.spans.get(e.node.id)) ?? claim.span,
        };
      // A constant that folds to Infinity/NaN is the claim's error, located where it was written.
      if (e instanceof NonFiniteConstant)
        return { claim, kind: 'unsupported', code: 'non-finite-constant', message: e.message, span: e.span ?? claim.span };
      throw e;
    }
  });
}
