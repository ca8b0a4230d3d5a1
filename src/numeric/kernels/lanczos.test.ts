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
import { extremeEigenpair, matrixExtremeEigenpair } from './lanczos';

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
  // Short runs between restarts still converge, from the Ritz vector of each run.
  const restarted = extremeEigenpair(operator(a, n), n, { which: 'largest', restart: 5, maxProducts: 2000 });
  assert.ok(
    restarted.converged && Math.abs(restarted.value - 19.6) <= 1e-9,
    `λ_max ${restarted.value} after ${restarted.products} products`,
  );
});

test('on a formed matrix (WebAssembly products) the same run as with TypeScript products', () => {
  for (const n of [1, 2, 37, 150]) {
    const a = randomSymmetric(n, n);
    for (const which of ['largest', 'smallest'] as const) {
      const viaWasm = matrixExtremeEigenpair(a, n, { which });
      const viaTs = extremeEigenpair(operator(a, n), n, { which });
      assert.equal(viaWasm.value, viaTs.value, `n=${n} ${which}`);
      assert.equal(viaWasm.products, viaTs.products);
    }
  }
  assert.throws(() => matrixExtremeEigenpair(new Float64Array(3), 2, { which: 'largest' }), /needs 4 entries/);
});
