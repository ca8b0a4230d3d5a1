/**
 * Lanczos on a symmetric operator given by products: the extreme eigenvalues of random symmetric
 * matrices against the full decomposition (to 1e-9·‖H‖), the certificate (value is a Rayleigh
 * quotient, so value ≥ λ_min for 'smallest' and ≤ λ_max for 'largest'; the residual is that of the
 * returned vector), and clustered extremes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { symmetricEigen } from '../linalg';
import { Stream, streamKey } from '../rng';
import { gemvReference } from './reference';
import { extremeEigenpair } from './lanczos';

function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Stream(streamKey(seed));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

const operator = (a: Float64Array, n: number) => (x: Float64Array, y: Float64Array) => gemvReference(n, n, a, x, y);

test('extreme eigenpairs of random symmetric operators: values, certificate, residual', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 1 << 20 }),
      fc.constantFrom('largest', 'smallest'),
      (n, seed, which) => {
        const a = randomSymmetric(n, seed);
        const full = symmetricEigen(a, n, true).values;
        const norm = Math.max(Math.abs(full[0]!), Math.abs(full[n - 1]!));
        const want = which === 'largest' ? full[n - 1]! : full[0]!;
        const r = extremeEigenpair(operator(a, n), n, { which });
        const where = `n=${n} seed=${seed} ${which}`;
        assert.ok(r.converged, `${where}: not converged after ${r.products} products`);
        assert.ok(Math.abs(r.value - want) <= 1e-9 * norm, `${where}: ${r.value} vs ${want}`);
        const rounding = 1e-13 * norm;
        assert.ok(
          which === 'largest' ? r.value <= want + rounding : r.value >= want - rounding,
          `${where}: the Rayleigh quotient is a bound`,
        );
        const hv = gemvReference(n, n, a, r.vector, new Float64Array(n));
        const residual = Math.sqrt(hv.reduce((s, x, i) => s + (x - r.value * r.vector[i]!) ** 2, 0));
        assert.ok(
          Math.abs(residual - r.residual) <= 1e-12 * norm && r.residual <= 1e-10 * r.scale,
          `${where}: residual ${r.residual} vs ${residual}`,
        );
        assert.ok(r.scale <= norm * (1 + 1e-12), `${where}: scale ${r.scale} is a lower bound on ‖H‖ = ${norm}`);
      },
    ),
    { seed: 16, numRuns: 40 },
  );
});

test('a cluster at the bottom of the spectrum, a warm start, and errors', () => {
  const n = 200;
  // diag(−1 − 1e-7, −1, −1 + 1e-7, 0, 1, …): the cluster's smallest must be found.
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i + i * n] = i < 3 ? -1 + (i - 1) * 1e-7 : (i - 3) / 10;
  const r = extremeEigenpair(operator(a, n), n, { which: 'smallest', tolerance: 1e-13 });
  assert.ok(Math.abs(r.value - (-1 - 1e-7)) <= 1e-12, `λ_min ${r.value}`);
  const warm = extremeEigenpair(operator(a, n), n, { which: 'smallest', tolerance: 1e-13, start: r.vector, scale: r.scale });
  assert.ok(warm.products <= 2, `a converged start needs ${warm.products} products`);
  assert.throws(() => extremeEigenpair(operator(a, n), 0, { which: 'largest' }), /order 0/);
});
