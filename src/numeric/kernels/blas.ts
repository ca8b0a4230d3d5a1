/**
 * GEMM, SYRK, GEMV and batched GEMM on column-major Float64Arrays. Small calls run the TypeScript
 * reference, larger ones the WebAssembly kernels, the largest split over the kernel threads; all
 * three give the same bits (see reference.ts), so the thresholds only decide speed.
 */
import { kernelThreads, runSplit } from './pool';
import { type GemmOptions, type GemvOptions, type SyrkOptions, gemmReference, gemvReference, syrkReference } from './reference';
import { KernelMemoryError, invalidateResident, kernels, wasmAvailable, withArena } from './wasm';

/**
 * Multiply-adds (m·n·k) from which the WebAssembly kernels beat the TypeScript loop, copies in and
 * out included (`npm run bench`, bench/kernels.bench.ts).
 */
export const WASM_MIN_WORK = 2048;
/**
 * Multiply-adds from which a product is split over the kernel threads (512³, about 9 ms on one
 * thread). Below it, waking a helper and waiting for its last chunk cost more than the second core
 * gains whenever the machine is busy (a descheduled helper holds its chunk for a time slice: 256³
 * took 2.6 ms on one thread and up to 7 ms split on the shared 2-vCPU VM); see bench/RESULTS.md.
 */
export const PARALLEL_MIN_WORK = 1 << 27;
/** Rows or columns per split record, at least (each record packs the other operand once). */
const MIN_CHUNK = 64;
/** Register tile of the WebAssembly GEMM: chunk boundaries fall on multiples of it. */
const TILE = 4;
/** Records per thread in a split call: they are taken dynamically, so a few each balance the threads. */
const PIECES_PER_THREAD = 4;

function check(what: string, array: ArrayLike<number>, needed: number): void {
  if (array.length < needed) throw new RangeError(`${what} has ${array.length} entries, ${needed} needed`);
}

function checkDims(...dims: number[]): void {
  for (const d of dims) if (!Number.isInteger(d) || d < 0) throw new RangeError(`matrix dimension ${d} is not a whole number >= 0`);
}

/**
 * Chunk boundaries 0 = b₀ < b₁ < … = size on multiples of TILE, shrinking towards the end (guided
 * scheduling: each takes 1/(2·threads) of what is left, at least MIN_CHUNK), so that a thread
 * starting the last chunk late delays the call little.
 */
function split(size: number, threads: number): number[] {
  const bounds = [0];
  for (let at = 0; at < size;) {
    at = Math.min(size, at + Math.max(MIN_CHUNK, Math.ceil((size - at) / (2 * threads) / TILE) * TILE));
    bounds.push(at);
  }
  return bounds;
}

/** C = α·op(A)·op(B) + β·C in place (C m×n); returns C. */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmOptions = {},
): Float64Array {
  const work = m * n * k;
  checkGemm(m, n, k, a, b, c);
  invalidateResident(c);
  if (work < WASM_MIN_WORK || !wasmAvailable()) return gemmReference(m, n, k, a, b, c, o);
  return orReference(
    () => gemmWasm(m, n, k, a, b, c, o, work >= PARALLEL_MIN_WORK ? 0 : 1),
    () => gemmReference(m, n, k, a, b, c, o),
  );
}

/** The WebAssembly call, or the reference (same bits) when the WebAssembly memory cannot hold the operands. */
function orReference<T>(fast: () => T, reference: () => T): T {
  try {
    return fast();
  } catch (e) {
    if (e instanceof KernelMemoryError) return reference();
    throw e;
  }
}

function checkGemm(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array): void {
  checkDims(m, n, k);
  check('A', a, m * k);
  check('B', b, k * n);
  check('C', c, m * n);
}

/**
 * gemm on the WebAssembly kernels; threads 1 keeps it on the calling thread, 0 splits it into
 * row or column blocks over the kernel threads (pool.ts).
 */
export function gemmWasm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmOptions = {},
  threads = 1,
): Float64Array {
  checkGemm(m, n, k, a, b, c);
  const alpha = o.alpha ?? 1;
  const beta = o.beta ?? 0;
  const [ta, tb] = [o.transA ? 1 : 0, o.transB ? 1 : 0];
  const [lda, ldb] = [ta ? k : m, tb ? n : k];
  withArena((arena) => {
    const pa = arena.operand(a, m * k);
    const pb = arena.operand(b, k * n);
    const pc = beta === 0 ? arena.alloc(m * n) : arena.put(c.subarray(0, m * n));
    const calls: number[][] = [];
    if (threads === 1 || m * n === 0) calls.push([ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, m]);
    else if (n >= m) {
      const bounds = split(n, kernelThreads());
      for (let t = 0; t + 1 < bounds.length; t++) {
        const [j0, j1] = [bounds[t]!, bounds[t + 1]!];
        calls.push([ta, tb, m, j1 - j0, k, alpha, pa, lda, pb + 8 * (tb ? j0 : j0 * ldb), ldb, beta, pc + 8 * j0 * m, m]);
      }
    } else {
      const bounds = split(m, kernelThreads());
      for (let t = 0; t + 1 < bounds.length; t++) {
        const [i0, i1] = [bounds[t]!, bounds[t + 1]!];
        calls.push([ta, tb, i1 - i0, n, k, alpha, pa + 8 * (ta ? i0 * lda : i0), lda, pb, ldb, beta, pc + 8 * i0, m]);
      }
    }
    const biggest = calls.reduce((s, args) => Math.max(s, kernels().gemmWorkBytes(args[2]!, args[3]!, k)), 0);
    runSplit('gemm', calls, biggest);
    invalidateResident(c);
    c.set(arena.f64().subarray(pc / 8, pc / 8 + m * n));
  });
  return c;
}

/** C = α·op(A)·op(A)ᵀ + β·C in place (C n×n, symmetric on input when β ≠ 0, symmetric on output). */
export function syrk(n: number, k: number, a: Float64Array, c: Float64Array, o: SyrkOptions = {}): Float64Array {
  const work = (n * n * k) / 2;
  checkSyrk(n, k, a, c);
  invalidateResident(c);
  if (work < WASM_MIN_WORK || !wasmAvailable()) return syrkReference(n, k, a, c, o);
  return orReference(
    () => syrkWasm(n, k, a, c, o, work >= PARALLEL_MIN_WORK ? 0 : 1),
    () => syrkReference(n, k, a, c, o),
  );
}

function checkSyrk(n: number, k: number, a: Float64Array, c: Float64Array): void {
  checkDims(n, k);
  check('A', a, n * k);
  check('C', c, n * n);
}

/** syrk on the WebAssembly kernels; threads as for gemmWasm (column blocks of equal area). */
export function syrkWasm(n: number, k: number, a: Float64Array, c: Float64Array, o: SyrkOptions = {}, threads = 1): Float64Array {
  checkSyrk(n, k, a, c);
  const alpha = o.alpha ?? 1;
  const beta = o.beta ?? 0;
  const trans = o.trans ? 1 : 0;
  const lda = trans ? k : n;
  withArena((arena) => {
    const pa = arena.operand(a, n * k);
    const pc = beta === 0 ? arena.alloc(n * n) : arena.put(c.subarray(0, n * n));
    const calls: number[][] = [];
    // The lower triangle left of column j has n·j − j²/2 entries: equal areas end at n(1 − √(1 − t/T)).
    const pieces = threads === 1 ? 1 : Math.max(1, Math.min(PIECES_PER_THREAD * kernelThreads(), Math.floor(n / MIN_CHUNK)));
    let j0 = 0;
    for (let t = 1; t <= pieces; t++) {
      const j1 = t === pieces ? n : Math.min(n, Math.ceil((n * (1 - Math.sqrt(1 - t / pieces))) / TILE) * TILE);
      if (j1 > j0) calls.push([trans, n, k, alpha, pa, lda, beta, pc, n, j0, j1]);
      j0 = Math.max(j0, j1);
    }
    if (calls.length === 0) calls.push([trans, n, k, alpha, pa, lda, beta, pc, n, 0, n]);
    runSplit('syrkColumns', calls, kernels().gemmWorkBytes(n, n, k));
    kernels().mirrorLower(n, pc, n);
    invalidateResident(c);
    c.set(arena.f64().subarray(pc / 8, pc / 8 + n * n));
  });
  return c;
}

/** y = α·op(A)·x + β·y in place (A m×n); returns y. */
export function gemv(m: number, n: number, a: Float64Array, x: Float64Array, y: Float64Array, o: GemvOptions = {}): Float64Array {
  checkGemv(m, n, a, x, y, !!o.trans);
  invalidateResident(y);
  if (m * n < WASM_MIN_WORK || !wasmAvailable()) return gemvReference(m, n, a, x, y, o);
  return orReference(
    () => gemvWasm(m, n, a, x, y, o),
    () => gemvReference(m, n, a, x, y, o),
  );
}

function checkGemv(m: number, n: number, a: Float64Array, x: Float64Array, y: Float64Array, trans: boolean): void {
  checkDims(m, n);
  check('A', a, m * n);
  check('x', x, trans ? m : n);
  check('y', y, trans ? n : m);
}

export function gemvWasm(m: number, n: number, a: Float64Array, x: Float64Array, y: Float64Array, o: GemvOptions = {}): Float64Array {
  const trans = !!o.trans;
  checkGemv(m, n, a, x, y, trans);
  const beta = o.beta ?? 0;
  const [xs, ys] = trans ? [m, n] : [n, m];
  withArena((arena) => {
    const pa = arena.operand(a, m * n);
    const px = arena.operand(x, xs);
    const py = beta === 0 ? arena.alloc(ys) : arena.put(y.subarray(0, ys));
    kernels().gemv(trans ? 1 : 0, m, n, o.alpha ?? 1, pa, m, px, beta, py);
    invalidateResident(y);
    y.set(arena.f64().subarray(py / 8, py / 8 + ys));
  });
  return y;
}

export interface GemmBatchOptions extends GemmOptions {
  /** Elements between consecutive A matrices (default m·k; 0 shares one A). Likewise for B and C. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

/** gemm for `count` independent products stored back to back (or shared through a zero stride). */
export function gemmBatch(
  count: number,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmBatchOptions = {},
): Float64Array {
  const work = count * m * n * k;
  invalidateResident(c);
  if (work < WASM_MIN_WORK) {
    const { sa, sb, sc } = checkBatch(count, m, n, k, a, b, c, o);
    for (let t = 0; t < count; t++) gemmReference(m, n, k, a.subarray(t * sa), b.subarray(t * sb), c.subarray(t * sc, t * sc + m * n), o);
    return c;
  }
  return gemmBatchWasm(count, m, n, k, a, b, c, o, work >= PARALLEL_MIN_WORK ? 0 : 1);
}

function checkBatch(
  count: number,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmBatchOptions,
) {
  checkDims(count, m, n, k);
  const sa = o.strideA ?? m * k;
  const sb = o.strideB ?? k * n;
  const sc = o.strideC ?? m * n;
  checkDims(sa, sb, sc);
  if (count > 1 && sc < m * n) throw new RangeError(`C stride ${sc} is less than one m×n result (${m * n})`);
  if (count > 0) {
    check('A', a, (count - 1) * sa + m * k);
    check('B', b, (count - 1) * sb + k * n);
    check('C', c, (count - 1) * sc + m * n);
  }
  return { sa, sb, sc };
}

/** gemmBatch on the WebAssembly kernels; threads 0 splits the items over the kernel threads. */
export function gemmBatchWasm(
  count: number,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  o: GemmBatchOptions = {},
  threads = 1,
): Float64Array {
  const { sa, sb, sc } = checkBatch(count, m, n, k, a, b, c, o);
  if (count === 0) return c;
  const alpha = o.alpha ?? 1;
  const beta = o.beta ?? 0;
  const [ta, tb] = [o.transA ? 1 : 0, o.transB ? 1 : 0];
  const sizes = [(count - 1) * sa + m * k, (count - 1) * sb + k * n, (count - 1) * sc + m * n];
  withArena((arena) => {
    const pa = arena.operand(a, sizes[0]!);
    const pb = arena.operand(b, sizes[1]!);
    const pc = beta === 0 && sc === m * n ? arena.alloc(sizes[2]!) : arena.put(c.subarray(0, sizes[2]));
    const pieces = threads === 1 ? 1 : Math.min(count, PIECES_PER_THREAD * kernelThreads());
    const calls: number[][] = [];
    for (let t = 0; t < pieces; t++) {
      const [t0, t1] = [Math.floor((t * count) / pieces), Math.floor(((t + 1) * count) / pieces)];
      if (t1 > t0)
        calls.push([
          ta,
          tb,
          m,
          n,
          k,
          alpha,
          pa + 8 * t0 * sa,
          ta ? k : m,
          sa,
          pb + 8 * t0 * sb,
          tb ? n : k,
          sb,
          beta,
          pc + 8 * t0 * sc,
          m,
          sc,
          t1 - t0,
        ]);
    }
    runSplit('gemmBatch', calls, kernels().gemmWorkBytes(m, n, k));
    invalidateResident(c);
    c.set(arena.f64().subarray(pc / 8, pc / 8 + sizes[2]!));
  });
  return c;
}

/**
 * A·B for column-major A (m×k) and B (k×n): a new m×n array. A product with one column or one
 * row runs as a GEMV (the GEMM tile would pad it to four); same bits either way.
 */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  if (n === 1) return gemv(m, k, a, b, new Float64Array(m));
  if (m === 1) return gemv(k, n, b, a, new Float64Array(n), { trans: true });
  return gemm(m, n, k, a, b, new Float64Array(m * n));
}

/** B's nonzero fraction below which a loop that skips B's zeros beats the dense kernels. */
const DENSE_MIN_FRACTION = 1 / 8;

/**
 * Whether matmul's kernels beat a plain loop that skips B's zero entries (evaluate.ts): enough
 * work, and B not mostly zeros (identity, commutation and Kronecker factors often are).
 */
export function denseProductPays(b: Float64Array, m: number, k: number, n: number): boolean {
  if (m * k * n < WASM_MIN_WORK) return false;
  const size = k * n;
  const needed = Math.ceil(size * DENSE_MIN_FRACTION);
  let nonzero = 0;
  for (let i = 0; i < size && nonzero < needed; i++) if (b[i] !== 0) nonzero++;
  return nonzero >= needed;
}
