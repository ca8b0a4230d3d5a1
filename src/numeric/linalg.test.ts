/** The eigensolver against definitions (A v = λ v, orthonormal V) and against ml-matrix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { spectralNorm, symmetricEigen } from './linalg';
import { Stream, streamKey } from './rng';

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Stream(streamKey(seed));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

for (const n of [1, 2, 3, 7, 30, 64]) {
  test(`symmetric eigen n=${n}: A v = λ v, VᵀV = I, same values as ml-matrix`, () => {
    const a = randomSymmetric(n, n);
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) {
      let res = 0;
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[j + k * n]!;
        res = Math.max(res, Math.abs(av - values[k]! * vectors[i + k * n]!));
      }
      assert.ok(res < 1e-10 * n, `residual ${res} for λ_${k}`);
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i + k * n]! * vectors[i + l * n]!;
        assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-10, `VᵀV[${k},${l}] = ${dot}`);
      }
    }
    const ref = new EigenvalueDecomposition(new Matrix(Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)))), {
      assumeSymmetric: true,
    }).realEigenvalues.sort((x, y) => x - y);
    ref.forEach((v, i) => assert.ok(Math.abs(v - values[i]!) < 1e-10 * Math.max(1, Math.abs(v)), `λ_${i}: ${values[i]} vs ml-matrix ${v}`));
    assert.deepEqual(symmetricEigen(a, n, true).values, values);
  });
}

test('spectral norm of a diagonal and of a wide matrix', () => {
  assert.ok(Math.abs(spectralNorm(Float64Array.of(3, 0, 0, -5), 2, 2) - 5) < 1e-14);
  // 1×3 is a vector; 2×3 [[1,0,0],[0,2,0]] column-major.
  assert.ok(Math.abs(spectralNorm(Float64Array.of(1, 0, 0, 2, 0, 0), 2, 3) - 2) < 1e-14);
});

test('a non-finite matrix gives NaN eigenvalues instead of iterating forever', () => {
  for (const bad of [NaN, Infinity]) {
    const a = Float64Array.of(1, 2, 2, bad);
    const { values, vectors } = symmetricEigen(a, 2);
    assert.ok(values.every(Number.isNaN), `${bad}: ${values}`);
    assert.ok(vectors.every(Number.isNaN));
  }
});
