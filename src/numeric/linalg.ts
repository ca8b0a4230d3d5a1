/** Dense linear algebra on column-major Float64Array: symmetric eigenvalues (ml-matrix), norms. */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface SymmetricEigen {
  /** Ascending. */
  values: Float64Array;
  /** Column k is the unit eigenvector of values[k]; column-major n×n. */
  vectors: Float64Array;
}

/** Eigen-decomposition of a symmetric matrix given row-major or column-major (the same thing). */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const m = new Matrix(n, n);
  // Symmetrise: rounding leaves the assembled Hessian symmetric only to ~1e-16.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, 0.5 * (a[i * n + j]! + a[j * n + i]!));
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const raw = eig.realEigenvalues;
  const order = raw.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const values = Float64Array.from(order.map(([v]) => v));
  const vectors = new Float64Array(n * n);
  const V = eig.eigenvectorMatrix;
  order.forEach(([, src], k) => {
    for (let i = 0; i < n; i++) vectors[i + k * n] = V.get(i, src);
  });
  return { values, vectors };
}

/** Spectral norm of a general r×c column-major matrix, by the eigenvalues of AᵀA. */
export function spectralNorm(a: Float64Array, rows: number, cols: number): number {
  if (rows === 1 || cols === 1) return euclidean(a);
  const ata = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++)
    for (let j = i; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < rows; k++) s += a[k + i * rows]! * a[k + j * rows]!;
      ata[i * cols + j] = s;
      ata[j * cols + i] = s;
    }
  const { values } = symmetricEigen(ata, cols);
  return Math.sqrt(Math.max(0, values[cols - 1]!));
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
