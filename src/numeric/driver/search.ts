/**
 * The local search every claim algorithm shares: projected descent on an objective from several
 * starts at once (all restarts advance in lockstep, so each step is a few batched evaluator calls).
 *
 * Steps are taken in z-coordinates, where each search block (a var or an unfixed given) is scaled to
 * its domain's size (specScale), so a step is the same fraction of every block. The direction is
 * the exact gradient when the claim carries one (built symbolically, searchRoots.ts), else an SPSA
 * estimate from forward differences along seeded random directions. From each point, candidates at
 * steps η, η/2, η/4, η/8 are tried in that order; the first that beats the current value by more
 * than rounding is taken (then η grows by 1.5), and candidates whose cheap upper bound (a Rayleigh
 * quotient) cannot beat it are never evaluated. A point whose value is NaN or ±Infinity is unusable:
 * it is never taken, and a restart that cannot go on stops there.
 */
import type { Handle, RowRef } from '../evaluator/api';
import { specScale } from '../searchRoots';
import { type ClaimEnv, STREAM } from './session';

/**
 * A step counts as progress only when it beats the current value by more than rounding: otherwise
 * the path would follow floating-point noise, and two evaluators (or two BLAS builds) would part
 * ways on the same seed. Relative to the objective's scale (the matrix entries for eigenvalues, the
 * two sides for inequalities) or to the value itself (Lipschitz ratios and norms).
 */
export const SIGNIFICANT = 1e-13;
export const SIGNIFICANT_RATIO = 1e-9;

/** Random directions per SPSA gradient estimate: only a descent direction is needed. */
const SPSA_DIRECTIONS = 8;
const CANDIDATES = 4;
/** First step, in z-coordinates (fractions of each block's domain size). */
const FIRST_STEP = 0.1;

/**
 * A sample already past the claim's tolerance by this factor refutes it on its own: a search would
 * only make the counterexample more extreme, so none is run (the sample is the counterexample).
 */
export const DECISIVE = 1e3;

export interface ObjectiveValues {
  /** Lower is better; NaN or ±Infinity marks the point unusable. */
  values: number[];
  /** Scale of what each value is computed from: progress must beat SIGNIFICANT·scale. */
  scales: number[];
  /** Per-row state the direction and screen need (eigenvectors), row-aligned with the points. */
  state?: Handle;
  /** Per-row sign handed back to `gradient`/`probe`/`screen` (the sign of a |λ| objective's eigenvalue). */
  signs?: number[];
}

export interface Objective {
  /** The objective at points; `near` holds, row by row, the state at a nearby point (a warm start). */
  evaluate(points: Required<RowRef>, near?: RowRef): Promise<ObjectiveValues>;
  /** ∇(objective) in z-coordinates at each row (not normalised), when known exactly. */
  gradient?(points: Required<RowRef>, state: RowRef | undefined, signs: number[]): Promise<Handle>;
  /** A smooth proxy of the objective at probe points, given the owning restart's state (for SPSA). */
  probe(points: Required<RowRef>, state: RowRef | undefined, signs: number[]): Promise<number[]>;
  /** Upper bounds of the objective at candidates from the owning restart's state (Rayleigh quotients). */
  screen?(points: Required<RowRef>, state: RowRef | undefined, signs: number[]): Promise<number[]>;
  /** Progress threshold: relative to the scale (SIGNIFICANT) or, when `relative`, to |value|. */
  relative?: boolean;
  /** Relative progress threshold for objectives known only to this accuracy (finite differences). */
  significance?: number;
}

export interface Start {
  points: Handle;
  rows: number[];
  values: ObjectiveValues;
}

export interface SearchOutcome {
  /** Per restart: the final point and state are row r of `points` / `state`. */
  points: Handle;
  state?: Handle;
  values: number[];
  scales: number[];
  signs: number[];
  traces: { x: number[]; y: number[] }[];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Z-coordinate weights of the search blocks, in env.searchNames order. */
export function searchWeights(env: ClaimEnv): number[] {
  return env.searchNames.map((n) => specScale(env.specs.find((s) => s.name === n)!));
}

/**
 * Runs `steps` lockstep steps from the starts; `progress(step)` is called once per step. The step
 * index also seeds SPSA directions, so a search is reproducible from the seed.
 */
export async function localSearch(
  env: ClaimEnv,
  objective: Objective,
  start: Start,
  steps: number,
  progress: (step: number) => Promise<void>,
  /** Distinguishes the SPSA streams of several searches of one claim. */
  phase = 0,
): Promise<SearchOutcome> {
  const a = env.arrays;
  const R = start.rows.length;
  let cur = await a.gather([{ of: start.points, rows: start.rows }]);
  const pick = (xs: number[] | undefined, fallback: number): number[] => start.rows.map((r) => xs?.[r] ?? fallback);
  const values = pick(start.values.values, NaN);
  const scales = pick(start.values.scales, NaN);
  const signs = pick(start.values.signs, 1);
  let state = start.values.state ? await a.gather([{ of: start.values.state, rows: start.rows }]) : undefined;
  const weights = searchWeights(env);
  const eta = values.map(() => FIRST_STEP);
  const active = values.map((v) => env.searchNames.length > 0 && Number.isFinite(v));
  const traces = values.map((v) => ({ x: [0], y: [v] }));
  const bar = (r: number): number =>
    values[r]! -
    (objective.relative ? (objective.significance ?? SIGNIFICANT_RATIO) * Math.abs(values[r]!) : SIGNIFICANT * Math.abs(scales[r]!));

  for (let s = 0; s < steps; s++) {
    const live = range(R).filter((r) => active[r]);
    if (!live.length) break;
    await progress(s);
    const at = { of: cur, rows: live };
    const owned = state ? { of: state, rows: live } : undefined;
    const liveSigns = live.map((r) => signs[r]!);
    const direction = objective.gradient
      ? await exactDirection(env, await objective.gradient(at, owned, liveSigns))
      : await spsaDirection(env, objective, cur, live, state, liveSigns, weights, s, phase);
    const dirOk = direction.norms.map((n) => Number.isFinite(n) && n > 0);
    const moving = live.filter((_, j) => dirOk[j]);
    for (const r of live.filter((_, j) => !dirOk[j])) active[r] = false;
    if (!moving.length) continue;
    const dirRow = new Map(live.map((r, j) => [r, j]));
    const candRows = moving.flatMap((r) => Array(CANDIDATES).fill(r) as number[]);
    const cands = await a.move(
      { of: cur, rows: candRows },
      { of: direction.handle, rows: candRows.map((r) => dirRow.get(r)!) },
      moving.flatMap((r) => range(CANDIDATES).map((t) => -eta[r]! / 2 ** t)),
      env.searchNames,
      true,
      weights,
    );
    const stateRows = state ? { of: state, rows: candRows } : undefined;
    const candSigns = candRows.map((r) => signs[r]!);
    const screened = objective.screen
      ? await objective.screen({ of: cands, rows: range(candRows.length) }, stateRows, candSigns)
      : undefined;
    const tried = moving.map(() => 0);
    const accepted = new Map<number, { row: number; values: ObjectiveValues; at: number }>();
    let undecided = moving.map((_, j) => j);
    // Each round evaluates the next promising candidate of every undecided restart at once.
    while (undecided.length) {
      const asks: number[] = [];
      for (const j of undecided) {
        const r = moving[j]!;
        while (tried[j]! < CANDIDATES && screened && !(screened[j * CANDIDATES + tried[j]!]! < bar(r))) {
          eta[r]! /= 2;
          tried[j]!++;
        }
        if (tried[j]! < CANDIDATES) asks.push(j);
      }
      if (!asks.length) break;
      // Without a screen every remaining candidate is evaluated in one batch; the largest good step wins.
      const rows = screened
        ? asks.map((j) => j * CANDIDATES + tried[j]!)
        : asks.flatMap((j) => range(CANDIDATES - tried[j]!).map((t) => j * CANDIDATES + tried[j]! + t));
      const got = await objective.evaluate({ of: cands, rows }, state ? { of: state, rows: rows.map((i) => candRows[i]!) } : undefined);
      undecided = [];
      let k = 0;
      for (const j of asks) {
        const r = moving[j]!;
        const count = screened ? 1 : CANDIDATES - tried[j]!;
        let taken = false;
        for (let t = 0; t < count; t++, k++) {
          if (taken) continue;
          const v = got.values[k]!;
          if (Number.isFinite(v) && v < bar(r)) {
            accepted.set(r, { row: rows[k]!, values: got, at: k });
            taken = true;
          } else {
            eta[r]! /= 2;
            tried[j]!++;
          }
        }
        if (!taken && screened && tried[j]! < CANDIDATES) undecided.push(j);
      }
      if (!screened) break;
    }
    if (accepted.size) {
      const pointParts: RowRef[] = [];
      const stateParts: RowRef[] = [];
      for (let r = 0; r < R; r++) {
        const acc = accepted.get(r);
        pointParts.push(acc ? { of: cands, rows: [acc.row] } : { of: cur, rows: [r] });
        if (state) stateParts.push(acc?.values.state !== undefined ? { of: acc.values.state, rows: [acc.at] } : { of: state, rows: [r] });
        if (acc) {
          values[r] = acc.values.values[acc.at]!;
          scales[r] = acc.values.scales[acc.at]!;
          signs[r] = acc.values.signs?.[acc.at] ?? signs[r]!;
        }
      }
      const next = await a.gather(pointParts);
      const nextState = state ? await a.gather(stateParts) : undefined;
      await a.release([cur, ...(state ? [state] : [])]);
      [cur, state] = [next, nextState];
    }
    for (const r of moving) {
      if (accepted.has(r)) eta[r]! *= 1.5;
      traces[r]!.x.push(s + 1);
      traces[r]!.y.push(values[r]!);
      if (eta[r]! < 1e-12) active[r] = false;
    }
  }
  return { points: cur, ...(state ? { state } : {}), values, scales, signs, traces };
}

async function exactDirection(env: ClaimEnv, gradient: Handle): Promise<{ handle: Handle; norms: number[] }> {
  const { out, norms } = await env.arrays.normalize({ of: gradient });
  await env.arrays.release([gradient]);
  return { handle: out, norms };
}

/**
 * SPSA: the objective's proxy at x and at x + h·W·d for seeded random unit directions d (W the block
 * weights), forward differences combined into a unit z-gradient estimate. The difference step is
 * fixed relative to the domain, not the search step, so rounding in the proxy (≈ 1e-16 of its scale)
 * moves the direction by ~1e-12 only.
 */
async function spsaDirection(
  env: ClaimEnv,
  objective: Objective,
  cur: Handle,
  live: number[],
  state: Handle | undefined,
  signs: number[],
  weights: number[],
  step: number,
  phase: number,
): Promise<{ handle: Handle; norms: number[] }> {
  const a = env.arrays;
  const k = Math.min(env.searchSize, SPSA_DIRECTIONS);
  const h = 1e-4;
  const streams = live.flatMap((r) => range(k).map((d) => [env.index, STREAM.search, phase, r, step, d]));
  const dirs = await a.directions(streams, env.searchNames);
  const repeated = live.flatMap((r) => Array(k).fill(r) as number[]);
  const moved = await a.move(
    { of: cur, rows: repeated },
    { of: dirs },
    repeated.map(() => h),
    env.searchNames,
    false,
    weights,
  );
  const probes = await a.gather([{ of: cur, rows: live }, { of: moved }]);
  const owner = [...live.map((_, j) => j), ...repeated.map((_, i) => Math.floor(i / k))];
  const q = await objective.probe(
    { of: probes, rows: range(owner.length) },
    state ? { of: state, rows: owner.map((j) => live[j]!) } : undefined,
    owner.map((j) => signs[j]!),
  );
  const coefs = live.map((_, j) =>
    range(k).map((d) => {
      const slope = (q[live.length + j * k + d]! - q[j]!) / h;
      return Number.isFinite(slope) ? slope : 0;
    }),
  );
  const groups = live.map((_, j) => range(k).map((d) => j * k + d));
  const g = await a.mix(dirs, groups, coefs);
  await a.release([dirs, moved, probes]);
  return exactDirection(env, g);
}
