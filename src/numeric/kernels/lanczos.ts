/**
 * The largest or smallest eigenpair of a symmetric operator given only as products y = H·x (a
 * Hessian-vector product, or AᵀA for a spectral norm): Lanczos with full reorthogonalisation
 * (Gram–Schmidt twice against the whole basis), restarted from the current Ritz vector every
 * `restart` steps, warm-startable. Each step costs one product plus O(steps·n).
 *
 * What the result certifies, with v the returned unit vector:
 * - `value` = vᵀHv, computed from one more product: for 'largest' a lower bound on λ_max, for
 *   'smallest' an upper bound on λ_min (so `value` < 0 proves H is not PSD), up to that product's rounding.
 * - `residual` = ‖Hv − value·v‖, from the same product: H has an eigenvalue within `residual` of
 *   `value`. The run stops when residual ≤ tolerance·scale, scale being the largest |Ritz value| seen
 *   (a lower bound on ‖H‖₂).
 * That this eigenvalue is the extreme one is not certified by the residual; it rests on the Krylov
 * space (Lanczos converges to the extreme eigenvalues first; a start vector orthogonal to the extreme
 * eigenvector has probability zero), as for any iterative eigensolver.
 */
import { tridiagonalEigenvalues, tridiagonalEigenvectors } from './eigen';
import { gemvReference } from './reference';
import { KernelMemoryError, kernels, wasmAvailable, withArena } from './wasm';

export interface LanczosOptions {
  which: 'largest' | 'smallest';
  /** Start vector, e.g. the previous call's vector for a nearby operator; unusable ones (wrong length, zero, non-finite) are ignored. */
  start?: Float64Array;
  /** Stop when residual ≤ tolerance·scale (default 1e-10). */
  tolerance?: number;
  /** At most this many products (default 400). */
  maxProducts?: number;
  /** A known lower bound on ‖H‖₂, e.g. the previous result's `scale` when warm-starting (the tolerance is relative to it). */
  scale?: number;
  /** Steps between restarts (default 100). */
  restart?: number;
}

export interface LanczosResult {
  /** vᵀHv for the unit vector `vector`. */
  value: number;
  vector: Float64Array;
  /** ‖H·vector − value·vector‖. */
  residual: number;
  /** Largest |Ritz value| seen: a lower bound on ‖H‖₂, the scale of the tolerance. */
  scale: number;
  products: number;
  converged: boolean;
}

/** The extreme eigenpair of the symmetric n×n operator apply(x, y): y = H·x. */
export function extremeEigenpair(apply: (x: Float64Array, y: Float64Array) => void, n: number, options: LanczosOptions): LanczosResult {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`operator order ${n} is not a whole number >= 1`);
  const tolerance = options.tolerance ?? 1e-10;
  const maxProducts = options.maxProducts ?? 400;
  const restart = Math.max(1, options.restart ?? 100);
  let products = 0;
  const y = new Float64Array(n);
  const product = (x: Float64Array): Float64Array => {
    products++;
    y.fill(0);
    apply(x, y);
    return y;
  };
  let v = startVector(n, options.start);
  let scale = options.scale ?? 0;
  /** vᵀHv and ‖Hv − vᵀHv·v‖ for the current unit v. */
  const rayleigh = (): [number, number] => {
    const hv = product(v);
    const q = dot(hv, v);
    let r = 0;
    for (let i = 0; i < n; i++) r += (hv[i]! - q * v[i]!) ** 2;
    scale = Math.max(scale, Math.abs(q), euclidean(hv));
    return [q, Math.sqrt(r)];
  };
  let [value, residual] = rayleigh();
  while (!(residual <= tolerance * scale) && products < maxProducts && Number.isFinite(value)) {
    const run = lanczosRun(v, Math.min(restart, maxProducts - products), options.which, tolerance, (x) => Float64Array.from(product(x)));
    v = run.vector;
    scale = Math.max(scale, run.scale);
    // Lanczos' own residual estimate assumes exact orthogonality: check the Ritz pair directly.
    [value, residual] = rayleigh();
  }
  return { value, vector: v, residual, scale, products, converged: residual <= tolerance * scale };
}

/**
 * The largest or smallest eigenpair of a formed symmetric n×n matrix by Lanczos on products with it
 * (the matrix, symmetrised, stays in WebAssembly memory; each product is one GEMV, O(n²)): a
 * cheaper route than the 4n³/3 reduction of symmetricEigenpairs when few products suffice.
 */
export function matrixExtremeEigenpair(a: Float64Array, n: number, options: LanczosOptions): LanczosResult {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`matrix order ${n} is not a whole number >= 1`);
  if (a.length < n * n) throw new RangeError(`a ${n}×${n} matrix needs ${n * n} entries, got ${a.length}`);
  const s = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) s[i + j * n] = 0.5 * (a[i + j * n]! + a[j + i * n]!);
  const reference = () => extremeEigenpair((x, y) => gemvReference(n, n, s, x, y), n, options);
  if (!wasmAvailable()) return reference();
  try {
    return withArena((arena) => {
      const ps = arena.put(s);
      const px = arena.alloc(n);
      const py = arena.alloc(n);
      const heap = arena.f64();
      const k = kernels();
      return extremeEigenpair(
        (x, y) => {
          heap.set(x, px / 8);
          k.gemv(0, n, n, 1, ps, n, px, 0, py);
          y.set(heap.subarray(py / 8, py / 8 + n));
        },
        n,
        options,
      );
    });
  } catch (e) {
    if (e instanceof KernelMemoryError) return reference();
    throw e;
  }
}

/** Up to `steps` Lanczos steps from the unit vector v; the unit Ritz vector of the extreme Ritz value. */
function lanczosRun(
  v: Float64Array,
  steps: number,
  which: 'largest' | 'smallest',
  tolerance: number,
  apply: (q: Float64Array) => Float64Array,
) {
  const n = v.length;
  const basis = [v];
  const alphas: number[] = [];
  const betas: number[] = [];
  let coefficients: Float64Array = Float64Array.of(1);
  let scale = 0;
  for (let step = 0; step < steps; step++) {
    const q = basis[step]!;
    const w = apply(q);
    alphas.push(dot(w, q));
    for (let pass = 0; pass < 2; pass++)
      for (const b of basis) {
        const c = dot(w, b);
        for (let i = 0; i < n; i++) w[i]! -= c * b[i]!;
      }
    const beta = euclidean(w);
    const t = { d: Float64Array.from(alphas), e: Float64Array.from(betas) };
    const k = alphas.length;
    const ends = tridiagonalEigenvalues(t, 0, 1)[0]!;
    const top = k > 1 ? tridiagonalEigenvalues(t, k - 1, k)[0]! : ends;
    scale = Math.max(scale, Math.abs(ends), Math.abs(top));
    const theta = Float64Array.of(which === 'largest' ? top : ends);
    const s = tridiagonalEigenvectors(t, theta);
    coefficients = s;
    // β·|last component of the Ritz vector in the basis| is its residual in exact arithmetic.
    if (beta * Math.abs(s[k - 1]!) <= tolerance * scale || beta <= Number.EPSILON * scale || step + 1 === n) break;
    for (let i = 0; i < n; i++) w[i]! /= beta;
    betas.push(beta);
    basis.push(w);
  }
  // The Ritz vector in the original space, formed once at the end.
  const ritz = combine(basis, coefficients);
  normalize(ritz);
  return { vector: ritz, scale };
}

export function euclidean(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i]!));
  if (!(big > 0) || !Number.isFinite(big)) return big;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! / big) ** 2;
  return big * Math.sqrt(s);
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

function normalize(v: Float64Array): void {
  const n = euclidean(v);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
}

/** Σ_j s_j·basis_j over the first s.length basis vectors. */
function combine(basis: Float64Array[], s: Float64Array): Float64Array {
  const out = new Float64Array(basis[0]!.length);
  s.forEach((c, j) => {
    const q = basis[j]!;
    for (let i = 0; i < out.length; i++) out[i]! += c * q[i]!;
  });
  return out;
}

/** The warm start if usable, else a fixed pseudo-random unit vector (reproducible runs). */
function startVector(n: number, start: Float64Array | undefined): Float64Array {
  const v = new Float64Array(n);
  if (start && start.length === n && start.every(Number.isFinite) && euclidean(start) > 0) v.set(start);
  else {
    let state = 0x9e3779b9;
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      v[i] = state / 2 ** 32 - 0.5;
    }
  }
  normalize(v);
  return v;
}
