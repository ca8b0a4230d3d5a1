/**
 * Selected eigenpairs of a symmetric matrix without a full eigendecomposition: Householder
 * tridiagonalisation (WebAssembly, one fused pass over the trailing matrix per step), then
 * bisection on Sturm counts for the wanted eigenvalues of the tridiagonal T, inverse iteration on T
 * for their eigenvectors, and the reflectors applied to bring those back. Costs 4n³/3 flops for the
 * reduction and O(n) per bisection step, O(n²) per eigenvector after it; the full QL
 * decomposition (linalg.ts symmetricEigen) stays as the reference.
 */
import { type Tridiagonal, applyReflectorsReference, tridiagonalizeReference } from './reference';
import { kernels, wasmAvailable, withArena } from './wasm';

export type { Tridiagonal } from './reference';

export interface Eigenpairs {
  /** Ascending. */
  values: Float64Array;
  /** Column i is the unit eigenvector of values[i]; n × values.length, column-major (empty when not asked for). */
  vectors: Float64Array;
}

/** Below this order the TypeScript reduction is as fast as the WebAssembly one with its copies (1–3 µs each up to 8; at 16 the reference takes 19 µs, WebAssembly 10). */
export const WASM_MIN_ORDER = 8;

/**
 * T = QᵀAQ for the symmetric n×n matrix A (column-major; its lower triangle is read). The
 * WebAssembly and reference reductions agree to rounding; which one runs depends only on n (and on
 * WebAssembly being available).
 */
export function tridiagonalize(a: Float64Array, n: number): Tridiagonal {
  checkSquare(a, n);
  return n < WASM_MIN_ORDER || !wasmAvailable() ? tridiagonalizeReference(a, n) : tridiagonalizeWasm(a, n);
}

function checkSquare(a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`matrix order ${n} is not a whole number >= 0`);
  if (a.length < n * n) throw new RangeError(`a ${n}×${n} matrix needs ${n * n} entries, got ${a.length}`);
}

export function tridiagonalizeWasm(a: Float64Array, n: number): Tridiagonal {
  checkSquare(a, n);
  const k = kernels();
  const m = Math.max(0, n - 1);
  return withArena((arena) => {
    const pa = arena.put(a.subarray(0, n * n));
    const pd = arena.alloc(n);
    const pe = arena.alloc(m);
    const pt = arena.alloc(m);
    const work = arena.alloc(k.tridiagonalWorkBytes(n) / 8);
    k.tridiagonalize(n, pa, n, pd, pe, pt, work);
    return { n, d: arena.take(pd, n), e: arena.take(pe, m), reflectors: arena.take(pa, n * n), tau: arena.take(pt, m) };
  });
}

/** Z = Q·Z for the n×k matrix Z (in place): eigenvectors of T become eigenvectors of A. */
export function applyReflectors(t: Tridiagonal, z: Float64Array, k: number): Float64Array {
  const { n } = t;
  if (z.length < n * k) throw new RangeError(`Z needs ${n * k} entries, got ${z.length}`);
  if (n < WASM_MIN_ORDER || !wasmAvailable()) return applyReflectorsReference(t, z, k);
  withArena((arena) => {
    const pa = arena.put(t.reflectors);
    const pt = arena.put(t.tau);
    const pz = arena.put(z.subarray(0, n * k));
    kernels().applyReflectors(n, pa, n, pt, pz, n, k);
    z.set(arena.f64().subarray(pz / 8, pz / 8 + n * k));
  });
  return z;
}

/** What bisection and inverse iteration on (d, e) need, computed once. */
interface Sturm {
  n: number;
  d: Float64Array;
  e: Float64Array;
  /** e² */
  e2: Float64Array;
  /** Gershgorin interval holding every eigenvalue. */
  lower: number;
  upper: number;
  /** max |T_ij| scale used for absolute tolerances and zero pivots. */
  norm: number;
  /** Smallest pivot magnitude allowed in a Sturm count (LAPACK's pivmin). */
  pivmin: number;
}

const EPS = Number.EPSILON;
const SAFE_MIN = 2.2250738585072014e-308;

function sturm(d: Float64Array, e: Float64Array): Sturm {
  const n = d.length;
  // Plain loops here and in factor: a typed array's from/map/reduce calls a closure per entry, which
  // cost more than the O(n) work itself for the small tridiagonals of the sampler's projections.
  const e2 = new Float64Array(e.length);
  let e2max = 0;
  for (let i = 0; i < e.length; i++) {
    e2[i] = e[i]! * e[i]!;
    e2max = Math.max(e2max, e2[i]!);
  }
  let lower = Infinity;
  let upper = -Infinity;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0);
    lower = Math.min(lower, d[i]! - r);
    upper = Math.max(upper, d[i]! + r);
    norm = Math.max(norm, Math.abs(d[i]!) + r);
  }
  const pivmin = SAFE_MIN * Math.max(1, e2max);
  // Widen so that both ends are strictly outside the spectrum despite rounding.
  const pad = 2 * EPS * norm * n + 2 * pivmin;
  return { n, d, e, e2, lower: lower - pad, upper: upper + pad, norm, pivmin };
}

/** How many eigenvalues of T are below x: negative pivots of the LDLᵀ factorisation of T − xI. */
function countBelow(s: Sturm, x: number): number {
  let count = 0;
  let q = 1;
  for (let i = 0; i < s.n; i++) {
    q = s.d[i]! - x - (i > 0 ? s.e2[i - 1]! / q : 0);
    if (Math.abs(q) <= s.pivmin) q = -s.pivmin;
    if (q < 0) count++;
  }
  return count;
}

/** How many eigenvalues of the tridiagonal (d, e) lie below x (a Sturm count: O(n), no eigenvalue computed). */
export function tridiagonalCountBelow(t: Pick<Tridiagonal, 'd' | 'e'>, x: number): number {
  return countBelow(sturm(t.d, t.e), x);
}

/** Eigenvalue number i (0-based, ascending) of T by bisection, to an absolute 4·eps·‖T‖. */
function bisect(s: Sturm, i: number): number {
  let lo = s.lower;
  let hi = s.upper;
  const tol = 4 * EPS * s.norm + 2 * s.pivmin;
  for (;;) {
    const mid = 0.5 * (lo + hi);
    if (hi - lo <= tol + 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi)) || mid <= lo || mid >= hi) return mid;
    if (countBelow(s, mid) > i) hi = mid;
    else lo = mid;
  }
}

/** Eigenvalues from..to−1 (ascending indices) of the tridiagonal (d, e). */
export function tridiagonalEigenvalues(t: Pick<Tridiagonal, 'd' | 'e'>, from: number, to: number): Float64Array {
  const s = sturm(t.d, t.e);
  checkRange(from, to, s.n);
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = bisect(s, i);
  return out;
}

function checkRange(from: number, to: number, n: number): void {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > n || from > to)
    throw new RangeError(`eigenvalue indices ${from}…${to - 1} are not within 0…${n - 1}`);
}

/** Reproducible start vectors for inverse iteration (any vector with a component along the eigenvector works). */
function startVector(n: number, seed: number): Float64Array {
  const x = new Float64Array(n);
  let state = (seed * 2654435761 + 1013904223) >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    x[i] = state / 2 ** 32 - 0.5;
  }
  return x;
}

/**
 * LU with partial pivoting of T − λI (LAPACK dlagtf): U has diagonal u0 and two superdiagonals
 * u1, u2; zero pivots become eps·‖T‖ so that solves stay finite (inverse iteration wants the
 * near-singular system).
 */
function factor(s: Sturm, lambda: number) {
  const { n, d, e } = s;
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    u0[i] = d[i]! - lambda;
    if (i < n - 1) u1[i] = e[i]!;
  }
  const u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swap = new Uint8Array(n);
  const tiny = EPS * s.norm || SAFE_MIN;
  for (let i = 0; i < n - 1; i++) {
    const sub = e[i]!;
    if (Math.abs(u0[i]!) >= Math.abs(sub)) {
      if (u0[i] === 0) u0[i] = tiny;
      const l = sub / u0[i]!;
      u0[i + 1]! -= l * u1[i]!;
      mult[i] = l;
    } else {
      // Rows i and i+1 trade places; the old row i, eliminated, becomes row i+1.
      const l = u0[i]! / sub;
      const nextDiag = u0[i + 1]!;
      const nextSuper = i + 1 < n - 1 ? u1[i + 1]! : 0;
      u0[i] = sub;
      u0[i + 1] = u1[i]! - l * nextDiag;
      u1[i] = nextDiag;
      u2[i] = nextSuper;
      if (i + 1 < n - 1) u1[i + 1] = -l * nextSuper;
      mult[i] = l;
      swap[i] = 1;
    }
  }
  if (n > 0 && u0[n - 1] === 0) u0[n - 1] = tiny;
  return { u0, u1, u2, mult, swap };
}

function solve(f: ReturnType<typeof factor>, b: Float64Array): void {
  const n = b.length;
  for (let i = 0; i < n - 1; i++) {
    if (f.swap[i]) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
    b[i + 1]! -= f.mult[i]! * b[i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let x = b[i]!;
    if (i + 1 < n) x -= f.u1[i]! * b[i + 1]!;
    if (i + 2 < n) x -= f.u2[i]! * b[i + 2]!;
    b[i] = x / f.u0[i]!;
  }
}

function normalize(x: Float64Array): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i]!));
  if (!(big > 0) || !Number.isFinite(big)) return big;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! / big) ** 2;
  const norm = big * Math.sqrt(ss);
  for (let i = 0; i < x.length; i++) x[i]! /= norm;
  return norm;
}

/** Eigenvalues closer than this fraction of ‖T‖ are a cluster: their vectors are kept orthogonal (as in LAPACK dstein). */
const CLUSTER = 1e-3;
const INVERSE_ITERATIONS = 3;

/**
 * Unit eigenvectors of the tridiagonal (d, e) for the given ascending eigenvalues, by inverse
 * iteration; vectors of clustered eigenvalues are orthogonalised against each other.
 */
export function tridiagonalEigenvectors(t: Pick<Tridiagonal, 'd' | 'e'>, values: Float64Array): Float64Array {
  const s = sturm(t.d, t.e);
  const n = s.n;
  const out = new Float64Array(n * values.length);
  let clusterStart = 0;
  for (let j = 0; j < values.length; j++) {
    if (j > 0 && values[j]! - values[j - 1]! > CLUSTER * s.norm) clusterStart = j;
    // Equal eigenvalues get nudged apart so that each solve sees a different near-singular system.
    let lambda = values[j]!;
    if (j > clusterStart) lambda = Math.max(lambda, values[j - 1]! + 10 * EPS * Math.max(s.norm, Math.abs(lambda)) * (j - clusterStart));
    const f = factor(s, lambda);
    const x = startVector(n, j + 1);
    for (let it = 0; it < INVERSE_ITERATIONS; it++) {
      normalize(x);
      solve(f, x);
      for (let p = clusterStart; p < j; p++) {
        const q = out.subarray(p * n, (p + 1) * n);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i]! * x[i]!;
        for (let i = 0; i < n; i++) x[i]! -= dot * q[i]!;
      }
    }
    normalize(x);
    out.set(x, j * n);
  }
  return out;
}

export interface EigenOptions {
  /** Compute eigenvectors too (default true). */
  vectors?: boolean;
}

/**
 * Eigenpairs from..to−1 (indices in ascending order) of the symmetric n×n matrix a (column- or
 * row-major: the same for a symmetric matrix). a is symmetrised first, (a + aᵀ)/2, as
 * linalg.ts symmetricEigen does: an assembled Hessian is symmetric only up to rounding.
 */
export function symmetricEigenpairs(a: Float64Array, n: number, from: number, to: number, options: EigenOptions = {}): Eigenpairs {
  checkSquare(a, n);
  checkRange(from, to, n);
  const t = tridiagonalize(symmetrized(a, n), n);
  const values = tridiagonalEigenvalues(t, from, to);
  if (options.vectors === false) return { values, vectors: new Float64Array(0) };
  return { values, vectors: applyReflectors(t, tridiagonalEigenvectors(t, values), values.length) };
}

function symmetrized(a: Float64Array, n: number): Float64Array {
  const s = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let i = j; i < n; i++) s[i + j * n] = 0.5 * (a[i + j * n]! + a[j + i * n]!);
  return s;
}

/** The k smallest eigenpairs, ascending. */
export function smallestEigenpairs(a: Float64Array, n: number, k: number, options?: EigenOptions): Eigenpairs {
  return symmetricEigenpairs(a, n, 0, Math.min(k, n), options);
}

/** The k largest eigenpairs, ascending (the largest last). */
export function largestEigenpairs(a: Float64Array, n: number, k: number, options?: EigenOptions): Eigenpairs {
  return symmetricEigenpairs(a, n, Math.max(0, n - k), n, options);
}

/** The eigenpair of largest |λ| (the spectral norm of a symmetric matrix is |value|); n ≥ 1. */
export function dominantEigenpair(a: Float64Array, n: number, options: EigenOptions = {}): { value: number; vector: Float64Array } {
  checkSquare(a, n);
  if (n === 0) throw new RangeError('a 0×0 matrix has no eigenvalues');
  const t = tridiagonalize(symmetrized(a, n), n);
  const s = sturm(t.d, t.e);
  const [low, high] = [bisect(s, 0), bisect(s, n - 1)];
  const value = Math.abs(low) > Math.abs(high) ? low : high;
  if (options.vectors === false) return { value, vector: new Float64Array(0) };
  const values = Float64Array.of(value);
  return { value, vector: applyReflectors(t, tridiagonalEigenvectors(t, values), 1) };
}
