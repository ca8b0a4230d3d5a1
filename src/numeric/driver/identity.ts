/**
 * `lhs = rhs` at sampled points. A derivative claim (the full gradient or Hessian of the loss) is
 * also compared with finite differences along a few seeded random directions: a claim that
 * disagrees with the symbolic derivative must also disagree with finite differences beyond their
 * own error estimate to be refuted, and a symbolic derivative that disagrees with them makes the
 * claim inconclusive (the function may not be smooth there).
 */
import type { Handle, Quantity } from '../evaluator/api';
import type { ClaimResult, JsonValue, Plot } from '../protocol';
import { type ClaimEnv, NonFinite, STREAM, nonFiniteWord, quantityName } from './session';

/** Rounding tolerance for comparing two float64 evaluations of the same function. */
export const ROUNDING_RTOL = 1e-9;
/** How close (relative to the point's scale) an argument of relu/abs may come to 0 before FD is meaningless. */
const KINK_MARGIN = 1e-2;
/** Random directions per point for the finite-difference cross-check. */
const FD_DIRECTIONS = 3;
const FD_STEP = 1e-3;
const FD_PLOT_STEPS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 1e-8, 1e-9];

function isFull(q: Quantity, vars: number): boolean {
  const all = (xs: number[]): boolean => xs.length === vars && xs.every((x, i) => x === i);
  return (q.kind === 'grad' && all(q.wrt)) || (q.kind === 'hess' && all(q.rows) && all(q.cols));
}

interface FdAlong {
  /** ‖FD − symbolic‖, ‖FD − claim‖, the FD error estimate and ‖FD‖, per direction, per point. */
  engine: number[][];
  claim: number[][];
  error: number[][];
  size: number[][];
}

/**
 * Richardson-extrapolated central differences of f (the loss for a gradient claim, the gradient for
 * a Hessian claim) along FD_DIRECTIONS unit directions u at each point, compared with the symbolic
 * derivative and the claim applied to u.
 */
async function finiteDifferences(
  env: ClaimEnv,
  points: Handle,
  count: number,
  lhs: Handle,
  rhs: Handle,
  kind: 'grad' | 'hess',
  lossRoot: number,
): Promise<FdAlong> {
  const a = env.arrays;
  const m = FD_DIRECTIONS;
  const streams = Array.from({ length: count * m }, (_, j) => [env.index, STREAM.fd, Math.floor(j / m), j % m]);
  const u = await a.directions(streams, env.varNames);
  const scale = await a.distances({ of: points }, undefined, env.varNames);
  const h = scale.map((s) => FD_STEP * Math.max(1, s));
  // Rows per (point, direction): x + h u, x − h u, x + h/2 u, x − h/2 u.
  const base = Array.from({ length: count * m * 4 }, (_, j) => Math.floor(j / (4 * m)));
  const dirRows = Array.from({ length: count * m * 4 }, (_, j) => Math.floor(j / 4));
  const steps = base.map((p, j) => h[p]! * [1, -1, 0.5, -0.5][j % 4]!);
  const shifted = await a.move({ of: points, rows: base }, { of: u, rows: dirRows }, steps, env.varNames, false);
  const f = await a.evaluate({ of: shifted }, kind === 'grad' ? { kind: 'expr', root: lossRoot } : { kind: 'grad', wrt: varRange(env) });
  const groups = Array.from({ length: count * m }, (_, j) => [4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3]);
  const hOf = (j: number): number => h[Math.floor(j / m)]!;
  // (4 D(h/2) − D(h)) / 3 with D(h) = (f(x+hu) − f(x−hu)) / 2h; the error estimate is D(h/2) − D(h).
  const fd = await a.mix(
    f,
    groups,
    groups.map((_, j) => [-1 / (6 * hOf(j)), 1 / (6 * hOf(j)), 4 / (3 * hOf(j)), -4 / (3 * hOf(j))]),
  );
  const err = await a.mix(
    f,
    groups,
    groups.map((_, j) => [-1 / (2 * hOf(j)), 1 / (2 * hOf(j)), 1 / hOf(j), -1 / hOf(j)]),
  );
  const repeated = Array.from({ length: count * m }, (_, j) => Math.floor(j / m));
  // The symbolic derivative and the claim along u: ⟨g, u⟩ for a gradient, H u for a Hessian.
  const along = async (side: Handle): Promise<Handle> =>
    kind === 'grad'
      ? scalarsHandle(env, await a.dots({ of: side, rows: repeated }, { of: u }))
      : a.apply({ of: side, rows: repeated }, { of: u });
  const lu = await along(lhs);
  const ru = await along(rhs);
  const engine = await a.norms(
    {
      of: await a.linear([
        { of: fd, coef: 1 },
        { of: lu, coef: -1 },
      ]),
    },
    'norm',
  );
  const claim = await a.norms(
    {
      of: await a.linear([
        { of: fd, coef: 1 },
        { of: ru, coef: -1 },
      ]),
    },
    'norm',
  );
  const error = await a.norms({ of: err }, 'norm');
  const size = await a.norms({ of: fd }, 'norm');
  const per = (xs: number[]): number[][] => Array.from({ length: count }, (_, i) => xs.slice(i * m, (i + 1) * m));
  return { engine: per(engine), claim: per(claim), error: per(error), size: per(size) };
}

function varRange(env: ClaimEnv): number[] {
  return env.specs.filter((s) => s.role === 'var').map((_, i) => i);
}

/** A values handle of 1×1 rows holding the given numbers (for comparing scalars evaluator-side). */
async function scalarsHandle(env: ClaimEnv, xs: number[]): Promise<Handle> {
  const a = env.arrays;
  const one = await a.fill(xs.length, 1, 1, 1);
  return a.linear([{ of: one, coef: xs }]);
}

export async function identity(
  env: ClaimEnv,
  lhsQ: Quantity,
  rhsQ: Quantity,
  lossRoot: number,
  kinkRoots: number[],
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { points: count } = env.budget;
  const total = count;
  await env.tick(0, total);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  let near: boolean[] = Array(count).fill(false);
  if (kinkRoots.length) {
    const k = await a.evaluate({ of: P }, { kind: 'stack', roots: kinkRoots });
    const closest = await a.norms({ of: k }, 'minAbs');
    const scale = await a.distances({ of: P }, undefined, env.varNames);
    near = closest.map((c, i) => c < KINK_MARGIN * Math.max(1, scale[i]!));
  }
  const L = await a.evaluate({ of: P }, lhsQ);
  const R = await a.evaluate({ of: P }, rhsQ);
  const gaps = await a.norms(
    {
      of: await a.linear([
        { of: L, coef: 1 },
        { of: R, coef: -1 },
      ]),
    },
    'norm',
  );
  const nL = await a.norms({ of: L }, 'norm');
  const nR = await a.norms({ of: R }, 'norm');
  const vars = varRange(env).length;
  const derivative = isFull(lhsQ, vars) ? (lhsQ.kind as 'grad' | 'hess') : undefined;
  const fd = derivative ? await finiteDifferences(env, P, count, L, R, derivative, lossRoot) : undefined;
  let worst = 0;
  let worstFd = 0;
  let tolUsed = ROUNDING_RTOL;
  let fdPoints = 0;
  let nearKinks = 0;
  const errors: number[] = [];
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    if (!Number.isFinite(losses[i]!)) {
      throw new NonFinite(`${nonFiniteWord(losses[i]!)} in the loss at ${where}: the domain includes points where L is undefined`);
    }
    if (near[i]) {
      nearKinks++;
      continue;
    }
    if (!Number.isFinite(nL[i]!)) throw new NonFinite(`${nonFiniteWord(nL[i]!)} in the left side (${quantityName(lhsQ)}) at ${where}`);
    if (!Number.isFinite(nR[i]!)) throw new NonFinite(`${nonFiniteWord(nR[i]!)} in the right side at ${where}`);
    const scale = Math.max(nL[i]!, nR[i]!);
    const gap = gaps[i]!;
    let tol = ROUNDING_RTOL * scale + 1e-300;
    let confirmed = fd === undefined;
    if (fd) {
      for (let d = 0; d < FD_DIRECTIONS; d++) {
        const [engine, claim, error, size] = [fd.engine[i]![d]!, fd.claim[i]![d]!, fd.error[i]![d]!, fd.size[i]![d]!];
        if (![engine, claim, error, size].every(Number.isFinite))
          throw new NonFinite(`NaN/Inf in the finite-difference estimate at ${where}`);
        const fdTol = 10 * error + 1e3 * Number.EPSILON * Math.max(size, 1);
        if (engine > fdTol && engine > tol) {
          return {
            index: env.index,
            verdict: 'inconclusive',
            summary:
              `the symbolic derivative and finite differences disagree at ${where} (gap ${engine.toExponential(2)} > ` +
              `FD error estimate ${fdTol.toExponential(2)}); the function may not be smooth there`,
            evidence: { points: i + 1, symbolicVsFd: engine, fdErrorEstimate: error },
          };
        }
        tol = Math.max(tol, fdTol);
        worstFd = Math.max(worstFd, claim / Math.max(scale, 1e-300));
        if (claim > fdTol) confirmed = true;
      }
      fdPoints++;
    }
    const rel = gap / Math.max(scale, 1e-300);
    errors.push(rel);
    tolUsed = Math.max(tolUsed, tol / Math.max(scale, 1e-300));
    worst = Math.max(worst, rel);
    Object.assign(partial, { points: i + 1, maxRelativeError: worst });
    if (gap > tol && confirmed) {
      const rtol = tol / Math.max(scale, 1e-300);
      const values: Record<string, JsonValue> = {
        lhs: await env.valueJson(L, i),
        rhs: await env.valueJson(R, i),
        relativeError: rel,
        tolerance: rtol,
      };
      return {
        index: env.index,
        verdict: 'refuted',
        summary: `the two sides differ at ${where}: relative error ${rel.toExponential(3)} (tolerance ${rtol.toExponential(1)}${fd ? ', confirmed by finite differences' : ''})`,
        evidence: { points: i + 1, relativeError: rel, tolerance: rtol },
        counterexample: { point: await env.pointJson(P, i), values },
        plots: derivative ? [await fdStepPlot(env, P, i, L, derivative, lossRoot)] : [],
      };
    }
  }
  const compared = count - nearKinks;
  const kinkNote = nearKinks ? `; ${nearKinks} point${nearKinks === 1 ? '' : 's'} near a kink of relu/abs skipped` : '';
  if (compared === 0) {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary: 'every sampled point lies near a kink of relu/abs, where the derivative is undefined',
      evidence: { points: 0, nearKinks },
    };
  }
  const plots: Plot[] = [
    {
      title: 'Relative error per sample',
      xLabel: 'sample',
      yLabel: 'relative error',
      logY: true,
      series: [{ label: 'lhs vs rhs', x: errors.map((_, i) => i + 1), y: errors.map((e) => Math.max(e, 1e-18)) }],
    },
  ];
  if (derivative && fdPoints > 0) plots.push(await fdStepPlot(env, P, near.indexOf(false), L, derivative, lossRoot));
  const fdNote = fdPoints ? `; finite differences agree to ${worstFd.toExponential(2)}` : '';
  return {
    index: env.index,
    verdict: 'holds',
    summary: `equal at ${compared} sampled points (max relative error ${worst.toExponential(2)}, tolerance ${tolUsed.toExponential(1)}${fdNote}${kinkNote})`,
    evidence: {
      points: compared,
      maxRelativeError: worst,
      tolerance: tolUsed,
      ...(fdPoints ? { fdPoints, fdMaxRelativeError: worstFd } : {}),
      ...(nearKinks ? { nearKinks } : {}),
    },
    plots,
  };
}

/** Error of a plain central difference along one direction vs the symbolic derivative, as the step shrinks. */
async function fdStepPlot(env: ClaimEnv, P: Handle, row: number, L: Handle, kind: 'grad' | 'hess', lossRoot: number): Promise<Plot> {
  const a = env.arrays;
  const u = await a.directions([[env.index, STREAM.fd, row, 0]], env.varNames);
  const steps = FD_PLOT_STEPS;
  const moved = await a.move(
    { of: P, rows: steps.flatMap(() => [row, row]) },
    { of: u, rows: steps.flatMap(() => [0, 0]) },
    steps.flatMap((h) => [h, -h]),
    env.varNames,
    false,
  );
  const f = await a.evaluate({ of: moved }, kind === 'grad' ? { kind: 'expr', root: lossRoot } : { kind: 'grad', wrt: varRange(env) });
  const d = await a.mix(
    f,
    steps.map((_, s) => [2 * s, 2 * s + 1]),
    steps.map((h) => [1 / (2 * h), -1 / (2 * h)]),
  );
  const exact =
    kind === 'grad'
      ? await scalarsHandle(env, await a.dots({ of: L, rows: [row] }, { of: u }))
      : await a.apply({ of: L, rows: [row] }, { of: u });
  const gaps = await a.norms(
    {
      of: await a.linear([
        { of: d, coef: 1 },
        { of: exact, coef: -1 },
      ]),
    },
    'norm',
  );
  const size = (await a.norms({ of: exact }, 'norm'))[0]!;
  return {
    title: 'Finite-difference error vs step (along a random direction)',
    xLabel: 'step h',
    yLabel: 'relative error',
    logX: true,
    logY: true,
    series: [{ label: 'central difference', x: steps, y: gaps.map((e) => Math.max(e / Math.max(size, 1e-300), 1e-18)) }],
  };
}
