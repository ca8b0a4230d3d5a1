/**
 * Pure-TypeScript reference for every kernel, kept for tests and small sizes. The products use the
 * summation order the WebAssembly kernels keep (C[i,j] = βC[i,j], then + (αA[i,p])·B[p,j] for
 * p = 0, 1, …), so both give the same bits; the tridiagonalisation is LAPACK's unblocked dsytd2,
 * which the fused WebAssembly pass matches to rounding.
 */

/** Column-major layouts are packed: a matrix with r rows has leading dimension r. */
export interface GemmOptions {
  /** op(A) = Aᵀ; A is then stored k×m. */
  transA?: boolean;
  /** op(B) = Bᵀ; B is then stored n×k. */
  transB?: boolean;
  alpha?: number;
  /** 0 (the default) overwrites C, whatever it held (NaN included). */
  beta?: number;
}

export interface SyrkOptions {
  /** C = α·AᵀA + βC with A k×n; otherwise C = α·AAᵀ + βC with A n×k. */
  trans?: boolean;
  alpha?: number;
  beta?: number;
}

export interface GemvOptions {
  /** y = α·Aᵀx + βy (y has n entries); otherwise y = α·Ax + βy (m entries). */
  trans?: boolean;
  alpha?: number;
  beta?: number;
}

function scaleInPlace(c: Float64Array, size: number, beta: number): void {
  if (beta === 1) return;
  if (beta === 0) c.fill(0, 0, size);
  else for (let i = 0; i < size; i++) c[i]! *= beta;
}

/** C = α·op(A)·op(B) + β·C with op(A) m×k, op(B) k×n, C m×n. */
export function gemmReference(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmOptions = {},
): Float64Array {
  const alpha = o.alpha ?? 1;
  scaleInPlace(c, m * n, o.beta ?? 0);
  if (alpha === 0 || k === 0) return c;
  // Element (i, p) of op(A) is a[i*sa + p*ta]; (p, j) of op(B) is b[p*sb + j*tb].
  const [sa, ta] = o.transA ? [k, 1] : [1, m];
  const [sb, tb] = o.transB ? [n, 1] : [1, k];
  for (let j = 0; j < n; j++)
    for (let p = 0; p < k; p++) {
      const bpj = b[p * sb + j * tb]!;
      for (let i = 0; i < m; i++) c[i + j * m]! += alpha * a[i * sa + p * ta]! * bpj;
    }
  return c;
}

/** C = α·op(A)·op(A)ᵀ + β·C, n×n and symmetric: the lower triangle is computed, then mirrored. */
export function syrkReference(n: number, k: number, a: Float64Array, c: Float64Array, o: SyrkOptions = {}): Float64Array {
  const alpha = o.alpha ?? 1;
  scaleInPlace(c, n * n, o.beta ?? 0);
  if (alpha !== 0 && k !== 0) {
    // op(A)[i, p] = a[i*s + p*t].
    const [s, t] = o.trans ? [k, 1] : [1, n];
    for (let j = 0; j < n; j++)
      for (let p = 0; p < k; p++) {
        const apj = a[j * s + p * t]!;
        for (let i = j; i < n; i++) c[i + j * n]! += alpha * a[i * s + p * t]! * apj;
      }
  }
  for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) c[j + i * n] = c[i + j * n]!;
  return c;
}

/** y = α·op(A)·x + β·y with A m×n. */
export function gemvReference(m: number, n: number, a: Float64Array, x: Float64Array, y: Float64Array, o: GemvOptions = {}): Float64Array {
  const alpha = o.alpha ?? 1;
  const rows = o.trans ? n : m;
  scaleInPlace(y, rows, o.beta ?? 0);
  if (alpha === 0) return y;
  if (o.trans) {
    for (let j = 0; j < n; j++) {
      let s = y[j]!;
      for (let i = 0; i < m; i++) s += alpha * a[i + j * m]! * x[i]!;
      y[j] = s;
    }
  } else {
    for (let j = 0; j < n; j++) {
      const xj = x[j]!;
      for (let i = 0; i < m; i++) y[i]! += alpha * a[i + j * m]! * xj;
    }
  }
  return y;
}

/**
 * A symmetric matrix reduced to tridiagonal form T = QᵀAQ, Q = H₀H₁⋯H_{n−2} with
 * H_i = I − τ_i·v_i·v_iᵀ, v_i = (0…0, 1 at row i+1, reflectors[i+2…n−1, i]).
 */
export interface Tridiagonal {
  n: number;
  /** T's diagonal (n). */
  d: Float64Array;
  /** T's subdiagonal (n − 1; empty for n ≤ 1). */
  e: Float64Array;
  /** n×n column-major; column i below row i+1 holds v_i (the rest is working storage). */
  reflectors: Float64Array;
  tau: Float64Array;
}

/** Householder tridiagonalisation (LAPACK dsytd2, lower), reading A's lower triangle. */
export function tridiagonalizeReference(a: Float64Array, n: number): Tridiagonal {
  const q = Float64Array.from(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  const tau = new Float64Array(Math.max(0, n - 1));
  const y = new Float64Array(n);
  const w = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    // Reflector for x = A[i+1:, i].
    const alpha = q[i + 1 + i * n]!;
    let big = 0;
    for (let r = i + 2; r < n; r++) big = Math.max(big, Math.abs(q[r + i * n]!));
    let xnorm = 0;
    if (big > 0 && Number.isFinite(big)) {
      let s = 0;
      for (let r = i + 2; r < n; r++) s += (q[r + i * n]! / big) ** 2;
      xnorm = big * Math.sqrt(s);
    } else xnorm = big;
    let t = 0;
    if (xnorm === 0) e[i] = alpha;
    else {
      const beta = (alpha < 0 || Object.is(alpha, -0) ? 1 : -1) * Math.hypot(alpha, xnorm);
      t = (beta - alpha) / beta;
      const s = 1 / (alpha - beta);
      for (let r = i + 2; r < n; r++) q[r + i * n]! *= s;
      e[i] = beta;
    }
    tau[i] = t;
    if (t !== 0) {
      v.fill(0);
      v[i + 1] = 1;
      for (let r = i + 2; r < n; r++) v[r] = q[r + i * n]!;
      // y = τ·A22·v (A22 = A[i+1:, i+1:], lower triangle), w = y − ½τ(yᵀv)·v, A22 −= vwᵀ + wvᵀ.
      y.fill(0);
      for (let c = i + 1; c < n; c++) {
        y[c]! += q[c + c * n]! * v[c]!;
        for (let r = c + 1; r < n; r++) {
          y[r]! += q[r + c * n]! * v[c]!;
          y[c]! += q[r + c * n]! * v[r]!;
        }
      }
      let dot = 0;
      for (let r = i + 1; r < n; r++) dot += t * y[r]! * v[r]!;
      for (let r = i + 1; r < n; r++) w[r] = t * y[r]! - 0.5 * t * dot * v[r]!;
      for (let c = i + 1; c < n; c++) for (let r = c; r < n; r++) q[r + c * n]! -= v[r]! * w[c]! + w[r]! * v[c]!;
    }
    d[i] = q[i + i * n]!;
  }
  if (n > 0) d[n - 1] = q[n - 1 + (n - 1) * n]!;
  return { n, d, e, reflectors: q, tau };
}

/** Z = Q·Z for the n×k matrix Z (column-major), Q from a tridiagonalisation. */
export function applyReflectorsReference(t: Tridiagonal, z: Float64Array, k: number): Float64Array {
  const { n, reflectors: q, tau } = t;
  for (let col = 0; col < k; col++) {
    const o = col * n;
    for (let i = n - 2; i >= 0; i--) {
      const ti = tau[i]!;
      if (ti === 0) continue;
      let s = z[o + i + 1]!;
      for (let r = i + 2; r < n; r++) s += q[r + i * n]! * z[o + r]!;
      s *= ti;
      z[o + i + 1]! -= s;
      for (let r = i + 2; r < n; r++) z[o + r]! -= s * q[r + i * n]!;
    }
  }
  return z;
}
