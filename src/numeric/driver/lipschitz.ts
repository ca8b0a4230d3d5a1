/**
 * `lipschitz(F) <= bound` on a convex domain, by its definition: the best constant is the supremum
 * of the local constant κ(x) = ‖DF(x)‖ (‖∇²L‖₂ for F = ∇L, ‖∇L‖₂ for F = L, sup over unit u of
 * |D³L[u,u,u]| for F = ∇²L). Four stages, every refutation resting on a concrete pair (x, y):
 *
 * 1. Pairs: far pairs (independent draws of the vars, same data) and near pairs (small steps).
 * 2. Local constant: κ/bound maximised over the vars and unfixed givens jointly, from the best
 *    pairs and the samples with the largest κ, along the exact gradient of vᵀ∇²L v (or of ½‖∇L‖²)
 *    where the claim carries it, else by SPSA (search.ts).
 * 3. Witnesses: pairs x* ± t·v* along the direction v* where κ is attained, t from 1e-1 to 1e-7 of
 *    the point's scale — the ratio of such a pair tends to κ(x*).
 * 4. Kinks: where relu/abs/step/sign arguments change sign between the points of a pair, the kink
 *    is bracketed by bisection; if F jumps there (the difference across the kink does not shrink
 *    with the distance), no finite constant holds, and the straddling pair is the counterexample.
 *
 * With no local constant for F (an expression, or a partial derivative), stage 2 is the older
 * random ascent on pairs. The bound is evaluated at each pair's data.
 */
import type { Handle, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult, Plot, WireClaim } from '../protocol';
import { isFullHessian } from './eigen';
import { ROUNDING_RTOL } from './identity';
import { lanczosEigen } from './lanczos';
import { DECISIVE, type Objective, type ObjectiveValues, SIGNIFICANT_RATIO, localSearch } from './search';
import { type ClaimEnv, STREAM, Unusable, argsort, nonFiniteWord, quantityName } from './session';

interface Pair extends Ratio {
  p: Handle;
  q: Handle;
  row: number;
  /** Why this pair is the witness (for the summary). */
  how: string;
}

/**
 * One pair's ratio ‖F(x) − F(y)‖/‖x − y‖, the bound at its data, the distance, and the rounding
 * noise of the ratio: F is known to about 2⁸·ε·‖F‖ at each point, which ‖x − y‖ magnifies.
 */
interface Ratio {
  ratio: number;
  bound: number;
  dist: number;
  noise: number;
}

/** What the ratio certainly exceeds (rounding taken off), relative to the bound. */
function excess(x: Ratio): number {
  const sure = x.ratio - x.noise;
  return x.bound > 0 ? sure / x.bound : sure > 0 ? Infinity : 0;
}

const NOISE = 256 * Number.EPSILON;

/** A pair family where F jumps: the ratio grows without bound as the pair closes. */
interface Jump extends Pair {
  jump: number;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** Pairs straddling kinks examined per claim, bisection steps, separations, and the smallest jump believed. */
const MAX_KINK_PAIRS = 16;
const BISECTIONS = 40;
const JUMP_WIDTHS = [1e-6, 1e-8, 1e-10];
const MIN_JUMP = 1e-9;
/** Pair half-widths for witnesses, relative to the point's scale. */
const WITNESS_STEPS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 1e-5, 1e-6, 1e-7];

export interface LipschitzClaim {
  of: Quantity;
  bound: Quantity;
  search?: WireClaim['search'];
}

export async function lipschitz(
  env: ClaimEnv,
  claim: LipschitzClaim,
  lossRoot: number,
  kinkRoots: number[],
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const a = env.arrays;
  const { pairs: count, restarts, steps } = env.budget;
  const vars = env.specs.filter((s) => s.role === 'var').length;
  const kind = localKind(claim.of, vars, lossRoot);
  const total = count + steps + 2;
  const unusable = new Unusable();

  /** Ratios of pairs (row i of p with row i of q), with the bound at p's data; NaN marks an unusable pair. */
  const ratios = async (p: RowRef, q: RowRef, where: (i: number) => string): Promise<Ratio[]> => {
    const dist = await a.distances(p, q, env.varNames);
    const bound = await a.values(p, claim.bound);
    const fp = await a.evaluate(p, claim.of);
    const fq = await a.evaluate(q, claim.of);
    const [np, nq] = [await a.norms({ of: fp }, 'norm'), await a.norms({ of: fq }, 'norm')];
    const diff = await a.linear([
      { of: fp, coef: 1 },
      { of: fq, coef: -1 },
    ]);
    const op = await a.norms({ of: diff }, 'opNorm');
    await a.release([fp, fq, diff]);
    return dist.map((d, i) => {
      for (const [v, what] of [
        [bound[i]!, 'the bound'],
        [np[i]!, `the ${quantityName(claim.of)}`],
        [nq[i]!, `the ${quantityName(claim.of)}`],
      ] as const) {
        if (!Number.isFinite(v)) {
          unusable.add(`${nonFiniteWord(v)} in ${what} at ${where(i)}`);
          return { ratio: NaN, bound: bound[i]!, dist: d, noise: NaN };
        }
      }
      if (d === 0) return { ratio: 0, bound: bound[i]!, dist: d, noise: 0 };
      return { ratio: op[i]! / d, bound: bound[i]!, dist: d, noise: (NOISE * (np[i]! + nq[i]!)) / d };
    });
  };

  // 1. Far and near pairs.
  await env.tick(0, total);
  const P = await env.sample(STREAM.pair, count);
  const evens = range(Math.ceil(count / 2)).map((j) => 2 * j);
  const odds = range(Math.floor(count / 2)).map((j) => 2 * j + 1);
  const others = await a.sample(evens.map((i) => [env.index, STREAM.pairOther, i]));
  const far = await a.assign({ of: P, rows: evens }, { of: others }, env.varNames);
  const dirs = await a.directions(
    odds.map((i) => [env.index, STREAM.pairOther, i]),
    env.varNames,
  );
  const scale = await a.distances({ of: P, rows: odds }, undefined, env.varNames);
  const near = await a.move(
    { of: P, rows: odds },
    { of: dirs },
    odds.map((i, j) => 10 ** (-1 - (3 * ((i >> 1) % 7)) / 6) * Math.max(1, scale[j]!)),
    env.varNames,
    true,
  );
  const Q = await a.gather(range(count).map((i) => (i % 2 === 0 ? { of: far, rows: [i / 2] } : { of: near, rows: [(i - 1) / 2] })));
  const lossP = await a.values({ of: P }, { kind: 'expr', root: lossRoot });
  const lossQ = await a.values({ of: Q }, { kind: 'expr', root: lossRoot });
  const found = await ratios({ of: P }, { of: Q }, (i) => `pair ${i + 1}`);
  const usable: number[] = [];
  for (let i = 0; i < count; i++) {
    const l = [lossP[i]!, lossQ[i]!].find((x) => !Number.isFinite(x));
    if (l !== undefined) unusable.add(`${nonFiniteWord(l)} in the loss at pair ${i + 1}`);
    else if (Number.isFinite(found[i]!.ratio)) usable.push(i);
  }
  partial['pairs'] = usable.length;
  if (!usable.length) return unusable.inconclusive(env, partial, count);
  const pairsUnusable = unusable.count;
  const ratioTie = (xs: number[]): number => SIGNIFICANT_RATIO * Math.max(0, ...xs.filter(Number.isFinite).map(Math.abs));
  const excesses = usable.map((i) => excess(found[i]!));
  const byExcess = argsort(excesses, true, ratioTie(excesses)).map((k) => usable[k]!);
  let best: Pair = { p: P, q: Q, row: byExcess[0]!, ...found[byExcess[0]!]!, how: 'pair search' };
  const consider = (c: Pair): void => {
    if (Number.isFinite(c.ratio) && excess(c) > excess(best) * (1 + SIGNIFICANT_RATIO)) best = c;
  };
  partial['bestRatio'] = best.ratio;
  const scatter = { x: usable.map((i) => found[i]!.dist), y: usable.map((i) => found[i]!.ratio) };

  // 2 and 3. The local constant and its witnesses, or the pair ascent when F has no local constant here.
  let localBest: { kappa: number; bound: number } | undefined;
  let traces: { x: number[]; y: number[] }[] = [];
  // A pair whose ratio certainly exceeds the bound by 1/DECISIVE of it refutes the claim as it is.
  // Steps 2–4 would then only find larger ratios.
  const decisive = excess(best) > 1 + 1 / DECISIVE;
  if (kind && !decisive) {
    const local = localObjective(env, claim, kind);
    const R = Math.max(2, restarts);
    const S = await env.sample(STREAM.local, env.budget.points);
    const sv = await local.objective.evaluate({ of: S, rows: range(env.budget.points) });
    const pv = await local.objective.evaluate({ of: P, rows: byExcess.slice(0, Math.ceil(R / 2)) });
    const starts = await a.gather([
      { of: P, rows: byExcess.slice(0, Math.ceil(R / 2)) },
      { of: S, rows: argsort(sv.values, false, ratioTie(sv.values)).slice(0, Math.floor(R / 2)) },
    ]);
    const startValues = concatValues(a, pv, pick(sv, argsort(sv.values, false, ratioTie(sv.values)).slice(0, Math.floor(R / 2))));
    const outcome = await localSearch(env, local.objective, { points: starts, rows: range(R), values: await startValues }, steps, (s) =>
      env.tick(count + s, total),
    );
    traces = outcome.traces.map((t) => ({ x: t.x, y: t.y.map((v) => -v) }));
    const order = argsort(outcome.values, false, ratioTie(outcome.values)).filter((r) => Number.isFinite(outcome.values[r]!));
    for (const r of order.slice(0, 2)) {
      const bound = (await a.values({ of: outcome.points, rows: [r] }, claim.bound))[0]!;
      const kappa = -outcome.values[r]! * bound;
      if (!localBest || kappa / bound > localBest.kappa / localBest.bound) localBest = { kappa, bound };
      const direction = await local.direction(
        { of: outcome.points, rows: [r] },
        outcome.state ? { of: outcome.state, rows: [r] } : undefined,
      );
      if (direction) for (const w of await witnesses(env, claim, outcome.points, r, direction, ratios)) consider(w);
    }
  } else if (!decisive) {
    const ascent = await pairAscent(env, claim, P, Q, byExcess.slice(0, restarts), found, ratios, (s) => env.tick(count + s, total));
    for (const c of ascent) consider(c);
  }

  // 4. Kinks between the points of the pairs.
  await env.tick(count + steps + 1, total);
  const jump = kinkRoots.length && !decisive ? await straddleKinks(env, claim, P, Q, usable, kinkRoots, ratios) : undefined;
  partial['bestRatio'] = best.ratio;

  const slack = best.ratio !== 0 ? best.bound / best.ratio : Infinity;
  const evidence: Record<string, number | string> = {
    pairs: usable.length,
    restarts,
    bestRatio: best.ratio,
    ratioNoise: best.noise,
    bound: best.bound,
    slack,
    distance: best.dist,
    witness: best.how,
    seed: env.seed,
    ...(localBest ? { localConstant: localBest.kappa, localBound: localBest.bound } : {}),
    ...(kind ? { search: claim.search ? 'exact gradient' : 'SPSA' } : {}),
    // The third-derivative norm comes from finite differences of Hessian-vector products: the search
    // path, and so every number here, is reproducible across evaluators to about this relative accuracy.
    ...(kind === 'third' ? { accuracy: 1e-6 } : {}),
    ...unusable.evidence(),
  };
  const plots: Plot[] = [
    {
      title: 'Lipschitz ratio vs distance',
      xLabel: '‖x − y‖',
      yLabel: 'ratio',
      logX: true,
      logY: true,
      series: [{ label: 'pairs', ...scatter }],
      reference: { label: `claimed bound ${best.bound.toPrecision(4)}`, y: best.bound },
    },
    ...(traces.length
      ? [
          {
            title: 'Local constant / bound during the ascent',
            xLabel: 'step',
            yLabel: 'κ / bound',
            series: traces.map((t, i) => ({ label: `restart ${i + 1}`, ...t })),
            reference: { label: 'bound', y: 1 },
          },
        ]
      : []),
  ];
  const counterexample = async () => ({
    point: await env.pointJson(best.p, best.row),
    other: await env.pointJson(best.q, best.row, true),
    values: { ratio: best.ratio, bound: best.bound, distance: best.dist },
  });
  const beyond = (x: Ratio): boolean => x.ratio - x.noise > x.bound * (1 + ROUNDING_RTOL);
  if (jump && !beyond(best)) best = jump;
  if (jump && best === jump) {
    return {
      index: env.index,
      verdict: 'refuted',
      summary:
        `the ${quantityName(claim.of)} jumps by ${jump.jump.toPrecision(4)} across a kink of relu/abs/step inside the domain, ` +
        `so no finite Lipschitz constant holds; at distance ${jump.dist.toPrecision(3)} the ratio is ${jump.ratio.toPrecision(4)}`,
      evidence: { ...evidence, jump: jump.jump },
      plots,
      counterexample: await counterexample(),
    };
  }
  if (beyond(best)) {
    return {
      index: env.index,
      verdict: 'refuted',
      summary: `ratio ${best.ratio.toPrecision(6)} exceeds the bound ${best.bound.toPrecision(6)} (by ${(best.ratio / best.bound).toPrecision(3)}×; ${best.how})`,
      evidence,
      plots,
      counterexample: await counterexample(),
    };
  }
  if (localBest && localBest.kappa > localBest.bound * (1 + 1e-6)) {
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary:
        `the local constant reaches ${localBest.kappa.toPrecision(6)} > bound ${localBest.bound.toPrecision(6)}, ` +
        `but no pair of floating-point points shows a ratio above the bound`,
      evidence: { ...evidence, reason: 'local constant above the bound without a witness pair' },
      plots,
    };
  }
  if (2 * pairsUnusable > count) return unusable.inconclusive(env, { ...partial, ...evidence }, count);
  const largest = Math.max(best.ratio, localBest?.kappa ?? 0);
  const bound = best.bound;
  return {
    index: env.index,
    verdict: 'holds',
    summary:
      `largest ratio found ${best.ratio.toPrecision(6)} ≤ bound ${bound.toPrecision(6)} (slack ${(bound / largest).toPrecision(3)}×` +
      `${localBest ? `; largest local constant ${localBest.kappa.toPrecision(6)}` : ''})${unusable.note()}`,
    evidence,
    plots,
  };
}

/** Which local constant F has: ‖∇²L‖ (F = ∇L), ‖∇L‖ (F = L), the third-derivative norm (F = ∇²L). */
function localKind(of: Quantity, vars: number, lossRoot: number): 'hessian' | 'gradient' | 'third' | undefined {
  const all = (xs: number[]): boolean => xs.length === vars && xs.every((x, i) => x === i);
  if (of.kind === 'expr' && of.root === lossRoot) return 'gradient';
  if (of.kind === 'grad' && all(of.wrt)) return 'hessian';
  if (of.kind === 'hess' && isFullHessian(of, vars)) return 'third';
  return undefined;
}

function pick(v: ObjectiveValues, rows: number[]): ObjectiveValues {
  return {
    values: rows.map((r) => v.values[r]!),
    scales: rows.map((r) => v.scales[r]!),
    ...(v.signs ? { signs: rows.map((r) => v.signs![r]!) } : {}),
    ...(v.state !== undefined ? { state: v.state, stateRows: rows } : {}),
  } as ObjectiveValues;
}

async function concatValues(
  a: ClaimEnv['arrays'],
  x: ObjectiveValues,
  y: ObjectiveValues & { stateRows?: number[] },
): Promise<ObjectiveValues> {
  const state =
    x.state !== undefined && y.state !== undefined
      ? await a.gather([{ of: x.state }, { of: y.state, ...(y.stateRows ? { rows: y.stateRows } : {}) }])
      : undefined;
  return {
    values: [...x.values, ...y.values],
    scales: [...x.scales, ...y.scales],
    ...(x.signs || y.signs ? { signs: [...(x.signs ?? x.values.map(() => 1)), ...(y.signs ?? y.values.map(() => 1))] } : {}),
    ...(state !== undefined ? { state } : {}),
  };
}

/**
 * The local constant as a search objective: −κ/bound (lower is better), with the state and the
 * direction along which κ is attained.
 */
function localObjective(
  env: ClaimEnv,
  claim: LipschitzClaim,
  kind: 'hessian' | 'gradient' | 'third',
): { objective: Objective; direction: (at: Required<RowRef>, state: RowRef | undefined) => Promise<Handle | undefined> } {
  const a = env.arrays;
  const vars = env.specs.filter((s) => s.role === 'var').map((_, i) => i);
  const hess: Quantity = { kind: 'hess', rows: vars, cols: vars };
  const lanczos = env.dimension >= env.options.lanczosMinDimension;
  const search = claim.search;
  if (kind === 'hessian') {
    const rayleigh = async (points: Required<RowRef>, state: RowRef | undefined): Promise<number[]> => {
      const q = await a.quad(points, hess, state!);
      const b = await a.values(points, claim.bound);
      return q.map((v, i) => -Math.abs(v) / b[i]!);
    };
    return {
      objective: {
        relative: true,
        async evaluate(points, near) {
          const e = lanczos ? await lanczosEigen(env, points, 1, 'absmax', near) : await a.eigen(points, hess, undefined, 1, 'absmax');
          const b = await a.values(points, claim.bound);
          return {
            values: e.values.map((v, i) => (Number.isFinite(e.scales[i]!) ? -Math.abs(v) / b[i]! : NaN)),
            scales: e.scales,
            state: e.vectors,
            signs: e.values.map((v) => (v < 0 ? -1 : 1)),
          };
        },
        ...(search
          ? {
              async gradient(points: Required<RowRef>, state: RowRef | undefined, signs: number[]) {
                const g = await a.evaluate(points, { kind: 'stack', roots: search.roots, inputs: search.inputs }, state);
                const b = await a.values(points, claim.bound);
                // ∇(−|λ|/b) ≈ −sign(λ)·∇(vᵀHv)/b (the bound's own gradient is left out: it only steers).
                return a.linear([{ of: g, coef: signs.map((s, i) => -s / b[i]!) }]);
              },
            }
          : {}),
        probe: rayleigh,
        screen: rayleigh,
      },
      direction: async (_at, state) => (state ? a.gather([state]) : undefined),
    };
  }
  if (kind === 'gradient') {
    const value = async (points: Required<RowRef>): Promise<number[]> => {
      const g = await a.evaluate(points, { kind: 'grad', wrt: vars });
      const n = await a.norms({ of: g }, 'norm');
      const b = await a.values(points, claim.bound);
      return n.map((x, i) => -x / b[i]!);
    };
    return {
      objective: {
        relative: true,
        async evaluate(points) {
          const v = await value(points);
          return { values: v, scales: v.map(Math.abs) };
        },
        ...(search
          ? {
              async gradient(points: Required<RowRef>) {
                const g = await a.evaluate(points, { kind: 'stack', roots: search.roots });
                const v = await value(points);
                const b = await a.values(points, claim.bound);
                // ∇(−‖∇L‖/b) = −∇(½‖∇L‖²)/(‖∇L‖ b), the bound's gradient left out.
                return a.linear([{ of: g, coef: v.map((x, i) => 1 / (x * b[i]! * b[i]!)) }]);
              },
            }
          : {}),
        probe: value,
      },
      direction: async (at) => a.evaluate(at, { kind: 'grad', wrt: vars }),
    };
  }
  // The third-derivative norm: u by the symmetric higher-order power method u ← T[u,u,·]/‖·‖, with
  // T[u,u,·] = d/dt ∇²L(x + t u) u from central differences of Hessian-vector products.
  const contraction = async (points: Required<RowRef>, u: RowRef): Promise<Handle> => {
    const scale = await a.distances(points, undefined, env.varNames);
    const h = scale.map((s) => 1e-4 * Math.max(1, s));
    const plus = await a.move(points, u, h, env.varNames, false);
    const minus = await a.move(
      points,
      u,
      h.map((x) => -x),
      env.varNames,
      false,
    );
    const hp = await a.evaluate({ of: plus }, { kind: 'hvp' }, u);
    const hm = await a.evaluate({ of: minus }, { kind: 'hvp' }, u);
    const t = await a.linear([
      { of: hp, coef: h.map((x) => 1 / (2 * x)) },
      { of: hm, coef: h.map((x) => -1 / (2 * x)) },
    ]);
    await a.release([plus, minus, hp, hm]);
    return t;
  };
  const POWER_STEPS = 4;
  const tensorNorm = async (points: Required<RowRef>, start: RowRef | undefined): Promise<{ values: number[]; u: Handle }> => {
    let u = start
      ? await a.gather([start])
      : await a.directions(
          points.rows.map((r) => [env.index, STREAM.local, 7, r]),
          env.varNames,
        );
    let t = await contraction(points, { of: u });
    for (let k = 0; k < POWER_STEPS; k++) {
      const next = await a.normalize({ of: t });
      await a.release([u, t]);
      u = next.out;
      t = await contraction(points, { of: u });
    }
    const values = await a.dots({ of: t }, { of: u });
    await a.release([t]);
    return { values, u };
  };
  const value = async (points: Required<RowRef>, state: RowRef | undefined): Promise<ObjectiveValues> => {
    const { values, u } = await tensorNorm(points, state);
    const b = await a.values(points, claim.bound);
    return { values: values.map((v, i) => -Math.abs(v) / b[i]!), scales: values.map(Math.abs), state: u };
  };
  // |T[u,u,u]| ≤ sup over unit u: with the owning restart's u it bounds the objective from above.
  const rayleigh = async (points: Required<RowRef>, state: RowRef | undefined): Promise<number[]> => {
    const t = await contraction(points, state!);
    const v = await a.dots({ of: t }, state!);
    const b = await a.values(points, claim.bound);
    await a.release([t]);
    return v.map((x, i) => -Math.abs(x) / b[i]!);
  };
  return {
    objective: {
      relative: true,
      // Central differences of Hessian-vector products: about 1e-8 relative, so steps must beat more.
      significance: 1e-6,
      evaluate: (points) => value(points, undefined),
      probe: rayleigh,
      screen: rayleigh,
    },
    direction: async (_at, state) => (state ? a.gather([state]) : undefined),
  };
}

/** Pairs x* ± t·v (v normalised in the vars) for t over WITNESS_STEPS of the point's scale. */
async function witnesses(
  env: ClaimEnv,
  claim: LipschitzClaim,
  points: Handle,
  row: number,
  direction: Handle,
  ratios: (p: RowRef, q: RowRef, where: (i: number) => string) => Promise<Ratio[]>,
): Promise<Pair[]> {
  const a = env.arrays;
  const { out: v, norms } = await a.normalize({ of: direction });
  if (!(norms[0]! > 0) || !Number.isFinite(norms[0]!)) return [];
  const scale = Math.max(1, (await a.distances({ of: points, rows: [row] }, undefined, env.varNames))[0]!);
  const ts = WITNESS_STEPS.map((t) => t * scale);
  const base = { of: points, rows: ts.map(() => row) };
  const vv = { of: v, rows: ts.map(() => 0) };
  const p = await a.move(
    base,
    vv,
    ts.map((t) => -t),
    env.varNames,
    true,
  );
  const q = await a.move(base, vv, ts, env.varNames, true);
  const got = await ratios({ of: p }, { of: q }, () => 'a witness pair');
  void claim;
  return got.flatMap((g, i) =>
    Number.isFinite(g.ratio) ? [{ p, q, row: i, ...g, how: 'pair along the direction of the largest local constant' }] : [],
  );
}

/** The older pair ascent: both points and the data moved by seeded random steps, kept when the ratio grows. */
async function pairAscent(
  env: ClaimEnv,
  claim: LipschitzClaim,
  P: Handle,
  Q: Handle,
  startRows: number[],
  found: Ratio[],
  ratios: (p: RowRef, q: RowRef, where: (i: number) => string) => Promise<Ratio[]>,
  progress: (step: number) => Promise<void>,
): Promise<Pair[]> {
  const a = env.arrays;
  const R = startRows.length;
  let cur = { p: await a.gather([{ of: P, rows: startRows }]), q: await a.gather([{ of: Q, rows: startRows }]) };
  const state = startRows.map((i) => found[i]!);
  const stepOf = state.map((x) => 0.1 * Math.max(x.dist, 1e-6));
  const stopped = state.map(() => false);
  for (let s = 0; s < env.budget.steps; s++) {
    const live = range(R).filter((r) => !stopped[r]);
    if (!live.length) break;
    await progress(s);
    const stream = (r: number, which: number): number[] => [env.index, STREAM.search, r, s, which];
    const dp = await a.directions(
      live.map((r) => stream(r, 0)),
      env.varNames,
    );
    const dq = await a.directions(
      live.map((r) => stream(r, 1)),
      env.varNames,
    );
    const steps = live.map((r) => stepOf[r]!);
    let p = await a.move({ of: cur.p, rows: live }, { of: dp }, steps, env.varNames, true);
    let q = await a.move({ of: cur.q, rows: live }, { of: dq }, steps, env.varNames, true);
    if (env.searchGivens.length) {
      // The data moves too, identically for both points of the pair.
      const dg = await a.directions(
        live.map((r) => stream(r, 2)),
        env.searchGivens,
      );
      p = await a.move({ of: p }, { of: dg }, steps, env.searchGivens, true);
      q = await a.assign({ of: q }, { of: p }, env.searchGivens);
    }
    const got = await ratios({ of: p }, { of: q }, () => `ascent step ${s + 1}`);
    const accepted = new Map<number, number>();
    live.forEach((r, j) => {
      const g = got[j]!;
      if (!Number.isFinite(g.ratio)) {
        stopped[r] = true;
        return;
      }
      if (g.ratio / g.bound > (state[r]!.ratio / state[r]!.bound) * (1 + SIGNIFICANT_RATIO)) {
        state[r] = g;
        accepted.set(r, j);
        stepOf[r]! *= 1.5;
      } else stepOf[r]! /= 2;
    });
    if (accepted.size) {
      const choose = (moved: Handle, old: Handle) =>
        a.gather(state.map((_, r) => (accepted.has(r) ? { of: moved, rows: [accepted.get(r)!] } : { of: old, rows: [r] })));
      const next = { p: await choose(p, cur.p), q: await choose(q, cur.q) };
      await a.release([cur.p, cur.q]);
      cur = next;
    }
  }
  void claim;
  return state.map((x, r) => ({ p: cur.p, q: cur.q, row: r, ...x, how: 'pair ascent' }));
}

/**
 * Brackets a sign change of a kink argument between the two points of each pair by bisection along
 * the segment (the domain is convex, so the segment is inside it), then measures F across the kink
 * at three separations: a difference that does not shrink with the separation is a jump.
 */
async function straddleKinks(
  env: ClaimEnv,
  claim: LipschitzClaim,
  P: Handle,
  Q: Handle,
  usable: number[],
  kinkRoots: number[],
  ratios: (p: RowRef, q: RowRef, where: (i: number) => string) => Promise<Ratio[]>,
): Promise<Jump | undefined> {
  const a = env.arrays;
  const stack = { kind: 'stack' as const, roots: kinkRoots };
  const kp = await a.evaluate({ of: P, rows: usable }, stack);
  const kq = await a.evaluate({ of: Q, rows: usable }, stack);
  const change = await a.signChange({ of: kp }, { of: kq });
  const which = usable.flatMap((i, k) => (change[k]! >= 0 ? [{ pair: i, entry: change[k]! }] : [])).slice(0, MAX_KINK_PAIRS);
  if (!which.length) return undefined;
  const rows = which.map((w) => w.pair);
  const entries = which.map((w) => w.entry);
  const delta = await a.linear([
    { of: await a.extract({ of: Q, rows }, env.varNames), coef: 1 },
    { of: await a.extract({ of: P, rows }, env.varNames), coef: -1 },
  ]);
  const length = await a.norms({ of: delta }, 'norm');
  const at = (t: number[]): Promise<Handle> => a.move({ of: P, rows }, { of: delta }, t, env.varNames, false);
  const kinkAt = async (t: number[]): Promise<number[]> => {
    const x = await at(t);
    const v = await a.evaluate({ of: x }, stack);
    const out = await a.pick({ of: v }, entries);
    await a.release([x, v]);
    return out;
  };
  const start = await kinkAt(rows.map(() => 0));
  const lo = rows.map(() => 0);
  const hi = rows.map(() => 1);
  for (let k = 0; k < BISECTIONS; k++) {
    const mid = lo.map((l, i) => (l + hi[i]!) / 2);
    (await kinkAt(mid)).forEach((v, i) => {
      if (Math.sign(v) === Math.sign(start[i]!)) lo[i] = mid[i]!;
      else hi[i] = mid[i]!;
    });
  }
  // ‖F(x+) − F(x−)‖ across the kink at three separations (relative to the point's scale).
  const differences: number[][] = rows.map(() => []);
  let last: { p: Handle; q: Handle; got: Ratio[] } | undefined;
  for (const width of JUMP_WIDTHS) {
    const mid = lo.map((l, i) => (l + hi[i]!) / 2);
    const half = rows.map((_, i) => (width * Math.max(1, length[i]!)) / 2 / Math.max(length[i]!, 1e-300));
    const p = await at(mid.map((m, i) => m - half[i]!));
    const q = await at(mid.map((m, i) => m + half[i]!));
    const got = await ratios({ of: p }, { of: q }, () => 'a pair across a kink');
    got.forEach((g, i) => differences[i]!.push(g.ratio * g.dist));
    last = { p, q, got };
  }
  // A jump: the difference stays put (within 10%) while the separation shrinks 10⁴-fold.
  let best: Jump | undefined;
  differences.forEach((d, i) => {
    const j = d[d.length - 1]!;
    const steady = d.length === JUMP_WIDTHS.length && d.every((x) => Number.isFinite(x) && Math.abs(x - j) <= 0.1 * j);
    const g = last!.got[i]!;
    if (steady && j > MIN_JUMP && (!best || excess(g) > excess(best))) {
      best = { p: last!.p, q: last!.q, row: i, ...g, jump: j, how: 'pair across a kink' };
    }
  });
  void claim;
  return best;
}
