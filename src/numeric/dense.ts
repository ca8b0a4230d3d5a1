/**
 * Dense square-matrix kernels on column-major Float64Array: LU with partial pivoting and what is
 * built on it (determinant, log-determinant, inverse), and the singular values that the spectral
 * norm and σ_min need. A singular matrix gives non-finite values (Inf, NaN, −Inf), never an
 * exception: the check driver treats a non-finite value as an unusable sample.
 */
import { gramMatrix, symmetricEigen } from './linalg';

interface Lu {
  /** L (unit lower, below the diagonal) and U (upper, with the diagonal) packed column-major. */
  lu: Float64Array;
  /** Row swapped with row k at step k. */
  pivots: Int32Array;
  /** (−1)^swaps. */
  sign: number;
}

/** LU = P A for an n×n column-major A (Doolittle, the largest |entry| of each column as pivot). */
function luFactor(a: Float64Array, n: number): Lu {
  const lu = a.slice();
  const pivots = new Int32Array(n);
  let sign = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k + k * n]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i + k * n]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    pivots[k] = p;
    if (p !== k) {
      sign = -sign;
      for (let j = 0; j < n; j++) {
        const t = lu[k + j * n]!;
        lu[k + j * n] = lu[p + j * n]!;
        lu[p + j * n] = t;
      }
    }
    const pivot = lu[k + k * n]!;
    // A zero pivot leaves its column as it is; the determinant is then 0 and the inverse non-finite.
    if (pivot === 0) continue;
    for (let i = k + 1; i < n; i++) lu[i + k * n]! /= pivot;
    for (let j = k + 1; j < n; j++) {
      const s = lu[k + j * n]!;
      if (s === 0) continue;
      for (let i = k + 1; i < n; i++) lu[i + j * n]! -= lu[i + k * n]! * s;
    }
  }
  return { lu, pivots, sign };
}

export function determinant(a: Float64Array, n: number): number {
  const { lu, sign } = luFactor(a, n);
  let d = sign;
  for (let i = 0; i < n; i++) d *= lu[i + i * n]!;
  return d;
}

/** log det A: −Inf for a singular A, NaN when det A < 0 (as log of the determinant would be). */
export function logDeterminant(a: Float64Array, n: number): number {
  const { lu, sign } = luFactor(a, n);
  let s = sign;
  let logAbs = 0;
  for (let i = 0; i < n; i++) {
    const u = lu[i + i * n]!;
    if (u < 0) s = -s;
    logAbs += Math.log(Math.abs(u));
  }
  if (logAbs === -Infinity) return -Infinity;
  return s > 0 ? logAbs : NaN;
}

/** A⁻¹ by solving LU X = P I column by column; all NaN when A is singular (a zero pivot). */
export function inverse(a: Float64Array, n: number): Float64Array {
  const { lu, pivots } = luFactor(a, n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) if (lu[i + i * n] === 0) return out.fill(NaN);
  for (let j = 0; j < n; j++) {
    const x = new Float64Array(n);
    x[j] = 1;
    for (let k = 0; k < n; k++) {
      const p = pivots[k]!;
      if (p !== k) {
        const t = x[k]!;
        x[k] = x[p]!;
        x[p] = t;
      }
    }
    for (let k = 0; k < n; k++) {
      const v = x[k]!;
      if (v !== 0) for (let i = k + 1; i < n; i++) x[i]! -= lu[i + k * n]! * v;
    }
    for (let k = n - 1; k >= 0; k--) {
      x[k]! /= lu[k + k * n]!;
      const v = x[k]!;
      if (v !== 0) for (let i = 0; i < k; i++) x[i]! -= lu[i + k * n]! * v;
    }
    out.set(x, j * n);
  }
  return out;
}

/**
 * Singular values of an r×c column-major matrix, ascending, as square roots of the eigenvalues of
 * the smaller Gram matrix (AᵀA or AAᵀ); negative rounding is clamped to 0.
 */
export function singularValues(a: Float64Array, rows: number, cols: number): Float64Array {
  const k = Math.min(rows, cols);
  return symmetricEigen(gramMatrix(a, rows, cols), k, true).values.map((v) => Math.sqrt(Math.max(0, v)));
}

/** Ascending eigenvalues of the symmetric part (M + Mᵀ)/2 of a square matrix. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  return symmetricEigen(a, n, true).values;
}
