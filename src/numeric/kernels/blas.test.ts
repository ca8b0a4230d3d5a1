/**
 * The WebAssembly products (on the calling thread and split over helper threads) against the
 * TypeScript reference: random shapes (empty, 1×n, n×1, primes, sizes off the 4×4 tile and the
 * 256/128 cache blocks), transposes, α, β. Tolerance: none — both keep the same summation order,
 * so every entry must be the same double (NaN where the reference has NaN).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { denseProductPays, gemm, gemmBatch, gemmBatchWasm, gemmWasm, gemv, gemvWasm, matmul, syrk, syrkWasm } from './blas';
import { helperCount, setKernelThreads } from './pool';
import { withResident } from './wasm';
import { gemmReference, gemvReference, syrkReference } from './reference';

/** Deterministic entries in [-1, 1) with a few exact zeros (the products must not skip them). */
function filled(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s % 17 === 0 ? 0 : s / 2 ** 31 - 1;
  }
  return a;
}

/** Same doubles at every index, or where the first difference is. */
function assertSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: entry ${i} is ${actual[i]}, the reference has ${expected[i]}`);
}

const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 13, 31, 64, 127, 131, 257), fc.integer({ min: 1, max: 90 }));
const scalar = fc.constantFrom(0, 1, -1, 0.5, 1.7);
const RUNS = { seed: 16, numRuns: 60 };

test('gemm: WebAssembly (one thread and split) gives the reference bits for every shape, transpose, α and β', () => {
  fc.assert(
    fc.property(dim, dim, dim, fc.boolean(), fc.boolean(), scalar, scalar, fc.integer(), (m, n, k, transA, transB, alpha, beta, seed) => {
      const a = filled(m * k, seed);
      const b = filled(k * n, seed + 1);
      const c = filled(m * n, seed + 2);
      const o = { transA, transB, alpha, beta };
      const expected = gemmReference(m, n, k, a, b, Float64Array.from(c), o);
      const what = `gemm m=${m} n=${n} k=${k} ${JSON.stringify(o)}`;
      assertSameBits(gemmWasm(m, n, k, a, b, Float64Array.from(c), o, 1), expected, what);
      assertSameBits(gemmWasm(m, n, k, a, b, Float64Array.from(c), o, 0), expected, `${what} (split)`);
      assertSameBits(gemm(m, n, k, a, b, Float64Array.from(c), o), expected, `${what} (auto)`);
    }),
    RUNS,
  );
});

test('gemm across the cache blocks (k > 256, m > 128) and split over two threads', () => {
  setKernelThreads(2);
  try {
    for (const [m, n, k] of [
      [300, 9, 513],
      [129, 260, 257],
      [5, 700, 300],
    ] as const) {
      const [a, b] = [filled(m * k, m), filled(k * n, n)];
      const expected = gemmReference(m, n, k, a, b, new Float64Array(m * n));
      assertSameBits(gemmWasm(m, n, k, a, b, new Float64Array(m * n), {}, 1), expected, `gemm ${m}×${k}·${k}×${n}`);
      assertSameBits(gemmWasm(m, n, k, a, b, new Float64Array(m * n), {}, 0), expected, `gemm ${m}×${k}·${k}×${n} split`);
    }
    assert.ok(helperCount() >= 1, 'a helper thread started');
  } finally {
    setKernelThreads(Infinity);
  }
});

test('syrk: AᵀA and AAᵀ give the reference bits, and gemm with a transpose, mirrored', () => {
  fc.assert(
    fc.property(dim, dim, fc.boolean(), scalar, scalar, fc.integer(), (n, k, trans, alpha, beta, seed) => {
      const a = filled(n * k, seed);
      const c = filled(n * n, seed + 1);
      for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) c[j + i * n] = c[i + j * n]!;
      const o = { trans, alpha, beta };
      const expected = syrkReference(n, k, a, Float64Array.from(c), o);
      const what = `syrk n=${n} k=${k} ${JSON.stringify(o)}`;
      assertSameBits(syrkWasm(n, k, a, Float64Array.from(c), o, 1), expected, what);
      assertSameBits(syrkWasm(n, k, a, Float64Array.from(c), o, 0), expected, `${what} (split)`);
      assertSameBits(syrk(n, k, a, Float64Array.from(c), o), expected, `${what} (auto)`);
      // The lower triangle is gemm's; the upper one is its mirror ((αa)·b and (αb)·a may round apart).
      const viaGemm = gemmReference(n, n, k, a, a, Float64Array.from(c), { transA: trans, transB: !trans, alpha, beta });
      for (let j = 0; j < n; j++) for (let i = j; i < n; i++) viaGemm[j + i * n] = viaGemm[i + j * n]!;
      assertSameBits(expected, viaGemm, `${what} vs gemm`);
    }),
    RUNS,
  );
});

test('gemv: both orientations give the reference bits, and matmul with one column or row equals gemm', () => {
  fc.assert(
    fc.property(dim, dim, fc.boolean(), scalar, scalar, fc.integer(), (m, n, trans, alpha, beta, seed) => {
      const a = filled(m * n, seed);
      const x = filled(trans ? m : n, seed + 1);
      const y = filled(trans ? n : m, seed + 2);
      const o = { trans, alpha, beta };
      const expected = gemvReference(m, n, a, x, Float64Array.from(y), o);
      assertSameBits(gemvWasm(m, n, a, x, Float64Array.from(y), o), expected, `gemv ${m}×${n} ${JSON.stringify(o)}`);
      assertSameBits(gemv(m, n, a, x, Float64Array.from(y), o), expected, `gemv ${m}×${n} auto`);
    }),
    RUNS,
  );
  for (const [m, k] of [
    [200, 70],
    [1, 300],
    [3, 1],
  ] as const) {
    const [a, x] = [filled(m * k, 1), filled(k, 2)];
    assertSameBits(matmul(a, x, m, k, 1), gemmReference(m, 1, k, a, x, new Float64Array(m)), `matmul ${m}×${k}·${k}×1`);
    assertSameBits(matmul(x, a, 1, k, m), gemmReference(1, m, k, x, a, new Float64Array(m)), `matmul 1×${k}·${k}×${m}`);
  }
});

test('gemmBatch: back-to-back and shared operands give each item the reference bits', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      dim,
      dim,
      dim,
      fc.boolean(),
      fc.boolean(),
      fc.integer(),
      (count, m, n, k, shareA, shareB, seed) => {
        const [sa, sb] = [shareA ? 0 : m * k, shareB ? 0 : k * n];
        const a = filled(Math.max(1, count) * m * k, seed);
        const b = filled(Math.max(1, count) * k * n, seed + 1);
        const o = { strideA: sa, strideB: sb, alpha: 1.5 };
        const expected = new Float64Array(count * m * n);
        for (let t = 0; t < count; t++)
          gemmReference(m, n, k, a.subarray(t * sa), b.subarray(t * sb), expected.subarray(t * m * n, (t + 1) * m * n), o);
        const what = `gemmBatch ${count}×(${m}×${k}·${k}×${n}) shared A ${shareA} B ${shareB}`;
        assertSameBits(gemmBatchWasm(count, m, n, k, a, b, new Float64Array(count * m * n), o, 1), expected, what);
        assertSameBits(gemmBatchWasm(count, m, n, k, a, b, new Float64Array(count * m * n), o, 0), expected, `${what} (split)`);
        assertSameBits(gemmBatch(count, m, n, k, a, b, new Float64Array(count * m * n), o), expected, `${what} (auto)`);
      },
    ),
    RUNS,
  );
});

test('NaN and Inf propagate as in the reference (0·Inf is NaN), and β = 0 discards what C held', () => {
  const [m, n, k] = [9, 10, 50];
  const a = filled(m * k, 3);
  const b = filled(k * n, 4);
  a[5] = Infinity;
  b[7] = 0;
  b[60] = NaN;
  const c = new Float64Array(m * n).fill(NaN);
  const expected = gemmReference(m, n, k, a, b, new Float64Array(m * n));
  assert.ok(expected.some(Number.isNaN) && expected.some((x) => x === Infinity || x === -Infinity) && expected.some(Number.isFinite));
  assertSameBits(gemmWasm(m, n, k, a, b, c), expected, 'gemm with NaN and Inf');
});

test('bad shapes and short arrays are RangeErrors naming what is wrong', () => {
  assert.throws(() => gemm(2, 2, 2, new Float64Array(3), new Float64Array(4), new Float64Array(4)), /A has 3 entries, 4 needed/);
  assert.throws(
    () => gemmWasm(40, 40, 40, new Float64Array(1600), new Float64Array(1599), new Float64Array(1600)),
    /B has 1599 entries, 1600 needed/,
  );
  assert.throws(() => syrk(2.5, 2, new Float64Array(10), new Float64Array(10)), /not a whole number/);
  assert.throws(() => gemv(100, 100, new Float64Array(10000), new Float64Array(99), new Float64Array(100)), /x has 99 entries, 100 needed/);
  assert.throws(() => gemmBatch(2, 2, 2, 2, new Float64Array(8), new Float64Array(8), new Float64Array(8), { strideC: 0 }), /C stride 0/);
});

test('the dense kernels are chosen only for enough work on a mostly nonzero B', () => {
  const dense = filled(64 * 64, 9);
  const identity = new Float64Array(64 * 64);
  for (let i = 0; i < 64; i++) identity[i * 65] = 1;
  assert.equal(denseProductPays(dense, 64, 64, 64), true);
  assert.equal(denseProductPays(identity, 64, 64, 64), false);
  assert.equal(denseProductPays(dense, 2, 2, 2), false);
});

test('operands made resident give the bits of fresh copies, and an output written meanwhile is not read stale', () => {
  const [m, n, k] = [96, 80, 70];
  const a = filled(m * k, 31);
  const b = filled(k * n, 32);
  const x = filled(k, 33);
  const expected = gemmReference(m, n, k, a, b, new Float64Array(m * n));
  const expectedV = gemvReference(m, k, a, x, new Float64Array(m));
  withResident([a, b, x], () => {
    assertSameBits(gemm(m, n, k, a, b, new Float64Array(m * n)), expected, 'gemm on resident A and B');
    assertSameBits(gemm(m, n, k, a, b, new Float64Array(m * n)), expected, 'gemm on resident A and B, again');
    assertSameBits(gemv(m, k, a, x, new Float64Array(m)), expectedV, 'gemv on resident A');
    // b is written (as C): later products must read its new entries, not the copy taken before.
    gemm(k, n, k, filled(k * k, 35), filled(k * n, 36), b);
    const written = Float64Array.from(b);
    assertSameBits(
      gemm(m, n, k, a, b, new Float64Array(m * n)),
      gemmReference(m, n, k, a, written, new Float64Array(m * n)),
      'gemm after B was written',
    );
  });
  // Outside the scope the operands are copied per call again: b's new entries are read.
  assertSameBits(
    gemm(m, n, k, a, b, new Float64Array(m * n)),
    gemmReference(m, n, k, a, Float64Array.from(b), new Float64Array(m * n)),
    'gemm after the scope',
  );
});
