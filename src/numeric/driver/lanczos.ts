/**
 * λ_min of sign·∇²L at each point of a batch by Lanczos on Hessian-vector products, with full
 * reorthogonalisation: for large d no Hessian is ever formed (memory O(k·d) per point, cost about
 * k gradients). The Krylov vectors stay in the evaluator; only the tridiagonal coefficients come
 * back, and the small tridiagonal eigenproblems are solved here.
 */
import type { Handle, RowRef } from '../evaluator/api';
import { symmetricEigen } from '../linalg';
import type { ClaimEnv } from './session';

const MAX_STEPS = 300;
const RTOL = 1e-12;
/** Convergence is tested every this many steps (each test is a round of small eigensolves). */
const CHECK_EVERY = 8;

/** Ascending eigenvalues and the eigenvectors' coordinates of a symmetric tridiagonal matrix. */
function ritz(alpha: number[], beta: number[]): { values: Float64Array; vectors: Float64Array } {
  const k = alpha.length;
  const t = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    t[i + i * k] = alpha[i]!;
    if (i + 1 < k) t[i + (i + 1) * k] = t[i + 1 + i * k] = beta[i]!;
  }
  return symmetricEigen(t, k);
}

/** Column of the wanted Ritz pair (ascending values): the first, or the larger in magnitude of the ends. */
function pick(values: Float64Array, which: 'min' | 'absmax'): number {
  const k = values.length;
  return which === 'min' || Math.abs(values[0]!) > Math.abs(values[k - 1]!) ? 0 : k - 1;
}

/**
 * Same answer shape as the evaluator's `eigen` op: the smallest (or largest-in-magnitude, signed)
 * eigenvalue of sign·∇²L, the scale (largest |Ritz value| ≈ ‖H‖₂) and the eigenvector handle.
 */
export async function lanczosEigen(
  env: ClaimEnv,
  points: Required<RowRef>,
  sign: 1 | -1,
  which: 'min' | 'absmax',
): Promise<{ values: number[]; scales: number[]; vectors: Handle }> {
  const a = env.arrays;
  const at = await a.gather([points]);
  const B = points.rows.length;
  const N = env.dimension;
  const kMax = Math.min(N, MAX_STEPS);
  // A fixed start (the all-ones direction): Lanczos is deterministic for a given point.
  let q = await a.fill(B, N, 1, 1 / Math.sqrt(N));
  const basis: Handle[] = [];
  const alpha: number[][] = Array.from({ length: B }, () => []);
  const beta: number[][] = Array.from({ length: B }, () => []);
  let steps = kMax;
  for (let j = 0; j < kMax; j++) {
    basis.push(q);
    let w = await a.evaluate({ of: at }, { kind: 'hvp' }, { of: q });
    if (sign === -1) w = await a.linear([{ of: w, coef: -1 }]);
    const dots = await a.dots({ of: w }, { of: q });
    const orthogonal = await a.orthogonalize({ of: w }, basis);
    const next = await a.normalize({ of: orthogonal });
    await a.release([w, orthogonal]);
    for (let b = 0; b < B; b++) {
      alpha[b]!.push(dots[b]!);
      beta[b]!.push(next.norms[b]!);
    }
    if (j + 1 === kMax) break;
    const tiny = next.norms.every((n, b) => n <= 1e-14 * Math.max(...alpha[b]!.map(Math.abs)));
    if ((j + 1) % CHECK_EVERY === 0 || tiny) {
      const converged = alpha.every((al, b) => {
        if (!al.every(Number.isFinite)) return true;
        const e = ritz(al, beta[b]!.slice(0, -1));
        const k = al.length;
        const scale = Math.max(Math.abs(e.values[0]!), Math.abs(e.values[k - 1]!));
        const col = pick(e.values, which);
        return beta[b]![j]! * Math.abs(e.vectors[k - 1 + col * k]!) <= RTOL * Math.max(scale, 1e-300);
      });
      if (converged) {
        steps = j + 1;
        break;
      }
    }
    q = next.out;
  }
  const values: number[] = [];
  const scales: number[] = [];
  const coefs: number[][] = [];
  for (let b = 0; b < B; b++) {
    const al = alpha[b]!.slice(0, steps);
    if (!al.every(Number.isFinite) || !beta[b]!.slice(0, steps).every(Number.isFinite)) {
      values.push(NaN);
      scales.push(NaN);
      coefs.push(Array(steps).fill(0) as number[]);
      continue;
    }
    const e = ritz(al, beta[b]!.slice(0, steps - 1));
    const col = pick(e.values, which);
    values.push(e.values[col]!);
    scales.push(Math.max(Math.abs(e.values[0]!), Math.abs(e.values[steps - 1]!)));
    coefs.push(Array.from(e.vectors.subarray(col * steps, (col + 1) * steps)));
  }
  const combined = await a.linear(basis.slice(0, steps).map((h, j) => ({ of: h, coef: coefs.map((c) => c[j]!) })));
  const { out: vectors } = await a.normalize({ of: combined });
  await a.release([...basis, combined, at]);
  return { values, scales, vectors };
}
