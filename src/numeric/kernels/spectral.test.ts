/**
 * The Lanczos spectral norm against linalg.ts (eigenvalues of the Gram matrix) and ml-matrix's SVD,
 * its certificate (lower ≤ ‖A‖₂ ≤ upper; the residual it reports is the residual of the vector it
 * returns and meets the tolerance), warm starts, and the sampler's projection semantics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { spectralNorm as gramSpectralNorm } from '../linalg';
import { Stream, streamKey } from '../rng';
import { projectSpectralBall, spectralNorm, spectralNormUpperBound } from './spectral';

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Stream(streamKey(seed));
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

function mlMatrixNorm(a: Float64Array, rows: number, cols: number): number {
  const m = new Matrix(Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => a[i + j * rows]!)));
  return Math.max(...new SingularValueDecomposition(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal);
}

/** ‖M v − θ v‖ for M = AᵀA (cols ≤ rows) or AAᵀ, computed here independently. */
function residualOf(a: Float64Array, rows: number, cols: number, v: Float64Array, theta: number): number {
  const right = cols <= rows;
  const mid = new Float64Array(right ? rows : cols);
  const out = new Float64Array(v.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      if (right) mid[i]! += a[i + j * rows]! * v[j]!;
      else mid[j]! += a[i + j * rows]! * v[i]!;
    }
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      if (right) out[j]! += a[i + j * rows]! * mid[i]!;
      else out[i]! += a[i + j * rows]! * mid[j]!;
    }
  return Math.sqrt(out.reduce((s, x, i) => s + (x - theta * v[i]!) ** 2, 0));
}

const side = fc.oneof(fc.constantFrom(0, 1, 2, 3, 7, 31, 64, 97), fc.integer({ min: 1, max: 70 }));

test('spectral norm: equals linalg and ml-matrix to 1e-12 relative; lower ≤ upper; the reported residual is real and small', () => {
  fc.assert(
    fc.property(side, side, fc.integer({ min: 1, max: 1 << 20 }), (rows, cols, seed) => {
      const a = gaussian(rows, cols, seed);
      const s = spectralNorm(a, rows, cols);
      const where = `${rows}×${cols} seed=${seed}`;
      if (rows === 0 || cols === 0) {
        assert.equal(s.norm, 0, where);
        return;
      }
      const reference = gramSpectralNorm(a, rows, cols);
      assert.ok(Math.abs(s.norm - reference) <= 1e-12 * reference, `${where}: ${s.norm} vs linalg ${reference}`);
      const svd = mlMatrixNorm(a, rows, cols);
      assert.ok(Math.abs(s.norm - svd) <= 1e-12 * svd, `${where}: ${s.norm} vs ml-matrix ${svd}`);
      assert.ok(s.norm <= s.upper * (1 + 1e-15), `${where}: norm ${s.norm} above its upper bound ${s.upper}`);
      assert.ok(s.converged, `${where}: not converged after ${s.products} products`);
      const norm2 = s.norm * s.norm;
      assert.ok(s.residual <= 1e-10 * norm2, `${where}: residual ${s.residual}`);
      const independent = residualOf(a, rows, cols, s.vector, norm2);
      assert.ok(Math.abs(independent - s.residual) <= 1e-12 * norm2, `${where}: residual ${s.residual}, recomputed ${independent}`);
    }),
    { seed: 16, numRuns: 60 },
  );
});

test('the upper bound is min(‖A‖_F, √(‖A‖₁‖A‖∞)) and holds', () => {
  // [[3, 0], [4, 0]]: ‖A‖₂ = 5 = ‖A‖_F; ‖A‖₁ = 7, ‖A‖∞ = 4.
  assert.equal(spectralNormUpperBound(Float64Array.of(3, 4, 0, 0), 2, 2), 5);
  const eye = new Float64Array(100 * 100);
  for (let i = 0; i < 100; i++) eye[i * 101] = 1;
  assert.equal(spectralNormUpperBound(eye, 100, 100), 1);
  assert.equal(spectralNorm(eye, 100, 100).norm, 1);
});

test('a warm start from a nearby matrix needs fewer products, and finds the same norm', () => {
  const [rows, cols] = [300, 120];
  const a = gaussian(rows, cols, 3);
  const cold = spectralNorm(a, rows, cols);
  const rng = new Stream(streamKey(4));
  const b = a.map((x) => x + 1e-4 * rng.normal());
  const again = spectralNorm(b, rows, cols);
  const warm = spectralNorm(b, rows, cols, { start: cold.vector });
  assert.ok(Math.abs(warm.norm - again.norm) <= 1e-12 * again.norm, `${warm.norm} vs ${again.norm}`);
  assert.ok(warm.products < again.products, `warm ${warm.products} products, cold ${again.products}`);
  // A useless start (wrong length, zeros, NaN) falls back to the default one.
  for (const start of [new Float64Array(3), new Float64Array(cols), new Float64Array(cols).fill(NaN)])
    assert.equal(spectralNorm(b, rows, cols, { start }).norm, again.norm);
});

test('vectors, zeros and non-finite entries', () => {
  assert.equal(spectralNorm(Float64Array.of(3, 4), 2, 1).norm, 5);
  assert.equal(spectralNorm(Float64Array.of(3, 4), 1, 2).norm, 5);
  assert.equal(spectralNorm(new Float64Array(12), 3, 4).norm, 0);
  assert.ok(Number.isNaN(spectralNorm(Float64Array.of(1, NaN, 0, 1), 2, 2).norm));
  assert.equal(spectralNorm(Float64Array.of(1, Infinity, 0, 1), 2, 2).norm, Infinity);
  assert.throws(() => spectralNorm(new Float64Array(5), 2, 3), /needs 6 entries/);
});

test('projection onto the spectral ball: unchanged inside, scaled by r/‖A‖₂ outside, onto the boundary', () => {
  const [rows, cols] = [40, 25];
  const a = gaussian(rows, cols, 9);
  const norm = gramSpectralNorm(a, rows, cols);
  const inside = projectSpectralBall(a, rows, cols, norm * 1.01);
  assert.equal(inside.matrix, a);
  const far = projectSpectralBall(a, rows, cols, 1e6);
  assert.equal(far.matrix, a);
  assert.equal(far.norm, undefined, 'the upper bound settles it without iterating');
  const out = projectSpectralBall(a, rows, cols, 2);
  assert.notEqual(out.matrix, a);
  out.matrix.forEach((x, i) => assert.ok(Math.abs(x - (a[i]! * 2) / norm) <= 1e-14 * Math.abs(a[i]!) + 1e-300));
  assert.ok(Math.abs(gramSpectralNorm(out.matrix, rows, cols) - 2) <= 2e-12);
  // NaN anywhere: left as it is, as the sampler does (its norm is not known to exceed the radius).
  const broken = Float64Array.of(1, NaN, 0, 1);
  assert.equal(projectSpectralBall(broken, 2, 2, 0.5).matrix, broken);
});
