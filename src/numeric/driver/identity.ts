/**
 * `lhs = rhs`, in two steps.
 *
 * 1. Exactly (exact.ts): both sides as rational functions of the inputs and of one symbol per
 *    transcendental subterm, evaluated over random prime fields. Equal there: `proved`, with the
 *    error probability. A denominator that vanishes identically: an error.
 * 2. Otherwise in float64 at sampled points, against a rigorous bound of the rounding error of the
 *    two evaluations (rounding.ts, evaluated by the evaluator beside the sides): a gap beyond twice
 *    that bound means the exact values differ, so the claim is refuted — a factor 1 + 1e-6 is
 *    caught — while a true claim is never refuted by rounding. The engine's derivative is checked
 *    against finite differences as a sanity check only: if they disagree beyond the difference's
 *    own error, the claim is inconclusive (the function may not be smooth there).
 *
 * A NaN or Inf in the loss, either side or the bound makes that sample unusable (counted, the first
 * named); a claim with no usable sample is inconclusive.
 */
import { testIdentity } from '../exact';
import type { Handle, Quantity } from '../evaluator/api';
import type { CheckParams, ClaimResult, JsonValue, Plot } from '../protocol';
import { type ClaimEnv, STREAM, nonFiniteWord, quantityName } from './session';

/** Rounding tolerance for comparing two float64 evaluations of the same function (order and Lipschitz slack). */
export const ROUNDING_RTOL = 1e-9;
/** A gap must exceed the rounding-error bound this many times to refute (the bound is computed in float64 too). */
export const GAP_FACTOR = 2;
/**
 * A sample supports `holds` only where the rounding-error bound is at most this fraction of the
 * sides: there a relative error of 1e-6 would have shown five times over. Elsewhere (cancellation
 * down to rounding noise) it can refute but not confirm.
 */
export const PRECISE_BOUND = 1e-7;
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
  /** ‖FD − symbolic‖, the FD error estimate, the bound of its rounding noise and ‖FD‖, per direction, per point. */
  engine: number[][];
  error: number[][];
  noise: number[][];
  size: number[][];
}

/**
 * Richardson-extrapolated central differences of f (the loss for a gradient claim, the gradient for
 * a Hessian claim) along FD_DIRECTIONS unit directions u at each point, compared with the symbolic
 * derivative applied to u.
 */
async function finiteDifferences(
  env: ClaimEnv,
  points: Handle,
  count: number,
  lhs: Handle,
  kind: 'grad' | 'hess',
  params: CheckParams,
): Promise<FdAlong> {
  const lossRoot = params.loss;
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
  const differentiated: Quantity = kind === 'grad' ? { kind: 'expr', root: lossRoot } : { kind: 'grad', wrt: varRange(env) };
  const f = await a.evaluate({ of: shifted }, differentiated);
  const groups = Array.from({ length: count * m }, (_, j) => [4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3]);
  const hOf = (j: number): number => h[Math.floor(j / m)]!;
  // (4 D(h/2) − D(h)) / 3 with D(h) = (f(x+hu) − f(x−hu)) / 2h; the error estimate is D(h/2) − D(h).
  const weights = groups.map((_, j) => [-1 / (6 * hOf(j)), 1 / (6 * hOf(j)), 4 / (3 * hOf(j)), -4 / (3 * hOf(j))]);
  const fd = await a.mix(f, groups, weights);
  // Rounding of f, magnified by 1/h: Σ|w|·E_f bounds it (zero when f has no bound).
  const noise = missingBound(differentiated, params)
    ? Array<number>(count * m).fill(0)
    : await a.norms(
        {
          of: await a.mix(
            await a.evaluate({ of: shifted }, { kind: 'bound', of: differentiated }),
            groups,
            weights.map((w) => w.map(Math.abs)),
          ),
        },
        'norm',
      );
  const err = await a.mix(
    f,
    groups,
    groups.map((_, j) => [-1 / (2 * hOf(j)), 1 / (2 * hOf(j)), 1 / hOf(j), -1 / hOf(j)]),
  );
  const repeated = Array.from({ length: count * m }, (_, j) => Math.floor(j / m));
  // The symbolic derivative along u: ⟨g, u⟩ for a gradient, H u for a Hessian.
  const lu =
    kind === 'grad'
      ? await scalarsHandle(env, await a.dots({ of: lhs, rows: repeated }, { of: u }))
      : await a.apply({ of: lhs, rows: repeated }, { of: u });
  const engine = await a.norms(
    {
      of: await a.linear([
        { of: fd, coef: 1 },
        { of: lu, coef: -1 },
      ]),
    },
    'norm',
  );
  const error = await a.norms({ of: err }, 'norm');
  const size = await a.norms({ of: fd }, 'norm');
  const per = (xs: number[]): number[][] => Array.from({ length: count }, (_, i) => xs.slice(i * m, (i + 1) * m));
  return { engine: per(engine), error: per(error), noise: per(noise), size: per(size) };
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

/** The roots a quantity reads, for looking up their rounding-error bounds. */
function rootsOf(q: Quantity, params: CheckParams): number[] {
  if (q.kind === 'expr') return [q.root];
  if (q.kind === 'grad') return q.wrt.map((i) => params.grads[i]!);
  return q.rows.flatMap((r) => q.cols.map((c) => params.hess[r]![c]!));
}

/** Why a side has no rounding-error bound (an op without a rule), if it has none. */
function missingBound(q: Quantity, params: CheckParams): string | undefined {
  for (const r of rootsOf(q, params)) {
    const b = params.bounds?.find((x) => x.of === r);
    if (!b) return 'no rounding-error bound was built for it';
    if (b.missing !== undefined) return b.missing;
  }
  return undefined;
}

const sci = (x: number, digits = 1): string => x.toExponential(digits);

/** The seed of the exact test of claim `index`: reproducible, different per claim. */
function exactSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export async function identity(
  env: ClaimEnv,
  lhsQ: Quantity,
  rhsQ: Quantity,
  params: CheckParams,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const count = env.budget.points;
  const seed = params.seed;
  await env.tick(0, count);
  const P = await env.sample(STREAM.sample, count);
  const losses = await a.values({ of: P }, { kind: 'expr', root: params.loss });
  const L = await a.evaluate({ of: P }, lhsQ);
  const R = await a.evaluate({ of: P }, rhsQ);
  const nL = await a.norms({ of: L }, 'norm');
  const nR = await a.norms({ of: R }, 'norm');
  const undefinedAt = (i: number): string | undefined => {
    const where = `sample ${i + 1}`;
    if (!Number.isFinite(losses[i]!)) return `${nonFiniteWord(losses[i]!)} in the loss at ${where}`;
    if (!Number.isFinite(nL[i]!)) return `${nonFiniteWord(nL[i]!)} in the left side (${quantityName(lhsQ)}) at ${where}`;
    if (!Number.isFinite(nR[i]!)) return `${nonFiniteWord(nR[i]!)} in the right side at ${where}`;
    return undefined;
  };
  const defined = Array.from({ length: count }, (_, i) => undefinedAt(i));
  const firstUndefined = defined.find((d) => d !== undefined);
  const definedCount = defined.filter((d) => d === undefined).length;

  const exact = await testIdentity(params.ir, params, lhsQ, rhsQ, exactSeed(seed, env.index), () => env.tick(0, count));
  if (exact.kind === 'undefined') {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary: `error: the denominator ${exact.denominator} vanishes identically, so the claim's expressions are undefined everywhere`,
      evidence: { reason: 'vanishing denominator', denominator: exact.denominator, seed },
    };
  }
  if (exact.kind === 'equal') {
    // A formal identity between functions defined nowhere on the domain proves nothing about it.
    if (definedCount === 0)
      return {
        index: env.index,
        verdict: 'inconclusive',
        summary: `the two sides agree as rational functions, but nothing is defined on the domain: ${firstUndefined} (and at every other sample)`,
        evidence: { points: 0, unusable: count, reason: firstUndefined!, seed },
      };
    return {
      index: env.index,
      verdict: 'proved',
      summary:
        `equal as rational functions (transcendental subterms as symbols) at ${exact.trials} random points ` +
        `over random primes p ∈ [2^30, 2^31); error probability ≤ ${sci(exact.errorProbability)}`,
      evidence: {
        method: 'randomised identity testing over prime fields (Schwartz–Zippel)',
        errorProbability: exact.errorProbability,
        trials: exact.trials,
        degreeBound: exact.degree,
        definedAt: definedCount,
        seed,
      },
    };
  }
  const formal =
    exact.kind === 'different'
      ? 'not an identity of rational functions in the transcendental subterms, so checked numerically'
      : `not tested exactly (${exact.reason})`;
  const missing = missingBound(lhsQ, params) ?? missingBound(rhsQ, params);
  if (missing) {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary: `${formal}, but the rounding error of the comparison cannot be bounded: ${missing}`,
      evidence: { reason: missing, seed },
    };
  }

  const kinkRoots = params.kinks ?? [];
  let near: boolean[] = Array(count).fill(false);
  if (kinkRoots.length) {
    const k = await a.evaluate({ of: P }, { kind: 'stack', roots: kinkRoots });
    const closest = await a.norms({ of: k }, 'minAbs');
    const scale = await a.distances({ of: P }, undefined, env.varNames);
    near = closest.map((c, i) => c < KINK_MARGIN * Math.max(1, scale[i]!));
  }
  const E = await a.linear([
    { of: await a.evaluate({ of: P }, { kind: 'bound', of: lhsQ }), coef: 1 },
    { of: await a.evaluate({ of: P }, { kind: 'bound', of: rhsQ }), coef: 1 },
  ]);
  const ratios = await a.exceed({ of: L }, { of: R }, { of: E });
  const gaps = await a.norms(
    {
      of: await a.linear([
        { of: L, coef: 1 },
        { of: R, coef: -1 },
      ]),
    },
    'norm',
  );
  const nE = await a.norms({ of: E }, 'norm');
  const derivative = isFull(lhsQ, varRange(env).length) ? (lhsQ.kind as 'grad' | 'hess') : undefined;
  const fd = derivative ? await finiteDifferences(env, P, count, L, derivative, params) : undefined;

  let usable = 0;
  let firstUnusable: string | undefined;
  let worst = 0;
  let worstBound = 0;
  let worstRatio = 0;
  let worstFd = 0;
  let fdTolerance = 0;
  let fdPoints = 0;
  let nearKinks = 0;
  let imprecise = 0;
  let tightest = Infinity;
  const errors: number[] = [];
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const where = `sample ${i + 1}`;
    const bad =
      defined[i] ??
      (!Number.isFinite(nE[i]!) || Number.isNaN(ratios[i]!)
        ? `${Number.isNaN(nE[i]!) ? 'NaN' : 'Inf'} in the rounding-error bound at ${where} (a denominator within its rounding of 0)`
        : undefined);
    if (bad) {
      firstUnusable ??= bad;
      continue;
    }
    usable++;
    const scale = Math.max(nL[i]!, nR[i]!, 1e-300);
    if (fd && near[i]) nearKinks++;
    if (fd && !near[i]) {
      const values = [0, 1, 2].map((d) => [fd.engine[i]![d]!, fd.error[i]![d]!, fd.noise[i]![d]!, fd.size[i]![d]!]);
      // Finite differences that overflow or hit NaN check nothing at this sample.
      if (values.flat().every(Number.isFinite)) {
        for (const [engine, error, noise, size] of values as [number, number, number, number][]) {
          // Truncation (estimated), rounding of f (bounded) and of the symbolic side (within ‖E‖).
          const tol = 10 * error + 2 * noise + nE[i]! + 1e3 * Number.EPSILON * Math.max(size, 1);
          if (engine > tol && engine > 1e-9 * scale) {
            return {
              index: env.index,
              verdict: 'inconclusive',
              summary:
                `the symbolic derivative and finite differences disagree at ${where} (gap ${sci(engine, 2)} > ` +
                `FD error estimate ${sci(tol, 2)}); the function may not be smooth there`,
              evidence: { points: usable, symbolicVsFd: engine, fdErrorEstimate: error, seed },
            };
          }
          worstFd = Math.max(worstFd, engine / scale);
          fdTolerance = Math.max(fdTolerance, tol / scale);
        }
        fdPoints++;
      }
    }
    const rel = gaps[i]! / scale;
    const boundRel = nE[i]! / scale;
    if (ratios[i]! <= GAP_FACTOR && !(boundRel <= PRECISE_BOUND)) {
      imprecise++;
      tightest = Math.min(tightest, boundRel);
      continue;
    }
    errors.push(rel);
    samples.push(i + 1);
    worst = Math.max(worst, rel);
    worstBound = Math.max(worstBound, boundRel);
    worstRatio = Math.max(worstRatio, ratios[i]!);
    Object.assign(partial, { points: samples.length, maxRelativeError: worst });
    if (ratios[i]! > GAP_FACTOR) {
      const times = Number.isFinite(ratios[i]!) ? `${ratios[i]!.toPrecision(2)} times` : 'infinitely many times (both sides are exact)';
      const values: Record<string, JsonValue> = {
        ...(await env.sidesJson(L, R, i)),
        relativeError: rel,
        roundingBound: boundRel,
      };
      return {
        index: env.index,
        verdict: 'refuted',
        summary:
          `the two sides differ at ${where}: relative error ${rel.toExponential(3)}, ${times} the rounding-error bound ` +
          `of the two evaluations there (${sci(boundRel)} relative)`,
        evidence: { points: samples.length, relativeError: rel, roundingBound: boundRel, gapToBound: ratios[i]!, seed },
        counterexample: { point: await env.pointJson(P, i), values },
        plots: derivative ? [await fdStepPlot(env, P, i, L, derivative, params.loss)] : [],
      };
    }
  }
  const unusable = count - usable;
  if (usable === 0) {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary: `no usable sample: ${firstUnusable} (and NaN/Inf at every other sample); ${formal}`,
      evidence: { points: 0, unusable, reason: firstUnusable!, seed },
    };
  }
  if (samples.length === 0) {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary:
        `the sides agree at ${usable} sampled points, but only to within the rounding-error bound of their evaluation, ` +
        `which is too large to decide: at best ${sci(tightest)} of their size (seed ${seed}); ${formal}`,
      evidence: { points: 0, imprecise, roundingBound: tightest, seed, ...(unusable ? { unusable, unusableReason: firstUnusable! } : {}) },
    };
  }
  const plots: Plot[] = [
    {
      title: 'Relative error per sample',
      xLabel: 'sample',
      yLabel: 'relative error',
      logY: true,
      series: [{ label: 'lhs vs rhs', x: samples, y: errors.map((e) => Math.max(e, 1e-18)) }],
    },
  ];
  if (derivative && fdPoints > 0) plots.push(await fdStepPlot(env, P, samples.find((s) => !near[s - 1])! - 1, L, derivative, params.loss));
  const notes = [
    fdPoints ? `finite differences agree to ${sci(worstFd, 2)}` : '',
    nearKinks ? `finite differences skipped at ${nearKinks} point${nearKinks === 1 ? '' : 's'} near a kink of relu/abs` : '',
    unusable ? `${unusable} of ${count} samples unusable (first: ${firstUnusable})` : '',
    imprecise ? `${imprecise} sample${imprecise === 1 ? '' : 's'} where rounding swamps the comparison not counted` : '',
    formal,
  ].filter(Boolean);
  return {
    index: env.index,
    verdict: 'holds',
    summary:
      `equal at ${samples.length} sampled point${samples.length === 1 ? '' : 's'} within the rounding-error bound of the two evaluations ` +
      `(max relative error ${sci(worst, 2)}, bound ${sci(worstBound)} relative; seed ${seed}); ${notes.join('; ')}`,
    evidence: {
      points: samples.length,
      maxRelativeError: worst,
      roundingBound: worstBound,
      gapToBound: worstRatio,
      seed,
      ...(fdPoints ? { fdPoints, fdMaxRelativeError: worstFd, fdTolerance } : {}),
      ...(nearKinks ? { nearKinks } : {}),
      ...(imprecise ? { imprecise } : {}),
      ...(unusable ? { unusable, unusableReason: firstUnusable! } : {}),
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
