/**
 * Spectral norm of a rectangular matrix by Lanczos on M = AᵀA (or AAᵀ, whichever is smaller),
 * each step two matrix-vector products with A (O(rows·cols), WebAssembly GEMV) and full
 * reorthogonalisation against the basis, restarted from the Ritz vector every RESTART steps and
 * warm-startable from the previous call's singular vector; and the projection onto a spectral-norm
 * ball the sampler uses (scale by r/‖A‖₂ when ‖A‖₂ > r).
 *
 * What the result certifies:
 * - `norm` = ‖Av‖ for the returned unit vector v (Rayleigh quotient): a lower bound on ‖A‖₂, exact
 *   up to the rounding of one product.
 * - `residual` = ‖Mv − norm²·v‖, computed directly at the end: M has an eigenvalue within `residual`
 *   of norm², so A has a singular value within residual/norm of `norm`. The run stops when
 *   residual ≤ tolerance·norm².
 * - `upper` = min(‖A‖_F, √(‖A‖₁‖A‖_∞)): a rigorous upper bound on ‖A‖₂, independent of the iteration.
 * That the singular value found is the largest is not certified by the residual: it rests on the
 * Krylov space (Lanczos finds the extreme eigenvalues first, and a start vector orthogonal to the
 * top singular vector has probability zero) — the same assumption as any iterative method.
 */
import { tridiagonalEigenvalues, tridiagonalEigenvectors } from './eigen';
import { kernels, withArena } from './wasm';

export interface SpectralNorm {
  /** ‖Av‖ for the unit vector `vector`: the estimate of ‖A‖₂ and a lower bound on it. */
  norm: number;
  /** A rigorous upper bound on ‖A‖₂: min(‖A‖_F, √(‖A‖₁‖A‖_∞)). */
  upper: number;
  /** ‖Mv − norm²·v‖ (M = AᵀA or AAᵀ): norm² is that close to an eigenvalue of M. */
  residual: number;
  /** Unit singular vector on the shorter side (right when cols ≤ rows, else left); a warm start for the next call. */
  vector: Float64Array;
  /** Products with M (each two with A). */
  products: number;
  converged: boolean;
}

export interface SpectralNormOptions {
  /** Start vector (length min(rows, cols)), e.g. the previous `vector` for a nearby matrix. */
  start?: Float64Array;
  /**
   * Stop when residual ≤ tolerance·norm² (default 1e-10: the singular value is then certified to
   * 5e-11 relative, well inside the sampler's 1e-9 feasibility tolerance; for a simple top singular
   * value the error is about (residual/norm²)²/gap, far smaller).
   */
  tolerance?: number;
  /** At most this many products with M (default 400). */
  maxProducts?: number;
}

/** Lanczos steps between restarts (the basis kept for reorthogonalisation). */
const RESTART = 100;

/** Cheap rigorous upper bound: min(‖A‖_F, √(‖A‖₁‖A‖_∞)). */
export function spectralNormUpperBound(a: Float64Array, rows: number, cols: number): number {
  let frob = 0;
  let maxCol = 0;
  const rowSums = new Float64Array(rows);
  for (let j = 0; j < cols; j++) {
    let col = 0;
    for (let i = 0; i < rows; i++) {
      const x = a[i + j * rows]!;
      frob += x * x;
      col += Math.abs(x);
      rowSums[i]! += Math.abs(x);
    }
    maxCol = Math.max(maxCol, col);
  }
  const maxRow = rowSums.reduce((s, x) => Math.max(s, x), 0);
  return Math.min(Math.sqrt(frob), Math.sqrt(maxCol * maxRow));
}

function euclidean(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i]!));
  if (!(big > 0) || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! / big) ** 2;
  return big * Math.sqrt(s);
}

function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
  return s;
}

/** ‖A‖₂ of the rows×cols column-major matrix a; see the module comment for what is certified. */
export function spectralNorm(a: Float64Array, rows: number, cols: number, options: SpectralNormOptions = {}): SpectralNorm {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0)
    throw new RangeError(`matrix shape ${rows}×${cols} is not whole numbers >= 0`);
  if (a.length < rows * cols) throw new RangeError(`a ${rows}×${cols} matrix needs ${rows * cols} entries, got ${a.length}`);
  const upper = spectralNormUpperBound(a, rows, cols);
  const side = Math.min(rows, cols);
  if (side <= 1 || upper === 0 || !Number.isFinite(upper)) return vectorNorm(a, rows, cols, upper);
  const tolerance = options.tolerance ?? 1e-10;
  const maxProducts = options.maxProducts ?? 400;
  // M = AᵀA on the right (cols) side when cols ≤ rows, else AAᵀ on the left side.
  const right = cols <= rows;
  const other = right ? rows : cols;
  return withArena((arena) => {
    const pa = arena.put(a.subarray(0, rows * cols));
    const px = arena.alloc(side);
    const pt = arena.alloc(other);
    const py = arena.alloc(side);
    const heap = arena.f64();
    const x = heap.subarray(px / 8, px / 8 + side);
    const y = heap.subarray(py / 8, py / 8 + side);
    const k = kernels();
    let products = 0;
    /** y = M·x (x and y live in the WebAssembly memory). */
    const multiply = (): void => {
      products++;
      k.gemv(right ? 0 : 1, rows, cols, 1, pa, rows, px, 0, pt);
      k.gemv(right ? 1 : 0, rows, cols, 1, pa, rows, pt, 0, py);
    };
    let v = startVector(side, options.start);
    /** vᵀMv = ‖Av‖² and ‖Mv − vᵀMv·v‖ for the current unit v. */
    const rayleigh = (): [number, number] => {
      x.set(v);
      multiply();
      const q = dot(y, v, side);
      let r = 0;
      for (let i = 0; i < side; i++) r += (y[i]! - q * v[i]!) ** 2;
      return [q, Math.sqrt(r)];
    };
    let [theta, residual] = rayleigh();
    while (residual > tolerance * theta && products < maxProducts) {
      v = lanczosRun(v, side, Math.min(RESTART, maxProducts - products), tolerance, (q) => {
        x.set(q);
        multiply();
        return Float64Array.from(y);
      });
      // Lanczos' own residual estimate assumes exact orthogonality: check the Ritz pair directly.
      [theta, residual] = rayleigh();
    }
    return { norm: Math.sqrt(Math.max(0, theta)), upper, residual, vector: v, products, converged: residual <= tolerance * theta };
  });
}

/**
 * Up to `steps` Lanczos steps on the symmetric operator `apply` from the unit vector v, with full
 * reorthogonalisation; returns the unit Ritz vector of the largest Ritz value.
 */
function lanczosRun(
  v: Float64Array,
  side: number,
  steps: number,
  tolerance: number,
  apply: (q: Float64Array) => Float64Array,
): Float64Array {
  const basis = [v];
  const alphas: number[] = [];
  const betas: number[] = [];
  let ritz = v;
  for (let step = 0; step < steps; step++) {
    const q = basis[step]!;
    const w = apply(q);
    alphas.push(dot(w, q, side));
    // Gram–Schmidt against the whole basis, twice ("twice is enough").
    for (let pass = 0; pass < 2; pass++)
      for (const b of basis) {
        const c = dot(w, b, side);
        for (let i = 0; i < side; i++) w[i]! -= c * b[i]!;
      }
    const beta = euclidean(w);
    const t = { d: Float64Array.from(alphas), e: Float64Array.from(betas) };
    const top = tridiagonalEigenvalues(t, alphas.length - 1, alphas.length);
    const s = tridiagonalEigenvectors(t, top);
    ritz = combine(basis, s, side);
    // β·|last component of the Ritz vector in the basis| is the residual in exact arithmetic.
    if (beta * Math.abs(s[s.length - 1]!) <= tolerance * Math.abs(top[0]!) || beta <= Number.EPSILON * Math.abs(top[0]!)) break;
    for (let i = 0; i < side; i++) w[i]! /= beta;
    betas.push(beta);
    basis.push(w);
  }
  normalize(ritz);
  return ritz;
}

function vectorNorm(a: Float64Array, rows: number, cols: number, upper: number): SpectralNorm {
  // A row or column (or a zero matrix): ‖A‖₂ = ‖A‖_F; the singular vector on the shorter side is ±1 (or empty).
  const side = Math.min(rows, cols);
  const vector = new Float64Array(side);
  if (side > 0) vector[0] = 1;
  const norm = side === 1 ? euclidean(a.subarray(0, rows * cols)) : upper;
  return { norm, upper: Math.max(upper, norm), residual: 0, vector, products: 0, converged: true };
}

function normalize(v: Float64Array): void {
  const n = euclidean(v);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
}

function combine(basis: Float64Array[], s: Float64Array, side: number): Float64Array {
  const out = new Float64Array(side);
  basis.forEach((q, j) => {
    const c = s[j]!;
    for (let i = 0; i < side; i++) out[i]! += c * q[i]!;
  });
  return out;
}

/** The warm start if usable, else a fixed pseudo-random unit vector (reproducible runs). */
function startVector(side: number, start: Float64Array | undefined): Float64Array {
  const v = new Float64Array(side);
  if (start && start.length === side && euclidean(start) > 0 && start.every(Number.isFinite)) v.set(start);
  else {
    let state = 0x9e3779b9;
    for (let i = 0; i < side; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      v[i] = state / 2 ** 32 - 0.5;
    }
  }
  normalize(v);
  return v;
}

export interface SpectralProjection {
  /** A itself (same array) when ‖A‖₂ ≤ radius, else a new array A·radius/‖A‖₂. */
  matrix: Float64Array;
  /** The norm computation, when the cheap upper bound did not already settle it. */
  norm?: SpectralNorm;
}

/**
 * Projection onto {‖A‖₂ ≤ radius} the way the sampler does it: A unchanged when inside, else scaled
 * by radius/‖A‖₂. No iteration when the rigorous upper bound is already ≤ radius.
 */
export function projectSpectralBall(
  a: Float64Array,
  rows: number,
  cols: number,
  radius: number,
  options: SpectralNormOptions = {},
): SpectralProjection {
  if (spectralNormUpperBound(a, rows, cols) <= radius) return { matrix: a };
  const norm = spectralNorm(a, rows, cols, options);
  if (norm.norm <= radius) return { matrix: a, norm };
  const s = radius / norm.norm;
  return { matrix: Float64Array.from(a.subarray(0, rows * cols), (x) => x * s), norm };
}
