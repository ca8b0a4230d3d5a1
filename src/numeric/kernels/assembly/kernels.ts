/**
 * Float64 kernels in AssemblyScript, compiled to WebAssembly with 128-bit SIMD (f64x2) by
 * scripts/build-wasm.mjs into ../kernels.wasm. Every matrix is column-major; pointers are byte
 * offsets into the (shared, imported) memory; leading dimensions are in elements. The module has
 * no globals and no data segments, so one compiled module can run in several threads at once over
 * the same memory, each call with its own workspace.
 *
 * Products keep the reference summation order: C[i,j] = βC[i,j] first, then + (αA[i,p])·B[p,j] for
 * p = 0, 1, … in turn. Each SIMD lane does exactly those scalar operations (WebAssembly has no
 * fused multiply-add here), so the results equal ../reference.ts bit for bit.
 */

// Register tile of the GEMM micro-kernel: 4×4 doubles in 8 f64x2 accumulators (more spills in V8).
const MR: i32 = 4;
const NR: i32 = 4;
// Cache blocks: a KC×NR panel of B and an MR×KC panel of A stay in L1, the MC×KC block of A in L2,
// the KC×NC block of B in L3.
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/** Bytes of workspace a gemm of op(A)·op(B) with m×k by k×n needs: packed blocks and one edge tile. */
export function gemmWorkBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(KC, k);
  return (min(MC, roundUp(m, MR)) * kc + kc * min(NC, roundUp(n, NR)) + MR * NR) << 3;
}

function at(p: usize, i: i32, j: i32, ld: i32): usize {
  return p + ((<usize>i + <usize>j * <usize>ld) << 3);
}

/** C = βC on an m×n block (β = 0 writes zeros, whatever C held). */
function scale(m: i32, n: i32, beta: f64, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let j = 0; j < n; j++) {
    const col = at(c, 0, j, ldc);
    if (beta == 0) memory.fill(col, 0, (<usize>m) << 3);
    else for (let i = 0; i < m; i++) store<f64>(col + ((<usize>i) << 3), beta * load<f64>(col + ((<usize>i) << 3)));
  }
}

/** C[0:4, 0:4] += Ap·Bp over kc steps; Ap holds 4 rows per step, Bp 4 columns per step. */
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize): void {
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  let c00 = v128.load(c);
  let c10 = v128.load(c, 16);
  let c01 = v128.load(c1);
  let c11 = v128.load(c1, 16);
  let c02 = v128.load(c2);
  let c12 = v128.load(c2, 16);
  let c03 = v128.load(c3);
  let c13 = v128.load(c3, 16);
  for (let p = 0; p < kc; p++) {
    const a0 = v128.load(ap);
    const a1 = v128.load(ap, 16);
    let b = v128.load64_splat(bp);
    c00 = f64x2.add(c00, f64x2.mul(a0, b));
    c10 = f64x2.add(c10, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 8);
    c01 = f64x2.add(c01, f64x2.mul(a0, b));
    c11 = f64x2.add(c11, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 16);
    c02 = f64x2.add(c02, f64x2.mul(a0, b));
    c12 = f64x2.add(c12, f64x2.mul(a1, b));
    b = v128.load64_splat(bp, 24);
    c03 = f64x2.add(c03, f64x2.mul(a0, b));
    c13 = f64x2.add(c13, f64x2.mul(a1, b));
    ap += 32;
    bp += 32;
  }
  v128.store(c, c00);
  v128.store(c, c10, 16);
  v128.store(c1, c01);
  v128.store(c1, c11, 16);
  v128.store(c2, c02);
  v128.store(c2, c12, 16);
  v128.store(c3, c03);
  v128.store(c3, c13, 16);
}

/** Packs α·op(A)[i0:i0+mc, p0:p0+kc] as MR-row panels (zero-padded), kc steps of MR values each. */
function packA(transA: i32, mc: i32, kc: i32, alpha: f64, a: usize, lda: i32, i0: i32, p0: i32, dst: usize): void {
  const av = f64x2.splat(alpha);
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    if (transA == 0 && rows == MR) {
      for (let p = 0; p < kc; p++) {
        const src = at(a, i0 + ir, p0 + p, lda);
        v128.store(dst, f64x2.mul(av, v128.load(src)));
        v128.store(dst, f64x2.mul(av, v128.load(src, 16)), 16);
        dst += MR << 3;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let i = 0; i < MR; i++) {
        let v: f64 = 0;
        if (i < rows) v = alpha * load<f64>(transA ? at(a, p0 + p, i0 + ir + i, lda) : at(a, i0 + ir + i, p0 + p, lda));
        store<f64>(dst + ((<usize>i) << 3), v);
      }
      dst += MR << 3;
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as NR-column panels (zero-padded), kc steps of NR values each. */
function packB(transB: i32, kc: i32, nc: i32, b: usize, ldb: i32, p0: i32, j0: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      for (let j = 0; j < NR; j++) {
        let v: f64 = 0;
        if (j < cols) v = load<f64>(transB ? at(b, j0 + jr + j, p0 + p, ldb) : at(b, p0 + p, j0 + jr + j, ldb));
        store<f64>(dst + ((<usize>j) << 3), v);
      }
      dst += NR << 3;
    }
  }
}

/**
 * C += α·op(A)·op(B) for the m×n block, blocked for the caches. With lowerFrom ≥ 0 only tiles
 * reaching on or below the diagonal are computed, where C's column j is global column lowerFrom + j
 * (SYRK: the rest is mirrored by the caller).
 */
function product(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  work: usize,
  lowerFrom: i32,
): void {
  const kcMax = min(KC, k);
  const packedA = work;
  const packedB = work + ((<usize>(min(MC, roundUp(m, MR)) * kcMax)) << 3);
  const tile = packedB + ((<usize>(kcMax * min(NC, roundUp(n, NR)))) << 3);
  const ldcBytes = (<usize>ldc) << 3;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, kc, nc, b, ldb, pc, jc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        // Lower-only: a block whose last row is above the block's first column has nothing to do.
        if (lowerFrom >= 0 && ic + mc - 1 < lowerFrom + jc) continue;
        packA(transA, mc, kc, alpha, a, lda, ic, pc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packedB + ((<usize>(jr * kc)) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            if (lowerFrom >= 0 && ic + ir + rows - 1 < lowerFrom + jc + jr) continue;
            const ap = packedA + ((<usize>(ir * kc)) << 3);
            const cp = at(c, ic + ir, jc + jr, ldc);
            if (rows == MR && cols == NR) {
              micro(kc, ap, bp, cp, ldcBytes);
              continue;
            }
            // Edge tile: run the full kernel on a copy, write back only the real entries.
            for (let j = 0; j < NR; j++)
              for (let i = 0; i < MR; i++)
                store<f64>(tile + ((<usize>(i + j * MR)) << 3), i < rows && j < cols ? load<f64>(at(cp, i, j, ldc)) : 0);
            micro(kc, ap, bp, tile, MR << 3);
            for (let j = 0; j < cols; j++)
              for (let i = 0; i < rows; i++) store<f64>(at(cp, i, j, ldc), load<f64>(tile + ((<usize>(i + j * MR)) << 3)));
          }
        }
      }
    }
  }
}

/** C = α·op(A)·op(B) + β·C; op(A) is m×k, op(B) is k×n; trans flags 0 or 1. */
export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  beta: f64,
  c: usize,
  ldc: i32,
  work: usize,
): void {
  scale(m, n, beta, c, ldc);
  if (alpha == 0 || k == 0) return;
  product(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, work, -1);
}

/** gemm over count items; item t uses A + t·strideA, B + t·strideB, C + t·strideC (strides in elements, 0 shares). */
export function gemmBatch(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  strideA: i32,
  b: usize,
  ldb: i32,
  strideB: i32,
  beta: f64,
  c: usize,
  ldc: i32,
  strideC: i32,
  count: i32,
  work: usize,
): void {
  for (let t = 0; t < count; t++) {
    const o = (<usize>t) << 3;
    gemm(transA, transB, m, n, k, alpha, a + o * <usize>strideA, lda, b + o * <usize>strideB, ldb, beta, c + o * <usize>strideC, ldc, work);
  }
}

/**
 * Columns j0 ≤ j < j1 of the lower triangle (and some entries just above the diagonal) of
 * C = α·op(A)·op(A)ᵀ + β·C with C n×n: trans 0 gives A·Aᵀ (A n×k), trans 1 gives Aᵀ·A (A k×n).
 * The caller mirrors the lower triangle once all columns are done.
 */
export function syrkColumns(
  trans: i32,
  n: i32,
  k: i32,
  alpha: f64,
  a: usize,
  lda: i32,
  beta: f64,
  c: usize,
  ldc: i32,
  j0: i32,
  j1: i32,
  work: usize,
): void {
  const cj = at(c, 0, j0, ldc);
  scale(n, j1 - j0, beta, cj, ldc);
  if (alpha == 0 || k == 0) return;
  // op(B) = op(A)ᵀ restricted to columns j0…j1: for A·Aᵀ that is Aᵀ from row j0, for AᵀA it is A from column j0.
  const b = trans ? at(a, 0, j0, lda) : at(a, j0, 0, lda);
  product(trans, 1 - trans, n, j1 - j0, k, alpha, a, lda, b, lda, cj, ldc, work, j0);
}

/** Copies the strict lower triangle of the n×n matrix C onto its upper triangle. */
export function mirrorLower(n: i32, c: usize, ldc: i32): void {
  for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) store<f64>(at(c, j, i, ldc), load<f64>(at(c, i, j, ldc)));
}

/** y = α·op(A)·x + β·y with A m×n; y[i] gets (αA[i,j])·x[j] added for j in order. */
export function gemv(trans: i32, m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, beta: f64, y: usize): void {
  const rows = trans ? n : m;
  scale(rows, 1, beta, y, rows);
  if (alpha == 0 || (trans ? m : n) == 0) return;
  const av = f64x2.splat(alpha);
  if (trans == 0) {
    // Four columns per sweep over y: y[i] += a0·x0, then a1·x1, … in column order.
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const x0 = f64x2.splat(load<f64>(x + ((<usize>j) << 3)));
      const x1 = f64x2.splat(load<f64>(x + ((<usize>(j + 1)) << 3)));
      const x2 = f64x2.splat(load<f64>(x + ((<usize>(j + 2)) << 3)));
      const x3 = f64x2.splat(load<f64>(x + ((<usize>(j + 3)) << 3)));
      const p0 = at(a, 0, j, lda);
      const p1 = at(a, 0, j + 1, lda);
      const p2 = at(a, 0, j + 2, lda);
      const p3 = at(a, 0, j + 3, lda);
      let i = 0;
      for (; i + 1 < m; i += 2) {
        const o = (<usize>i) << 3;
        let acc = v128.load(y + o);
        acc = f64x2.add(acc, f64x2.mul(f64x2.mul(av, v128.load(p0 + o)), x0));
        acc = f64x2.add(acc, f64x2.mul(f64x2.mul(av, v128.load(p1 + o)), x1));
        acc = f64x2.add(acc, f64x2.mul(f64x2.mul(av, v128.load(p2 + o)), x2));
        acc = f64x2.add(acc, f64x2.mul(f64x2.mul(av, v128.load(p3 + o)), x3));
        v128.store(y + o, acc);
      }
      for (; i < m; i++) {
        const o = (<usize>i) << 3;
        let acc = load<f64>(y + o);
        acc += alpha * load<f64>(p0 + o) * f64x2.extract_lane(x0, 0);
        acc += alpha * load<f64>(p1 + o) * f64x2.extract_lane(x1, 0);
        acc += alpha * load<f64>(p2 + o) * f64x2.extract_lane(x2, 0);
        acc += alpha * load<f64>(p3 + o) * f64x2.extract_lane(x3, 0);
        store<f64>(y + o, acc);
      }
    }
    for (; j < n; j++) {
      const xj = load<f64>(x + ((<usize>j) << 3));
      const p = at(a, 0, j, lda);
      for (let i = 0; i < m; i++) {
        const o = (<usize>i) << 3;
        store<f64>(y + o, load<f64>(y + o) + alpha * load<f64>(p + o) * xj);
      }
    }
    return;
  }
  // Transposed: y[j] is a dot product over column j in row order, so the lanes hold columns (j, j+1)
  // rather than rows, keeping that order.
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const p0 = at(a, 0, j, lda);
    const p1 = at(a, 0, j + 1, lda);
    const p2 = at(a, 0, j + 2, lda);
    const p3 = at(a, 0, j + 3, lda);
    let acc0 = v128.load(y + ((<usize>j) << 3));
    let acc1 = v128.load(y + ((<usize>(j + 2)) << 3));
    for (let i = 0; i < m; i++) {
      const o = (<usize>i) << 3;
      const xi = v128.load64_splat(x + o);
      const v0 = v128.load64_lane(p1 + o, v128.load64_zero(p0 + o), 1);
      const v1 = v128.load64_lane(p3 + o, v128.load64_zero(p2 + o), 1);
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(av, v0), xi));
      acc1 = f64x2.add(acc1, f64x2.mul(f64x2.mul(av, v1), xi));
    }
    v128.store(y + ((<usize>j) << 3), acc0);
    v128.store(y + ((<usize>(j + 2)) << 3), acc1);
  }
  for (; j < n; j++) {
    const p = at(a, 0, j, lda);
    let acc = load<f64>(y + ((<usize>j) << 3));
    for (let i = 0; i < m; i++) acc += alpha * load<f64>(p + ((<usize>i) << 3)) * load<f64>(x + ((<usize>i) << 3));
    store<f64>(y + ((<usize>j) << 3), acc);
  }
}

/** ‖x‖₂ of n contiguous doubles, scaled by the largest magnitude so squares cannot overflow. */
function norm2(x: usize, n: i32): f64 {
  let big: f64 = 0;
  for (let i = 0; i < n; i++) big = max(big, abs(load<f64>(x + ((<usize>i) << 3))));
  if (big == 0 || !isFinite(big)) return big;
  const inv = 1 / big;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const t = load<f64>(x + ((<usize>i) << 3)) * inv;
    s += t * t;
  }
  return big * sqrt(s);
}

/**
 * The Householder reflector H = I − τvvᵀ with Hx = (β, 0, …) for x = A[c+1:n, c]: stores β in e[c],
 * v[1:] in place of A[c+2:n, c] (v[0] = 1 is implicit) and returns τ (0 when x is already reduced).
 */
function reflector(n: i32, a: usize, lda: i32, c: i32, e: usize): f64 {
  const alpha = load<f64>(at(a, c + 1, c, lda));
  const tail = at(a, c + 2, c, lda);
  const m = n - c - 2;
  const xnorm = m > 0 ? norm2(tail, m) : 0;
  if (xnorm == 0) {
    store<f64>(e + ((<usize>c) << 3), alpha);
    return 0;
  }
  const big = max(abs(alpha), xnorm);
  const beta = -copysign(big * sqrt((alpha / big) * (alpha / big) + (xnorm / big) * (xnorm / big)), alpha);
  const s = 1 / (alpha - beta);
  for (let i = 0; i < m; i++) store<f64>(tail + ((<usize>i) << 3), s * load<f64>(tail + ((<usize>i) << 3)));
  store<f64>(e + ((<usize>c) << 3), beta);
  return (beta - alpha) / beta;
}

/** Loads the reflector of column c as a full-length vector: 0 above row c+1, 1 at row c+1, then v. */
function reflectorVector(n: i32, a: usize, lda: i32, c: i32, v: usize): void {
  memory.fill(v, 0, (<usize>(c + 1)) << 3);
  store<f64>(v + ((<usize>(c + 1)) << 3), 1);
  if (c + 2 < n) memory.copy(v + ((<usize>(c + 2)) << 3), at(a, c + 2, c, lda), (<usize>(n - c - 2)) << 3);
}

/**
 * One pass over the lower triangle of A[j0:n, j0:n]: the rank-2 update A −= v·wᵀ + w·vᵀ and, on the
 * updated entries, y = A·u (the symmetric product for the next reflector u). Fusing the two reads
 * the trailing matrix once per step instead of twice.
 */
function updateAndMultiply(n: i32, a: usize, lda: i32, j0: i32, v: usize, w: usize, u: usize, y: usize): void {
  memory.fill(y + ((<usize>j0) << 3), 0, (<usize>(n - j0)) << 3);
  for (let j = j0; j < n; j++) {
    const col = at(a, 0, j, lda);
    const jo = (<usize>j) << 3;
    const vj = load<f64>(v + jo);
    const wj = load<f64>(w + jo);
    const uj = load<f64>(u + jo);
    const ajj = load<f64>(col + jo) - (vj * wj + wj * vj);
    store<f64>(col + jo, ajj);
    const vjv = f64x2.splat(vj);
    const wjv = f64x2.splat(wj);
    const ujv = f64x2.splat(uj);
    let dots = f64x2.splat(0);
    let r = j + 1;
    for (; r + 1 < n; r += 2) {
      const o = (<usize>r) << 3;
      const ar = f64x2.sub(v128.load(col + o), f64x2.add(f64x2.mul(v128.load(v + o), wjv), f64x2.mul(v128.load(w + o), vjv)));
      v128.store(col + o, ar);
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(ar, ujv)));
      dots = f64x2.add(dots, f64x2.mul(ar, v128.load(u + o)));
    }
    let dot = f64x2.extract_lane(dots, 0) + f64x2.extract_lane(dots, 1);
    for (; r < n; r++) {
      const o = (<usize>r) << 3;
      const ar = load<f64>(col + o) - (load<f64>(v + o) * wj + load<f64>(w + o) * vj);
      store<f64>(col + o, ar);
      store<f64>(y + o, load<f64>(y + o) + ar * uj);
      dot += ar * load<f64>(u + o);
    }
    store<f64>(y + jo, load<f64>(y + jo) + ajj * uj + dot);
  }
}

/** Bytes of workspace tridiagonalize needs for an n×n matrix. */
export function tridiagonalWorkBytes(n: i32): i32 {
  return (4 * n) << 3;
}

/**
 * Householder reduction of the symmetric n×n matrix A (lower triangle read) to tridiagonal T = QᵀAQ
 * with Q = H₀H₁⋯H_{n−2}: d gets T's diagonal (n), e its subdiagonal (n−1), tau the reflectors' τ
 * (n−1); the reflectors' vectors replace A below the subdiagonal (LAPACK's dsytd2 layout).
 */
export function tridiagonalize(n: i32, a: usize, lda: i32, d: usize, e: usize, tau: usize, work: usize): void {
  if (n == 0) return;
  let v = work;
  let u = work + ((<usize>n) << 3);
  const w = work + ((<usize>(2 * n)) << 3);
  const y = work + ((<usize>(3 * n)) << 3);
  if (n > 1) {
    store<f64>(tau, reflector(n, a, lda, 0, e));
    reflectorVector(n, a, lda, 0, v);
    // y = A[1:, 1:]·v₀ (a pass with a zero update).
    memory.fill(w, 0, (<usize>n) << 3);
    memory.fill(u, 0, (<usize>n) << 3);
    updateAndMultiply(n, a, lda, 1, u, w, v, y);
  }
  for (let i = 0; i < n - 1; i++) {
    const t = load<f64>(tau + ((<usize>i) << 3));
    // w = τy − ½τ²(yᵀv)·v over rows i+1…n−1, so that A −= vwᵀ + wvᵀ applies H·A·H.
    let dot: f64 = 0;
    for (let r = i + 1; r < n; r++) dot += t * load<f64>(y + ((<usize>r) << 3)) * load<f64>(v + ((<usize>r) << 3));
    const alpha = -0.5 * t * dot;
    for (let r = i + 1; r < n; r++) {
      const o = (<usize>r) << 3;
      store<f64>(w + o, t * load<f64>(y + o) + alpha * load<f64>(v + o));
    }
    const c = i + 1;
    if (c < n - 1) {
      // Update column c first: the next reflector comes from it; then the rest in one fused pass.
      const wc = load<f64>(w + ((<usize>c) << 3));
      const vc = load<f64>(v + ((<usize>c) << 3));
      for (let r = c; r < n; r++) {
        const o = (<usize>r) << 3;
        const p = at(a, r, c, lda);
        store<f64>(p, load<f64>(p) - (load<f64>(v + o) * wc + load<f64>(w + o) * vc));
      }
      store<f64>(tau + ((<usize>c) << 3), reflector(n, a, lda, c, e));
      reflectorVector(n, a, lda, c, u);
      updateAndMultiply(n, a, lda, c + 1, v, w, u, y);
    } else {
      const o = (<usize>c) << 3;
      const p = at(a, c, c, lda);
      store<f64>(p, load<f64>(p) - (load<f64>(v + o) * load<f64>(w + o) + load<f64>(w + o) * load<f64>(v + o)));
    }
    store<f64>(d + ((<usize>i) << 3), load<f64>(at(a, i, i, lda)));
    const swap = v;
    v = u;
    u = swap;
  }
  store<f64>(d + ((<usize>(n - 1)) << 3), load<f64>(at(a, n - 1, n - 1, lda)));
}

/** Z = Q·Z for the n×k matrix Z, with Q = H₀H₁⋯H_{n−2} as left in A and tau by tridiagonalize. */
export function applyReflectors(n: i32, a: usize, lda: i32, tau: usize, z: usize, ldz: i32, k: i32): void {
  for (let col = 0; col < k; col++) {
    const x = at(z, 0, col, ldz);
    for (let i = n - 2; i >= 0; i--) {
      const t = load<f64>(tau + ((<usize>i) << 3));
      if (t == 0) continue;
      const vcol = at(a, 0, i, lda);
      let s = load<f64>(x + ((<usize>(i + 1)) << 3));
      for (let r = i + 2; r < n; r++) s += load<f64>(vcol + ((<usize>r) << 3)) * load<f64>(x + ((<usize>r) << 3));
      s *= t;
      store<f64>(x + ((<usize>(i + 1)) << 3), load<f64>(x + ((<usize>(i + 1)) << 3)) - s);
      for (let r = i + 2; r < n; r++) {
        const o = (<usize>r) << 3;
        store<f64>(x + o, load<f64>(x + o) - s * load<f64>(vcol + o));
      }
    }
  }
}
