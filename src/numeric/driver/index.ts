/**
 * The check driver: decides every claim of a request on an evaluator. Sampling plans, searches,
 * acceptance rules, budgets, verdicts, evidence, counterexamples, plots and every message live
 * here, once; the evaluator (CPU or Python) only evaluates. NaN/Inf is never agreement: it makes a
 * claim inconclusive, naming where it appeared.
 */
import type { Evaluator, EvaluatorProgram } from '../evaluator/api';
import { SamplingFailed } from '../evaluator/api';
import type { CheckParams, CheckResult, ClaimResult, Quantity, SamplingSpec, WireClaim } from '../protocol';
import { budgetPlan } from './budget';
import { eigenBound } from './eigen';
import { identity } from './identity';
import { lipschitz } from './lipschitz';
import { scalarOrder } from './order';
import { Arrays, ClaimEnv, NonFinite, OutOfTime } from './session';

/** Full-Hessian eigenvalue claims use Lanczos on Hessian-vector products from this many variables on, unless the evaluator says otherwise. */
export const LANCZOS_MIN_DIMENSION = 1024;

export interface DriverHooks {
  /** Called as work advances (claim index, done, total); may throw to cancel. */
  progress(claim: number, done: number, total: number): Promise<void>;
  lanczosMinDimension?: number;
}

/** The evaluator's program for a request: per-claim domains become extra spec lists. */
export function evaluatorProgram(params: CheckParams): { program: EvaluatorProgram; domainOf: (c: WireClaim) => number } {
  const domains: SamplingSpec[][] = [];
  const keys: string[] = [];
  for (const c of params.claims) {
    if (!c.sampling) continue;
    const key = JSON.stringify(c.sampling);
    if (!keys.includes(key)) {
      keys.push(key);
      domains.push(c.sampling);
    }
  }
  const program: EvaluatorProgram = {
    ir: params.ir,
    loss: params.loss,
    grads: params.grads,
    hess: params.hess,
    hvp: params.hvp,
    sampling: params.sampling,
    ...(params.bounds ? { bounds: params.bounds.flatMap((b) => (b.bound === undefined ? [] : [{ of: b.of, bound: b.bound }])) } : {}),
    ...(domains.length ? { domains } : {}),
    seed: params.seed,
  };
  return { program, domainOf: (c) => (c.sampling ? 1 + keys.indexOf(JSON.stringify(c.sampling)) : 0) };
}

async function decide(
  env: ClaimEnv,
  claim: WireClaim,
  params: CheckParams,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  switch (claim.kind) {
    case 'identity':
      return identity(env, claim.lhs, claim.rhs, params, partial);
    case 'definite': {
      const sign = claim.which === 'psd' || claim.which === 'pd' ? 1 : -1;
      const strict = claim.which === 'pd' || claim.which === 'nd';
      return eigenBound(
        env,
        { upper: claim.subject, sign, strict, what: claim.which, ...(claim.search ? { search: claim.search } : {}) },
        params.loss,
        partial,
      );
    }
    case 'order': {
      const upper = claim.op === '<=' ? claim.rhs : claim.lhs;
      const lower = claim.op === '<=' ? claim.lhs : claim.rhs;
      if (isScalar(lower, params)) return scalarOrder(env, lower, upper, claim.op, params.loss, claim.search, partial);
      const what = claim.op === '>=' ? 'lhs - rhs ⪰ 0' : 'rhs - lhs ⪰ 0';
      return eigenBound(
        env,
        { upper, lower, sign: 1, strict: false, what, ...(claim.search ? { search: claim.search } : {}) },
        params.loss,
        partial,
      );
    }
    case 'lipschitz':
      return lipschitz(
        env,
        { of: claim.of, bound: claim.bound, ...(claim.search ? { search: claim.search } : {}) },
        params.loss,
        params.kinks ?? [],
        partial,
      );
  }
}

function isScalar(q: Quantity, params: CheckParams): boolean {
  if (q.kind !== 'expr') return false;
  const n = params.ir.nodes[q.root]!;
  return n.rows.value === 1 && n.cols.value === 1;
}

export async function runClaims(params: CheckParams, evaluator: Evaluator, hooks: DriverHooks): Promise<CheckResult> {
  const arrays = new Arrays(evaluator);
  const { program, domainOf } = evaluatorProgram(params);
  await evaluator.run('load', { program });
  const budget = budgetPlan(params.budget);
  const claims: ClaimResult[] = [];
  for (const claim of params.claims) {
    const deadline = params.timeLimitMs ? Date.now() + params.timeLimitMs : Infinity;
    const env = new ClaimEnv(
      arrays,
      claim.index,
      claim.sampling ?? params.sampling,
      domainOf(claim),
      budget,
      (done, total) => hooks.progress(claim.index, done, total),
      deadline,
      { lanczosMinDimension: hooks.lanczosMinDimension ?? evaluator.info.iterativeEigenFrom ?? LANCZOS_MIN_DIMENSION },
      params.seed,
    );
    const partial: Record<string, number | string> = {};
    try {
      claims.push(await decide(env, claim, params, partial));
    } catch (e) {
      if (e instanceof OutOfTime) {
        claims.push({
          index: claim.index,
          verdict: 'inconclusive',
          summary: 'cut off by the time budget before the search finished',
          evidence: { ...partial, reason: 'time budget' },
        });
      } else if (e instanceof NonFinite) {
        claims.push({
          index: claim.index,
          verdict: 'inconclusive',
          summary: `numeric failure: ${e.message}`,
          evidence: { ...partial, reason: e.message },
        });
      } else if (e instanceof SamplingFailed) {
        claims.push({
          index: claim.index,
          verdict: 'inconclusive',
          summary: `sampling failed: ${e.message}`,
          evidence: { reason: e.message },
        });
      } else throw e;
    } finally {
      await arrays.releaseAll();
    }
    await hooks.progress(claim.index, 1, 1);
  }
  const { stats } = await evaluator.run('stats', {});
  return { backend: evaluator.info.backend, device: evaluator.info.device, claims, ...(Object.keys(stats).length ? { stats } : {}) };
}
