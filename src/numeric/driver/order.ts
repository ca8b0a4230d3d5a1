/**
 * Scalar inequalities `lower <= upper`: the smallest slack upper − lower over random samples, then
 * projected descent on the slack from the tightest ones (search.ts), along its exact gradient when
 * the claim carries one, then a refinement of the best two.
 */
import type { Handle, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult, WireClaim } from '../protocol';
import { ROUNDING_RTOL } from './identity';
import { DECISIVE, type Objective, type ObjectiveValues, SIGNIFICANT, localSearch } from './search';
import { type ClaimEnv, STREAM, Unusable, argsort, nonFiniteWord } from './session';

export async function scalarOrder(
  env: ClaimEnv,
  lower: Quantity,
  upper: Quantity,
  op: '<=' | '>=',
  lossRoot: number,
  search: WireClaim['search'],
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { points: count, restarts, steps } = env.budget;
  const refine = Math.ceil(steps / 2);
  const total = count + steps + refine;
  const sides = async (points: RowRef): Promise<{ lo: number[]; hi: number[] }> => ({
    lo: await a.values(points, lower),
    hi: await a.values(points, upper),
  });
  const slack = async (points: RowRef): Promise<number[]> => {
    const s = await sides(points);
    return s.hi.map((h, i) => h - s.lo[i]!);
  };
  const objective: Objective = {
    async evaluate(points): Promise<ObjectiveValues> {
      const s = await sides(points);
      return { values: s.hi.map((h, i) => h - s.lo[i]!), scales: s.hi.map((h, i) => Math.max(Math.abs(h), Math.abs(s.lo[i]!))) };
    },
    ...(search ? { gradient: (points: Required<RowRef>) => a.evaluate(points, { kind: 'stack', roots: search.roots }) } : {}),
    probe: slack,
  };

  await env.tick(0, total);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const at = await sides({ of: P });
  const unusable = new Unusable();
  const usable: number[] = [];
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    const bad = [
      [losses[i]!, 'the loss'],
      [at.lo[i]!, 'the smaller side'],
      [at.hi[i]!, 'the larger side'],
    ].find(([v]) => !Number.isFinite(v as number)) as [number, string] | undefined;
    if (bad) unusable.add(`${nonFiniteWord(bad[0])} in ${bad[1]} at ${where}`);
    else usable.push(i);
  }
  partial['points'] = usable.length;
  if (!usable.length) return unusable.inconclusive(env, partial, count);
  const values: ObjectiveValues = {
    values: at.hi.map((h, i) => h - at.lo[i]!),
    scales: at.hi.map((h, i) => Math.max(Math.abs(h), Math.abs(at.lo[i]!))),
  };
  const tie = SIGNIFICANT * Math.max(...usable.map((i) => values.scales[i]!));
  const order = argsort(
    usable.map((i) => values.values[i]!),
    false,
    tie,
  ).map((k) => usable[k]!);
  const first = order[0]!;
  const sampleTol = ROUNDING_RTOL * Math.max(Math.abs(at.lo[first]!), Math.abs(at.hi[first]!)) + 1e-300;
  const decisive = values.values[first]! < -DECISIVE * sampleTol;
  const starts = decisive ? [] : order.slice(0, Math.min(restarts, order.length));
  const main = await localSearch(env, objective, { points: P, rows: starts, values }, decisive ? 0 : steps, (s) =>
    env.tick(count + s, total),
  );
  const best2 = argsort(main.values, false, tie).slice(0, 2);
  const refined = await localSearch(
    env,
    objective,
    { points: main.points, rows: best2, values: { values: main.values, scales: main.scales } },
    decisive ? 0 : refine,
    (s) => env.tick(count + steps + s, total),
    1,
  );
  let best: { gap: number; points: Handle; row: number } = { gap: values.values[order[0]!]!, points: P, row: order[0]! };
  for (const o of [main, refined])
    o.values.forEach((v, r) => Number.isFinite(v) && v < best.gap && (best = { gap: v, points: o.points, row: r }));
  const end = await sides({ of: best.points, rows: [best.row] });
  const [lo, hi] = [end.lo[0]!, end.hi[0]!];
  const tol = ROUNDING_RTOL * Math.max(Math.abs(lo), Math.abs(hi)) + 1e-300;
  const [lhsV, rhsV] = op === '<=' ? [lo, hi] : [hi, lo];
  const evidence = {
    points: usable.length,
    restarts: starts.length,
    smallestSlack: best.gap,
    tolerance: tol,
    seed: env.seed,
    search: search ? 'exact gradient' : 'SPSA',
    ...unusable.evidence(),
  };
  if (best.gap < -tol) {
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `violated: lhs = ${lhsV.toPrecision(8)}, rhs = ${rhsV.toPrecision(8)}`,
      evidence,
      counterexample: { point: await env.pointJson(best.points, best.row), values: { lhs: lhsV, rhs: rhsV } },
    };
  }
  if (unusable.tooMany(count)) return unusable.inconclusive(env, { ...partial, ...evidence }, count);
  return {
    index: env.index,
    verdict: 'holds',
    summary: `smallest slack found ${best.gap.toPrecision(4)} (lhs ${lhsV.toPrecision(6)}, rhs ${rhsV.toPrecision(6)})${unusable.note()}`,
    evidence,
  };
}
