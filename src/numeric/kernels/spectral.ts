/**
 * Spectral norm of a rectangular matrix: Lanczos (lanczos.ts) on M = AᵀA, or AAᵀ when that is
 * smaller, each product two WebAssembly GEMVs with A (O(rows·cols)), warm-startable from the previous
 * call's singular vector; and the projection onto a spectral-norm ball the sampler uses (scale by
 * r/‖A‖₂ when ‖A‖₂ > r).
 *
 * What the result certifies:
 * - `norm` = ‖Av‖ for the returned unit vector v (the Rayleigh quotient vᵀMv = ‖Av‖²): a lower bound
 *   on ‖A‖₂, exact up to the rounding of one product.
 * - `residual` = ‖Mv − norm²·v‖, computed directly at the end: M has an eigenvalue within `residual`
 *   of norm², so A has a singular value within residual/norm of `norm`. The run stops when
 *   residual ≤ tolerance·norm².
 * - `upper` = min(‖A‖_F, √(‖A‖₁‖A‖_∞)): a rigorous upper bound on ‖A‖₂, independent of the iteration.
 * That the singular value found is the largest is not certified by the residual (see lanczos.ts).
 */
import { euclidean, extremeEigenpair } from './lanczos';
import { gemvReference } from './reference';
import { KernelMemoryError, kernels, wasmAvailable, withArena } from './wasm';

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

/** ‖A‖₂ of the rows×cols column-major matrix a; see the module comment for what is certified. */
export function spectralNorm(a: Float64Array, rows: number, cols: number, options: SpectralNormOptions = {}): SpectralNorm {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0)
    throw new RangeError(`matrix shape ${rows}×${cols} is not whole numbers >= 0`);
  if (a.length < rows * cols) throw new RangeError(`a ${rows}×${cols} matrix needs ${rows * cols} entries, got ${a.length}`);
  const upper = spectralNormUpperBound(a, rows, cols);
  const side = Math.min(rows, cols);
  if (side <= 1 || upper === 0 || !Number.isFinite(upper)) return vectorNorm(a, rows, cols, upper);
  // M = AᵀA on the right (cols) side when cols ≤ rows, else AAᵀ on the left side.
  const right = cols <= rows;
  const run = (multiply: (x: Float64Array, y: Float64Array) => void): SpectralNorm => {
    const top = extremeEigenpair(multiply, side, { which: 'largest', ...options });
    return {
      norm: Math.sqrt(Math.max(0, top.value)),
      upper,
      residual: top.residual,
      vector: top.vector,
      products: top.products,
      converged: top.residual <= (options.tolerance ?? 1e-10) * top.value,
    };
  };
  const mid = new Float64Array(right ? rows : cols);
  const reference = () =>
    run((x, y) => {
      gemvReference(rows, cols, a, x, mid, { trans: !right });
      gemvReference(rows, cols, a, mid, y, { trans: right });
    });
  if (!wasmAvailable()) return reference();
  try {
    return withArena((arena) => {
      const pa = arena.put(a.subarray(0, rows * cols));
      const px = arena.alloc(side);
      const pt = arena.alloc(right ? rows : cols);
      const py = arena.alloc(side);
      const heap = arena.f64();
      const k = kernels();
      return run((x, y) => {
        heap.set(x, px / 8);
        k.gemv(right ? 0 : 1, rows, cols, 1, pa, rows, px, 0, pt);
        k.gemv(right ? 1 : 0, rows, cols, 1, pa, rows, pt, 0, py);
        y.set(heap.subarray(py / 8, py / 8 + side));
      });
    });
  } catch (e) {
    if (e instanceof KernelMemoryError) return reference();
    throw e;
  }
}

function vectorNorm(a: Float64Array, rows: number, cols: number, upper: number): SpectralNorm {
  // A row or column (or a zero matrix): ‖A‖₂ = ‖A‖_F; the singular vector on the shorter side is ±1 (or empty).
  const side = Math.min(rows, cols);
  const vector = new Float64Array(side);
  if (side > 0) vector[0] = 1;
  const norm = side === 1 ? euclidean(a.subarray(0, rows * cols)) : upper;
  return { norm, upper: Math.max(upper, norm), residual: 0, vector, products: 0, converged: true };
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
  // As the sampler: scale only when the norm is known to exceed the radius (NaN leaves A as it is).
  if (!(norm.norm > radius)) return { matrix: a, norm };
  const s = radius / norm.norm;
  return { matrix: Float64Array.from(a.subarray(0, rows * cols), (x) => x * s), norm };
}
