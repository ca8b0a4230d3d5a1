/**
 * Pieces shared by the local searches: the acceptance threshold that keeps a search off rounding
 * noise, and SPSA descent directions computed for every live restart in one batch.
 */
import type { Handle } from '../evaluator/api';
import { type ClaimEnv, STREAM } from './session';

/**
 * A search step counts as progress only when it beats the current value by more than rounding:
 * otherwise the path would follow floating-point noise, and two evaluators (or two BLAS builds)
 * would part ways on the same seed. Relative to the matrix entries (eigenvalues), the two sides
 * (inequalities) or the ratio itself (Lipschitz ratios, which divide by small distances).
 */
export const SIGNIFICANT = 1e-13;
export const SIGNIFICANT_RATIO = 1e-9;

/** Random directions per SPSA gradient estimate: only a descent direction is needed. */
const SPSA_DIRECTIONS = 8;

/**
 * For each live restart (row `rows[j]` of `current`, restart number `restarts[j]`): a unit descent
 * direction of f over the search entries, from forward differences along seeded random directions
 * (SPSA). The difference step is fixed relative to the point, not the search step, so rounding in f
 * (≈ 1e-16 of its scale) moves the direction by ~1e-12 only. `f(points, owner)` evaluates f at a
 * batch whose row i belongs to restart `owner[i]` (an index into rows) and must report non-finite
 * values as they are (they are skipped here; the caller decides what they mean).
 *
 * Returns the directions (row j for restart j) and f's values at the probes, so the caller can
 * check them for NaN/Inf.
 */
export async function spsaDirections(
  env: ClaimEnv,
  current: Handle,
  rows: number[],
  restarts: number[],
  step: number,
  f: (points: Handle, owner: number[]) => Promise<number[]>,
): Promise<{ directions: Handle; probeValues: number[][] }> {
  const a = env.arrays;
  const k = Math.min(env.searchSize, SPSA_DIRECTIONS);
  const streams = restarts.flatMap((r) => Array.from({ length: k }, (_, d) => [env.index, STREAM.search, r, step, d]));
  const dirs = await a.directions(streams, env.searchNames);
  const norms = await a.distances({ of: current, rows }, undefined, env.searchNames);
  const h = norms.map((n) => 1e-4 * Math.max(1, n));
  const repeated = rows.flatMap((r) => Array(k).fill(r) as number[]);
  const moved = await a.move(
    { of: current, rows: repeated },
    { of: dirs },
    repeated.map((_, i) => h[Math.floor(i / k)]!),
    env.searchNames,
    false,
  );
  const probes = await a.gather([{ of: current, rows }, { of: moved }]);
  const owner = [...rows.map((_, j) => j), ...repeated.map((_, i) => Math.floor(i / k))];
  const values = await f(probes, owner);
  const probeValues = rows.map((_, j) => [values[j]!, ...values.slice(rows.length + j * k, rows.length + (j + 1) * k)]);
  const coefs = probeValues.map((q, j) =>
    q.slice(1).map((v) => {
      const slope = (v - q[0]!) / h[j]!;
      return Number.isFinite(slope) ? slope : 0;
    }),
  );
  const groups = rows.map((_, j) => Array.from({ length: k }, (_, d) => j * k + d));
  const directions = await a.mix(dirs, groups, coefs, true);
  await a.release([dirs, moved, probes]);
  return { directions, probeValues };
}
