/**
 * Selected eigenpairs against the full decompositions (linalg.ts symmetricEigen and ml-matrix) and
 * against their definitions. Tolerances, with ‖A‖ the largest |λ|: eigenvalues within
 * 1e-12·max(1, ‖A‖)·√n of the references; residuals ‖Av − λv‖∞ ≤ 1e-12·max(1, ‖A‖)·√n; eigenvectors
 * orthonormal to 1e-10 (within clusters too). The WebAssembly and TypeScript tridiagonalisations must
 * give the same spectrum to those tolerances.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { symmetricEigen } from '../linalg';
import { Stream, streamKey } from '../rng';
import {
  type Eigenpairs,
  applyReflectors,
  dominantEigenpair,
  largestEigenpairs,
  smallestEigenpairs,
  symmetricEigenpairs,
  tridiagonalEigenvalues,
  tridiagonalEigenvectors,
  tridiagonalizeWasm,
} from './eigen';
import { applyReflectorsReference, tridiagonalizeReference } from './reference';

function randomSymmetric(n: number, seed: number, scale = 1): Float64Array {
  const rng = new Stream(streamKey(seed));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = scale * rng.normal();
  return a;
}

function mlMatrixValues(a: Float64Array, n: number): number[] {
  if (n === 0) return [];
  const m = new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n))));
  return new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
}

function tolerance(values: ArrayLike<number>, n: number): number {
  let norm = 1;
  for (let i = 0; i < values.length; i++) norm = Math.max(norm, Math.abs(values[i]!));
  return 1e-12 * norm * Math.sqrt(Math.max(1, n));
}

/** A v = λ v for every pair, and VᵀV = I. */
function assertEigenpairs(a: Float64Array, n: number, p: Eigenpairs, tol: number, what: string): void {
  const k = p.values.length;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i + j * n]! * p.vectors[j + c * n]!;
      const r = Math.abs(av - p.values[c]! * p.vectors[i + c * n]!);
      if (!(r <= tol)) assert.fail(`${what}: residual ${r} > ${tol} in row ${i} of pair ${c} (λ = ${p.values[c]})`);
    }
    for (let d = 0; d <= c; d++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += p.vectors[i + c * n]! * p.vectors[i + d * n]!;
      const want = c === d ? 1 : 0;
      if (!(Math.abs(dot - want) <= 1e-10)) assert.fail(`${what}: v${c}·v${d} = ${dot}, want ${want}`);
    }
  }
}

const order = fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 7, 23, 24, 25, 31, 64, 97), fc.integer({ min: 1, max: 60 }));

test('selected eigenvalues equal the full decompositions (linalg and ml-matrix); WebAssembly and TypeScript reductions agree', () => {
  fc.assert(
    fc.property(order, fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom(1e-3, 1, 1e3), (n, seed, scale) => {
      const a = randomSymmetric(n, seed, scale);
      const full = symmetricEigen(a, n, true).values;
      const ml = mlMatrixValues(a, n);
      const tol = tolerance(full, n);
      const fromWasm = tridiagonalEigenvalues(tridiagonalizeWasm(a, n), 0, n);
      const fromTs = tridiagonalEigenvalues(tridiagonalizeReference(a, n), 0, n);
      for (let i = 0; i < n; i++) {
        const where = `n=${n} seed=${seed} scale=${scale} λ_${i}`;
        assert.ok(Math.abs(fromWasm[i]! - full[i]!) <= tol, `${where}: WebAssembly ${fromWasm[i]} vs linalg ${full[i]}`);
        assert.ok(Math.abs(fromTs[i]! - full[i]!) <= tol, `${where}: TypeScript ${fromTs[i]} vs linalg ${full[i]}`);
        assert.ok(Math.abs(fromWasm[i]! - ml[i]!) <= tol, `${where}: WebAssembly ${fromWasm[i]} vs ml-matrix ${ml[i]}`);
      }
    }),
    { seed: 16, numRuns: 40 },
  );
});

test('k smallest and k largest eigenpairs: definitions and the reference values', () => {
  fc.assert(
    fc.property(order, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1 << 20 }), (n, k, seed) => {
      const a = randomSymmetric(n, seed);
      const full = symmetricEigen(a, n, true).values;
      const tol = tolerance(full, n);
      const small = smallestEigenpairs(a, n, k);
      const large = largestEigenpairs(a, n, k);
      const kk = Math.min(k, n);
      assert.equal(small.values.length, kk);
      for (let i = 0; i < kk; i++) {
        assert.ok(Math.abs(small.values[i]! - full[i]!) <= tol, `n=${n}: λ_${i} ${small.values[i]} vs ${full[i]}`);
        assert.ok(
          Math.abs(large.values[i]! - full[n - kk + i]!) <= tol,
          `n=${n}: λ_${n - kk + i} ${large.values[i]} vs ${full[n - kk + i]}`,
        );
      }
      assertEigenpairs(a, n, small, tol, `smallest n=${n} seed=${seed}`);
      assertEigenpairs(a, n, large, tol, `largest n=${n} seed=${seed}`);
    }),
    { seed: 16, numRuns: 40 },
  );
});

test('repeated and clustered eigenvalues get orthonormal eigenvectors', () => {
  // Q·diag(λ)·Qᵀ with λ = 1 (×6), 1 + 1e-9 (×2), then spread; Q from the reflectors of a random matrix.
  const n = 40;
  const lambda = Float64Array.from({ length: n }, (_, i) => (i < 6 ? 1 : i < 8 ? 1 + 1e-9 : 2 + i));
  const t = tridiagonalizeReference(randomSymmetric(n, 5), n);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i + i * n] = 1;
  applyReflectorsReference(t, q, n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let p = 0; p < n; p++) a[i + j * n]! += q[i + p * n]! * lambda[p]! * q[j + p * n]!;
  const p = smallestEigenpairs(a, n, 9);
  assertEigenpairs(a, n, p, tolerance(lambda, n), 'clustered');
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(p.values[i]! - lambda[i]!) <= 1e-12 * 50, `λ_${i} = ${p.values[i]}, want ${lambda[i]}`);
  // A diagonal matrix with a repeated smallest eigenvalue.
  const diag = new Float64Array(n * n);
  for (let i = 0; i < n; i++) diag[i + i * n] = i < 10 ? -3 : i;
  assertEigenpairs(diag, n, smallestEigenpairs(diag, n, 10), 1e-12, 'repeated diagonal');
});

test('dominant eigenpair is the largest |λ|, negative or positive', () => {
  for (const [n, seed] of [
    [1, 1],
    [2, 2],
    [30, 3],
    [65, 4],
  ] as const) {
    const a = randomSymmetric(n, seed);
    for (const sign of [1, -1]) {
      const s = a.map((x, i) => sign * x + (i % (n + 1) === 0 ? sign * 0.5 * n : 0));
      const full = symmetricEigen(s, n, true).values;
      const want = Math.abs(full[0]!) > Math.abs(full[n - 1]!) ? full[0]! : full[n - 1]!;
      const d = dominantEigenpair(s, n);
      assert.ok(Math.abs(d.value - want) <= tolerance(full, n), `n=${n} sign=${sign}: ${d.value} vs ${want}`);
      assertEigenpairs(s, n, { values: Float64Array.of(d.value), vectors: d.vector }, tolerance(full, n), `dominant n=${n}`);
    }
  }
  assert.throws(() => dominantEigenpair(new Float64Array(0), 0), /0×0/);
});

test('index ranges, values only, the non-symmetric input symmetrised, and errors', () => {
  const n = 33;
  const a = randomSymmetric(n, 7);
  const full = symmetricEigen(a, n, true).values;
  const mid = symmetricEigenpairs(a, n, 10, 14, { vectors: false });
  assert.equal(mid.vectors.length, 0);
  mid.values.forEach((v, i) => assert.ok(Math.abs(v - full[10 + i]!) <= tolerance(full, n)));
  // Only the symmetric part counts: adding an antisymmetric matrix changes nothing.
  const skewed = a.map((x, idx) => x + ((idx % n) - Math.floor(idx / n)) * 1e-3);
  smallestEigenpairs(skewed, n, 2).values.forEach((v, i) => assert.ok(Math.abs(v - full[i]!) <= tolerance(full, n)));
  assert.throws(() => symmetricEigenpairs(a, n, 3, 40), /indices 3…39 are not within 0…32/);
  assert.throws(() => smallestEigenpairs(new Float64Array(3), 2, 1), /needs 4 entries/);
  assert.deepEqual(smallestEigenpairs(new Float64Array(0), 0, 3), { values: new Float64Array(0), vectors: new Float64Array(0) });
});

test('WebAssembly and TypeScript back-transforms agree, and tridiagonal eigenvectors solve T', () => {
  const n = 50;
  const t = tridiagonalizeWasm(randomSymmetric(n, 11), n);
  const values = tridiagonalEigenvalues(t, 0, 3);
  const z = tridiagonalEigenvectors(t, values);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++) {
      const tz = t.d[i]! * z[i + c * n]! + (i > 0 ? t.e[i - 1]! * z[i - 1 + c * n]! : 0) + (i < n - 1 ? t.e[i]! * z[i + 1 + c * n]! : 0);
      assert.ok(Math.abs(tz - values[c]! * z[i + c * n]!) < 1e-12 * 20, `T z = λ z, row ${i} of ${c}`);
    }
  const wasm = applyReflectors(t, Float64Array.from(z), 3);
  const ts = applyReflectorsReference(t, Float64Array.from(z), 3);
  wasm.forEach((x, i) => assert.ok(Math.abs(x - ts[i]!) < 1e-14, `entry ${i}: ${x} vs ${ts[i]}`));
});
