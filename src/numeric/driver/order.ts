/**
 * Scalar inequalities `lower <= upper`: the smallest slack over random samples, then projected
 * descent on the slack from the tightest ones, every restart in lockstep (SPSA directions).
 */
import type { Handle, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult } from '../protocol';
import { ROUNDING_RTOL } from './identity';
import { SIGNIFICANT, spsaDirections } from './search';
import { type ClaimEnv, NonFinite, STREAM, argsort, nonFiniteWord } from './session';

interface Sides {
  lo: number[];
  hi: number[];
}

/** The first non-finite side, in row order, as the message to report; undefined when all are finite. */
function nonFinite(s: Sides, row: number, where: string): NonFinite | undefined {
  for (const [v, side] of [
    [s.lo[row]!, 'smaller'],
    [s.hi[row]!, 'larger'],
  ] as const) {
    if (!Number.isFinite(v)) return new NonFinite(`${nonFiniteWord(v)} in the ${side} side at ${where}`);
  }
  return undefined;
}

export async function scalarOrder(
  env: ClaimEnv,
  lower: Quantity,
  upper: Quantity,
  op: '<=' | '>=',
  lossRoot: number,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { points: count, restarts, steps } = env.budget;
  const total = count + restarts * steps;
  const sides = async (points: RowRef): Promise<Sides> => ({ lo: await a.values(points, lower), hi: await a.values(points, upper) });

  await env.tick(0, total);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const at = await sides({ of: P });
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    if (!Number.isFinite(losses[i]!)) {
      throw new NonFinite(`${nonFiniteWord(losses[i]!)} in the loss at ${where}: the domain includes points where L is undefined`);
    }
    const bad = nonFinite(at, i, where);
    if (bad) throw bad;
    partial['points'] = i + 1;
  }
  const gaps = at.hi.map((h, i) => h - at.lo[i]!);
  const order = argsort(gaps);
  let best = { gap: gaps[order[0]!]!, lo: at.lo[order[0]!]!, hi: at.hi[order[0]!]!, points: P as Handle, row: order[0]! };
  const R = env.searchNames.length ? Math.min(restarts, count) : 0;
  let cur = await a.gather([{ of: P, rows: order.slice(0, R) }]);
  const state = order.slice(0, R).map((i) => ({ gap: gaps[i]!, lo: at.lo[i]!, hi: at.hi[i]! }));
  const norms0 = R ? await a.distances({ of: cur }, undefined, env.searchNames) : [];
  const stepOf = norms0.map((n) => 0.1 * Math.max(1, n / Math.sqrt(env.searchNames.length)));
  const active = state.map(() => true);
  const errors: (NonFinite | undefined)[] = state.map(() => undefined);

  for (let s = 0; s < steps && R > 0; s++) {
    const live = active.flatMap((on, r) => (on ? [r] : []));
    if (!live.length) break;
    await env.tick(count + s, total);
    let probeSides: Sides = { lo: [], hi: [] };
    const { directions } = await spsaDirections(env, cur, live, live, s, async (points) => {
      probeSides = await sides({ of: points });
      return probeSides.hi.map((h, i) => h - probeSides.lo[i]!);
    });
    // A restart whose probes meet NaN/Inf stops there; the first such error in restart order is reported.
    const k = (probeSides.lo.length - live.length) / live.length;
    const moving: number[] = [];
    live.forEach((r, j) => {
      for (const row of [j, ...Array.from({ length: k }, (_, d) => live.length + j * k + d)]) {
        const bad = nonFinite(probeSides, row, 'search');
        if (bad) {
          errors[r] = bad;
          active[r] = false;
          return;
        }
      }
      moving.push(j);
    });
    if (!moving.length) continue;
    const cand = await a.move(
      { of: cur, rows: moving.map((j) => live[j]!) },
      { of: directions, rows: moving },
      moving.map((j) => -stepOf[live[j]!]!),
      env.searchNames,
      true,
    );
    const c = await sides({ of: cand });
    const where = `search step ${s + 1}`;
    const accepted = new Map<number, number>();
    moving.forEach((j, m) => {
      const r = live[j]!;
      const bad = nonFinite(c, m, where);
      if (bad) {
        errors[r] = bad;
        active[r] = false;
        return;
      }
      const gap = c.hi[m]! - c.lo[m]!;
      const cur = state[r]!;
      if (gap < cur.gap - SIGNIFICANT * Math.max(Math.abs(cur.lo), Math.abs(cur.hi))) {
        state[r] = { gap, lo: c.lo[m]!, hi: c.hi[m]! };
        accepted.set(r, m);
        stepOf[r]! *= 1.5;
      } else stepOf[r]! /= 2;
      if (stepOf[r]! < 1e-12) active[r] = false;
    });
    if (accepted.size) {
      const next = await a.gather(state.map((_, r) => (accepted.has(r) ? { of: cand, rows: [accepted.get(r)!] } : { of: cur, rows: [r] })));
      await a.release([cur]);
      cur = next;
    }
  }
  for (let r = 0; r < R; r++) {
    if (errors[r]) throw errors[r];
    if (state[r]!.gap < best.gap) best = { ...state[r]!, points: cur, row: r };
  }
  const tol = ROUNDING_RTOL * Math.max(Math.abs(best.lo), Math.abs(best.hi)) + 1e-300;
  const [lhsV, rhsV] = op === '<=' ? [best.lo, best.hi] : [best.hi, best.lo];
  const evidence = { points: count, restarts, smallestSlack: best.gap, tolerance: tol };
  if (best.gap < -tol) {
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `violated: lhs = ${lhsV.toPrecision(8)}, rhs = ${rhsV.toPrecision(8)}`,
      evidence,
      counterexample: { point: await env.pointJson(best.points, best.row), values: { lhs: lhsV, rhs: rhsV } },
    };
  }
  return {
    index: env.index,
    verdict: 'holds',
    summary: `smallest slack found ${best.gap.toPrecision(4)} (lhs ${lhsV.toPrecision(6)}, rhs ${rhsV.toPrecision(6)})`,
    evidence,
  };
}
