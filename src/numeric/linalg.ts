/**
 * Dense symmetric eigen-decomposition on Float64Array: Householder reduction to tridiagonal form,
 * then the implicit QL algorithm (the classic tred2/tql2 pair, as in EISPACK and JAMA), written
 * over flat typed arrays — the hot kernel of every eigenvalue and spectral-norm check.
 */
import { largestEigenpairs, syrk } from './kernels';

export interface SymmetricEigen {
  /** Ascending. */
  values: Float64Array;
  /** Column k is the unit eigenvector of values[k]; column-major n×n (empty when not requested). */
  vectors: Float64Array;
}

/**
 * Eigenvalues (and, unless valuesOnly, eigenvectors) of a symmetric n×n matrix stored row- or
 * column-major (the same for a symmetric matrix). The input is symmetrised first: an assembled
 * Hessian is symmetric only up to rounding.
 */
export function symmetricEigen(a: Float64Array, n: number, valuesOnly = false): SymmetricEigen {
  // z is row-major n×n working storage: z[i*n + j].
  const z = new Float64Array(n * n);
  let finite = true;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      z[i * n + j] = v;
      if (!Number.isFinite(v)) finite = false;
    }
  // QL iterations never converge on NaN or ±Inf: a non-finite matrix has no eigenvalues to report.
  if (!finite) return { values: new Float64Array(n).fill(NaN), vectors: new Float64Array(valuesOnly ? 0 : n * n).fill(NaN) };
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(z, d, e, n, !valuesOnly);
  tql2(z, d, e, n, !valuesOnly);
  // Ascending, ties in index order: a stable insertion sort, O(n²) against the O(n³) above. With the
  // plain finite check, it replaces callbacks that were 15% of examples/derivation_chain.loss's
  // check (spectral norms of 6×3 matrices, by their 3×3 Gram matrices, on every projection).
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let j = k;
    while (j > 0 && d[order[j - 1]!]! - d[k]! > 0) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = k;
  }
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) values[k] = d[order[k]!]!;
  if (valuesOnly) return { values, vectors: new Float64Array(0) };
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const src = order[k]!;
    for (let i = 0; i < n; i++) vectors[i + k * n] = z[i * n + src]!;
  }
  return { values, vectors };
}

/** Householder tridiagonalisation: on exit d is the diagonal, e[1..] the subdiagonal, z the transform. */
function tred2(z: Float64Array, d: Float64Array, e: Float64Array, n: number, vectors: boolean): void {
  for (let j = 0; j < n; j++) d[j] = z[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = z[(i - 1) * n + j]!;
        z[i * n + j] = 0;
        z[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        z[j * n + i] = f;
        g = e[j]! + z[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += z[k * n + j]! * d[k]!;
          e[k]! += z[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) z[k * n + j]! -= f * e[k]! + g * d[k]!;
        d[j] = z[(i - 1) * n + j]!;
        z[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  if (!vectors) {
    // Without the accumulated transform, the tridiagonal's diagonal sits on z's diagonal.
    for (let j = 0; j < n; j++) d[j] = z[j * n + j]!;
    e[0] = 0;
    return;
  }
  {
    for (let i = 0; i < n - 1; i++) {
      z[(n - 1) * n + i] = z[i * n + i]!;
      z[i * n + i] = 1;
      const h = d[i + 1]!;
      if (h !== 0) {
        for (let k = 0; k <= i; k++) d[k] = z[k * n + i + 1]! / h;
        for (let j = 0; j <= i; j++) {
          let g = 0;
          for (let k = 0; k <= i; k++) g += z[k * n + i + 1]! * z[k * n + j]!;
          for (let k = 0; k <= i; k++) z[k * n + j]! -= g * d[k]!;
        }
      }
      for (let k = 0; k <= i; k++) z[k * n + i + 1] = 0;
    }
  }
  for (let j = 0; j < n; j++) {
    d[j] = z[(n - 1) * n + j]!;
    z[(n - 1) * n + j] = 0;
  }
  z[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal (d, e), accumulating rotations into z when vectors are wanted. */
function tql2(z: Float64Array, d: Float64Array, e: Float64Array, n: number, vectors: boolean): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      for (let iter = 0; iter < 60; iter++) {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (vectors) {
            for (let k = 0; k < n; k++) {
              const zk1 = z[k * n + i + 1]!;
              const zk = z[k * n + i]!;
              z[k * n + i + 1] = s * zk + c * zk1;
              z[k * n + i] = c * zk - s * zk1;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]!) > eps * tst1)) break;
      }
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** The smaller Gram matrix of an r×c column-major matrix: AᵀA (c ≤ r) or AAᵀ, k×k with k = min(r, c). */
/** AᵀA (cols ≤ rows) or AAᵀ of a column-major rows×cols matrix: the Gram matrix on the smaller side. */
export function gramMatrix(a: Float64Array, rows: number, cols: number): Float64Array {
  const k = Math.min(rows, cols);
  // syrk reads A as k×rows (AᵀA) or k×cols (AAᵀ) in column-major order: both are A as stored.
  return cols <= rows ? syrk(k, rows, a, new Float64Array(k * k), { trans: true }) : syrk(k, cols, a, new Float64Array(k * k));
}

/** Spectral norm of a general r×c column-major matrix: the largest eigenvalue of AᵀA (or AAᵀ), by bisection. */
export function spectralNorm(a: Float64Array, rows: number, cols: number): number {
  if (rows === 1 || cols === 1) return euclidean(a);
  const k = Math.min(rows, cols);
  const { values } = largestEigenpairs(gramMatrix(a, rows, cols), k, 1, { vectors: false });
  return Math.sqrt(Math.max(0, values[0]!));
}

export function euclidean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}
