/**
 * Whether the two sides of an identity claim agree at a few points drawn from the declared domain:
 * the editor uses it to pick which rewrite of a refuted claim to suggest (the missing transpose).
 * It decides no verdict; checks run in the worker. Sizes are capped so a suggestion stays instant.
 */
import type { CheckedProgram, Claim } from '../language/typed';
import { compile } from '../numeric/evaluate';
import { samplingSpecs } from '../numeric/request';
import { Sampler, SamplingError } from '../numeric/sampling';
import { type SymQuantity, planClaims } from '../symbolic/claims';
import type { Node } from '../symbolic/ir';
import type { Derivatives, LoweredProgram } from '../symbolic/lower';

const MAX_ENTRIES = 100_000;
const POINTS = 3;
const TOLERANCE = 1e-9;

export function identityAgrees(
  program: CheckedProgram,
  lowered: LoweredProgram,
  derivatives: Derivatives,
  claim: Claim,
): boolean | undefined {
  const plan = planClaims(lowered, derivatives, [claim])[0];
  if (!plan || plan.kind !== 'identity') return undefined;
  if (plan.proved) return true;
  const node = (q: SymQuantity): Node | undefined =>
    q.kind === 'expr'
      ? q.node
      : q.kind === 'grad' && q.wrt.length === 1
        ? derivatives.grads[q.wrt[0]!]
        : q.kind === 'hess' && q.rows.length === 1 && q.cols.length === 1
          ? derivatives.hess[q.rows[0]!]![q.cols[0]!]
          : undefined;
  const [lhs, rhs] = [node(plan.lhs), node(plan.rhs)];
  if (!lhs || !rhs) return undefined;
  const specs = samplingSpecs(program);
  const entries = specs.reduce((s, x) => s + x.rows * x.cols, 0) + lhs.shape.rows.value * lhs.shape.cols.value;
  if (entries > MAX_ENTRIES) return undefined;
  const sampler = new Sampler(specs, 0x5eed);
  const plan2 = compile([lhs, rhs]);
  try {
    for (let k = 0; k < POINTS; k++) {
      const [a, b] = plan2.run(sampler.draw(k));
      let diff = 0;
      let scale = 1e-300;
      for (let i = 0; i < a!.length; i++) {
        if (!Number.isFinite(a![i]!) || !Number.isFinite(b![i]!)) return undefined;
        diff = Math.max(diff, Math.abs(a![i]! - b![i]!));
        scale = Math.max(scale, Math.abs(a![i]!), Math.abs(b![i]!));
      }
      if (diff > TOLERANCE * Math.max(1, scale)) return false;
    }
  } catch (e) {
    if (e instanceof SamplingError) return undefined;
    throw e;
  }
  return true;
}
