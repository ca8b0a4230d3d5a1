/**
 * Eigenvalue claims: min over the domain of λ_min(M(θ)) ≥ 0 (> 0 when strict), for M = ±Q or
 * upper − lower (Loewner order), θ the vars and unfixed givens. Random samples, then projected
 * descent on λ_min from the worst ones (search.ts): along the exact gradient of vᵀM(θ)v for the
 * current eigenvector v when the claim carries one (λ_min's gradient, by Hellmann–Feynman), else an
 * SPSA estimate; a candidate is eigen-solved only when its Rayleigh quotient already beats the
 * current λ_min (λ_min(M) ≤ vᵀMv). The best restarts are then refined with smaller steps.
 */
import type { Handle, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult, Counterexample, Plot, WireClaim } from '../protocol';
import { lanczosEigen } from './lanczos';
import { DECISIVE, type Objective, type ObjectiveValues, SIGNIFICANT, localSearch } from './search';
import { type ClaimEnv, STREAM, Unusable, argsort, canonicalSign, nonFiniteWord } from './session';

export interface EigenClaim {
  upper: Quantity;
  lower?: Quantity;
  sign: 1 | -1;
  strict: boolean;
  /** How the claim reads in messages ("psd", "rhs - lhs ⪰ 0"). */
  what: string;
  search?: WireClaim['search'];
}

export function isFullHessian(q: Quantity, vars: number): boolean {
  return q.kind === 'hess' && q.rows.length === vars && q.cols.length === vars && q.rows.every((r, i) => r === i && q.cols[i] === i);
}

/** λ_min of sign·(upper − lower) as a search objective (lower is better, as λ_min). */
export function minEigenObjective(env: ClaimEnv, claim: EigenClaim): Objective & { lanczos: boolean } {
  const a = env.arrays;
  const vars = env.specs.filter((s) => s.role === 'var').length;
  const lanczos = !claim.lower && isFullHessian(claim.upper, vars) && env.dimension >= env.options.lanczosMinDimension;
  const quadratic = async (points: Required<RowRef>, vectors: RowRef | undefined): Promise<number[]> => {
    const up = await a.quad(points, claim.upper, vectors!);
    const lo = claim.lower ? await a.quad(points, claim.lower, vectors!) : undefined;
    return up.map((u, i) => claim.sign * (u - (lo ? lo[i]! : 0)));
  };
  const search = claim.search;
  return {
    lanczos,
    async evaluate(points, near): Promise<ObjectiveValues> {
      const e = lanczos
        ? await lanczosEigen(env, points, claim.sign, 'min', near)
        : await a.eigen(points, claim.upper, claim.lower, claim.sign, 'min');
      // A non-finite matrix leaves a meaningless eigenvalue: the point is unusable.
      return { values: e.values.map((v, i) => (Number.isFinite(e.scales[i]!) ? v : e.scales[i]!)), scales: e.scales, state: e.vectors };
    },
    ...(search
      ? {
          async gradient(points, state) {
            const g = await a.evaluate(points, { kind: 'stack', roots: search.roots, inputs: search.inputs }, state);
            return claim.sign === 1 ? g : a.linear([{ of: g, coef: -1 }]);
          },
        }
      : {}),
    probe: quadratic,
    screen: quadratic,
  };
}

export async function eigenBound(
  env: ClaimEnv,
  claim: EigenClaim,
  lossRoot: number,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { points: count, restarts, steps } = env.budget;
  const refine = Math.ceil(steps / 2);
  const total = count + steps + refine;
  await env.tick(0, total);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const objective = minEigenObjective(env, claim);
  const first = await objective.evaluate({ of: P, rows: Array.from({ length: count }, (_, i) => i) });
  const unusable = new Unusable();
  const usable: number[] = [];
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    if (!Number.isFinite(losses[i]!)) unusable.add(`${nonFiniteWord(losses[i]!)} in the loss at ${where}`);
    else if (!Number.isFinite(first.scales[i]!)) unusable.add(`${nonFiniteWord(first.scales[i]!)} in the matrix at ${where}`);
    else usable.push(i);
  }
  partial['points'] = usable.length;
  if (!usable.length) return unusable.inconclusive(env, partial, count);
  const trace = usable.map((i) => first.values[i]!);
  partial['minEigenvalue'] = Math.min(...trace);
  // Eigenvalues are known to rounding of the matrix entries: closer ones count as ties.
  const tie = SIGNIFICANT * Math.max(...usable.map((i) => first.scales[i]!));
  const order = argsort(trace, false, tie).map((k) => usable[k]!);
  // The size of the matrix, for its rounding tolerance (1e-9·max|M_ij|·size).
  const sizeOf = async (vectors: Handle, row: number): Promise<number> =>
    objective.lanczos ? env.dimension : (await a.fetchValue(vectors, row)).data.length;
  const sampleTol = 1e-9 * Math.max(first.scales[order[0]!]!, 1e-300) * (await sizeOf(first.state!, order[0]!));
  const decisive = first.values[order[0]!]! < -DECISIVE * sampleTol;
  const starts = decisive ? [] : order.slice(0, Math.min(restarts, order.length));
  const main = await localSearch(env, objective, { points: P, rows: starts, values: first }, decisive ? 0 : steps, (s) =>
    env.tick(count + s, total),
  );
  // Refinement: the two best restarts again, from where they stopped, with fresh (smaller) steps.
  const best2 = argsort(main.values, false, tie).slice(0, 2);
  const refined = await localSearch(
    env,
    objective,
    {
      points: main.points,
      rows: best2,
      values: { values: main.values, scales: main.scales, ...(main.state ? { state: main.state } : {}) },
    },
    decisive ? 0 : refine,
    (s) => env.tick(count + steps + s, total),
    1,
  );
  type Best = { lambda: number; scale: number; points: Handle; vectors: Handle; row: number };
  let best: Best = { lambda: first.values[order[0]!]!, scale: first.scales[order[0]!]!, points: P, vectors: first.state!, row: order[0]! };
  const consider = (lambda: number, scale: number, points: Handle, vectors: Handle | undefined, row: number): void => {
    if (Number.isFinite(lambda) && lambda < best.lambda - tie && vectors !== undefined) best = { lambda, scale, points, vectors, row };
  };
  main.values.forEach((v, r) => consider(v, main.scales[r]!, main.points, main.state, r));
  refined.values.forEach((v, r) => consider(v, refined.scales[r]!, refined.points, refined.state, r));
  partial['minEigenvalue'] = best.lambda;
  const size = await sizeOf(best.vectors, best.row);
  const tol = 1e-9 * Math.max(best.scale, 1e-300) * size;
  const plots: Plot[] = [
    {
      title: 'λ_min over samples',
      xLabel: 'sample',
      yLabel: 'λ_min',
      series: [{ label: 'random samples', x: usable.map((i) => i + 1), y: trace }],
      reference: { label: 'bound 0', y: 0 },
    },
    {
      title: 'λ_min during adversarial descent',
      xLabel: 'step',
      yLabel: 'λ_min',
      series: [
        ...main.traces.map((t, i) => ({ label: `restart ${i + 1}`, ...t })),
        ...refined.traces.map((t, i) => ({ label: `refinement ${i + 1}`, x: t.x.map((x) => x + steps), y: t.y })),
      ],
      reference: { label: 'bound 0', y: 0 },
    },
  ];
  const evidence = {
    points: usable.length,
    restarts: starts.length,
    steps,
    minEigenvalue: best.lambda,
    tolerance: tol,
    seed: env.seed,
    search: claim.search ? 'exact gradient' : 'SPSA',
    ...unusable.evidence(),
    ...(objective.lanczos ? { method: 'Lanczos' } : {}),
  };
  const broken = claim.strict ? best.lambda <= tol : best.lambda < -tol;
  // nsd/nd claims are searched as λ_min of −M; they are reported as λ_max of M.
  const extreme = claim.sign === 1 ? 'λ_min' : 'λ_max';
  if (broken) {
    const counterexample: Counterexample = {
      point: await env.pointJson(best.points, best.row),
      values: { minEigenvalue: best.lambda },
      eigenvector: canonicalSign((await a.fetchValue(best.vectors, best.row)).data),
    };
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `${claim.what} fails: ${extreme} = ${(claim.sign * best.lambda).toPrecision(6)} at the counterexample`,
      evidence,
      counterexample,
      plots,
    };
  }
  if (unusable.tooMany(count)) return unusable.inconclusive(env, { ...partial, ...evidence }, count);
  return {
    index: env.index,
    verdict: 'holds',
    summary:
      `${claim.what}: ${claim.sign === 1 ? 'smallest' : 'largest'} ${extreme} found ${(claim.sign * best.lambda).toPrecision(6)} over ${usable.length} samples and ${starts.length} descents` +
      unusable.note(),
    evidence,
    plots,
  };
}
