/**
 * Eigenvalue claims: min over the domain of λ_min(M(x)) ≥ 0 (> 0 when strict), for M = ±Q or
 * upper − lower (Loewner order). Random samples, then projected descent on λ_min from the worst
 * ones, every restart advancing in lockstep: the descent direction is the SPSA estimate of the
 * gradient of vᵀM(x)v for the current eigenvector v, and a candidate is eigen-solved only when its
 * Rayleigh quotient already beats the current λ_min (λ_min(M) ≤ vᵀMv).
 */
import type { Handle, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult, Counterexample, Plot } from '../protocol';
import { lanczosMinEigen } from './lanczos';
import { SIGNIFICANT, spsaDirections } from './search';
import { type ClaimEnv, NonFinite, STREAM, argsort, canonicalSign, nonFiniteWord } from './session';

export interface EigenClaim {
  upper: Quantity;
  lower?: Quantity;
  sign: 1 | -1;
  strict: boolean;
  /** How the claim reads in messages ("psd", "rhs - lhs ⪰ 0"). */
  what: string;
}

interface Eig {
  values: number[];
  scales: number[];
  vectors: Handle;
}

function isFullHessian(q: Quantity, vars: number): boolean {
  return q.kind === 'hess' && q.rows.length === vars && q.cols.length === vars && q.rows.every((r, i) => r === i && q.cols[i] === i);
}

export async function eigenBound(
  env: ClaimEnv,
  claim: EigenClaim,
  lossRoot: number,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { points: count, restarts, steps } = env.budget;
  const total = count + restarts * steps;
  const vars = env.specs.filter((s) => s.role === 'var').length;
  const lanczos = !claim.lower && isFullHessian(claim.upper, vars) && env.dimension >= env.options.lanczosMinDimension;
  const eigen = (points: Required<RowRef>): Promise<Eig> =>
    lanczos ? lanczosMinEigen(env, points, claim.sign) : a.eigen(points, claim.upper, claim.lower, claim.sign, 'min');
  const quadratic = async (points: RowRef, vectors: RowRef): Promise<number[]> => {
    const up = await a.quad(points, claim.upper, vectors);
    const lo = claim.lower ? await a.quad(points, claim.lower, vectors) : undefined;
    return up.map((u, i) => claim.sign * (u - (lo ? lo[i]! : 0)));
  };

  await env.tick(0, total);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const first = await eigen({ of: P, rows: Array.from({ length: count }, (_, i) => i) });
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    if (!Number.isFinite(losses[i]!)) {
      throw new NonFinite(`${nonFiniteWord(losses[i]!)} in the loss at ${where}: the domain includes points where L is undefined`);
    }
    if (!Number.isFinite(first.scales[i]!)) throw new NonFinite(`${nonFiniteWord(first.scales[i]!)} in the matrix at ${where}`);
    partial['points'] = i + 1;
    partial['minEigenvalue'] = Math.min(...first.values.slice(0, i + 1));
  }
  const trace = first.values;
  const order = argsort(trace);
  const R = Math.min(restarts, count);
  // The current point, eigenpair and step of every restart; restart r is row r of `cur`/`vec`.
  let cur = await a.gather([{ of: P, rows: order.slice(0, R) }]);
  let vec = await a.gather([{ of: first.vectors, rows: order.slice(0, R) }]);
  const lambda = order.slice(0, R).map((i) => trace[i]!);
  const scale = order.slice(0, R).map((i) => first.scales[i]!);
  const norms0 = await a.distances({ of: cur }, undefined, env.searchNames);
  const stepOf = norms0.map((n) => 0.1 * Math.max(1, n / Math.sqrt(env.searchNames.length || 1)));
  const active = Array.from({ length: R }, () => env.searchNames.length > 0);
  const errors: (NonFinite | undefined)[] = Array(R).fill(undefined);
  const traces = Array.from({ length: R }, (_, r) => ({ x: [0], y: [lambda[r]!] }));
  const CANDIDATES = 4;

  for (let s = 0; s < steps; s++) {
    const live = active.flatMap((on, r) => (on ? [r] : []));
    if (!live.length) break;
    await env.tick(count + s, total);
    const { directions } = await spsaDirections(env, cur, live, live, s, (points, owner) =>
      quadratic({ of: points }, { of: vec, rows: owner.map((j) => live[j]!) }),
    );
    // Candidates x − (step / 2^t)·g, t = 0..3, projected onto the domain.
    const candRows = live.flatMap((r) => Array(CANDIDATES).fill(r) as number[]);
    const cands = await a.move(
      { of: cur, rows: candRows },
      { of: directions, rows: live.flatMap((_, j) => Array(CANDIDATES).fill(j) as number[]) },
      live.flatMap((r) => Array.from({ length: CANDIDATES }, (_, t) => -stepOf[r]! / 2 ** t)),
      env.searchNames,
      true,
    );
    const rayleigh = await quadratic({ of: cands }, { of: vec, rows: candRows });
    const where = `search step ${s + 1}`;
    const tried = live.map(() => 0);
    const accepted = new Map<number, { cand: number; eig: Eig; row: number }>();
    let undecided = live.map((_, j) => j);
    // Candidates are tried in order (step, step/2, …); each round eigen-solves the next
    // Rayleigh-passing candidate of every undecided restart at once.
    while (undecided.length) {
      const asks: number[] = [];
      for (const j of undecided) {
        const r = live[j]!;
        const bar = lambda[r]! - SIGNIFICANT * scale[r]!;
        while (tried[j]! < CANDIDATES && !(rayleigh[j * CANDIDATES + tried[j]!]! < bar)) {
          stepOf[r]! /= 2;
          tried[j]!++;
        }
        if (tried[j]! < CANDIDATES) asks.push(j);
      }
      if (!asks.length) break;
      const eig = await eigen({ of: cands, rows: asks.map((j) => j * CANDIDATES + tried[j]!) });
      undecided = [];
      asks.forEach((j, e) => {
        const r = live[j]!;
        const bar = lambda[r]! - SIGNIFICANT * scale[r]!;
        if (!Number.isFinite(eig.scales[e]!)) {
          errors[r] = new NonFinite(`${nonFiniteWord(eig.scales[e]!)} in the matrix at ${where}`);
          active[r] = false;
        } else if (eig.values[e]! < bar) {
          accepted.set(r, { cand: j * CANDIDATES + tried[j]!, eig, row: e });
        } else {
          stepOf[r]! /= 2;
          tried[j]!++;
          undecided.push(j);
        }
      });
    }
    if (accepted.size) {
      const pointParts: RowRef[] = [];
      const vecParts: RowRef[] = [];
      for (let r = 0; r < R; r++) {
        const acc = accepted.get(r);
        pointParts.push(acc ? { of: cands, rows: [acc.cand] } : { of: cur, rows: [r] });
        vecParts.push(acc ? { of: acc.eig.vectors, rows: [acc.row] } : { of: vec, rows: [r] });
        if (acc) {
          lambda[r] = acc.eig.values[acc.row]!;
          scale[r] = acc.eig.scales[acc.row]!;
        }
      }
      const [nextCur, nextVec] = [await a.gather(pointParts), await a.gather(vecParts)];
      await a.release([cur, vec]);
      [cur, vec] = [nextCur, nextVec];
    }
    for (const r of live) {
      if (errors[r]) continue;
      if (accepted.has(r)) stepOf[r]! *= 1.5;
      traces[r]!.x.push(s + 1);
      traces[r]!.y.push(lambda[r]!);
      if (stepOf[r]! < 1e-12) active[r] = false;
    }
  }
  let best = { lambda: trace[order[0]!]!, scale: first.scales[order[0]!]!, points: P, vectors: first.vectors, row: order[0]! };
  for (let r = 0; r < R; r++) {
    if (errors[r]) throw errors[r];
    if (lambda[r]! < best.lambda) best = { lambda: lambda[r]!, scale: scale[r]!, points: cur, vectors: vec, row: r };
    partial['minEigenvalue'] = Math.min(Number(partial['minEigenvalue']), best.lambda);
  }
  const rows = lanczos ? env.dimension : undefined;
  const tol = 1e-9 * Math.max(best.scale, 1e-300) * (rows ?? (await a.fetchValue(best.vectors, best.row)).data.length);
  const plots: Plot[] = [
    {
      title: 'λ_min over samples',
      xLabel: 'sample',
      yLabel: 'λ_min',
      series: [{ label: 'random samples', x: trace.map((_, i) => i + 1), y: trace }],
      reference: { label: 'bound 0', y: 0 },
    },
    {
      title: 'λ_min during adversarial descent',
      xLabel: 'step',
      yLabel: 'λ_min',
      series: traces.map((t, i) => ({ label: `restart ${i + 1}`, ...t })),
      reference: { label: 'bound 0', y: 0 },
    },
  ];
  const evidence = {
    points: count,
    restarts: R,
    steps,
    minEigenvalue: best.lambda,
    tolerance: tol,
    ...(lanczos ? { method: 'Lanczos' } : {}),
  };
  const broken = claim.strict ? best.lambda <= tol : best.lambda < -tol;
  if (broken) {
    const counterexample: Counterexample = {
      point: await env.pointJson(best.points, best.row),
      values: { minEigenvalue: best.lambda },
      eigenvector: canonicalSign((await a.fetchValue(best.vectors, best.row)).data),
    };
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `${claim.what} fails: λ_min = ${best.lambda.toPrecision(6)} at the counterexample`,
      evidence,
      counterexample,
      plots,
    };
  }
  return {
    index: env.index,
    verdict: 'holds',
    summary: `${claim.what}: smallest λ_min found ${best.lambda.toPrecision(6)} over ${count} samples and ${R} descents`,
    evidence,
    plots,
  };
}
