/**
 * Property test: random well-typed expressions (as .loss text, so the whole pipeline is exercised)
 * → symbolic gradient and Hessian agree with central finite differences. Seeded and reproducible.
 * The generator covers every differentiable op: products and Hadamard products, elementwise
 * functions (softplus too), softmax and logsumexp, diag of vectors of the vars and diag(M),
 * determinants, log-determinants and inverses of matrices of the vars, Kronecker products with the
 * vars on either side, vec_r and the commutation matrix, means, slices and index sums. A second
 * property checks the Jacobians of definitions (`jac f`) against finite differences of f.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compile } from '../src/numeric/evaluate';
import { fdJacobian, relativeError } from './fd';
import { deriveDefinition } from '../src/symbolic/lower';
import { analyzeOk, checkAgainstFd, rng } from './helpers';
import { HEADER, scalar, vector } from './lossgen';

test('random expressions: symbolic gradient and Hessian match finite differences (rel < 1e-6)', () => {
  fc.assert(
    fc.property(scalar(3), fc.integer({ min: 1, max: 1_000_000 }), (expr, seed) => {
      checkAgainstFd(`${HEADER}loss L = ${expr}\n`, seed, 1e-6);
    }),
    { seed: 20261122, numRuns: 300, verbose: true },
  );
});

test('random definitions: jac f matches finite differences of f (rel < 1e-6)', () => {
  fc.assert(
    fc.property(vector(2), fc.integer({ min: 1, max: 1_000_000 }), (expr, seed) => {
      const a = analyzeOk(`${HEADER}let f = ${expr}\nloss L = <f, c>\n`);
      const d = deriveDefinition(a.lowered, 'f');
      const f = a.lowered.lets.get('f')!;
      const next = rng(seed);
      const inputs = new Map<string, Float64Array>();
      for (const decl of [...a.program.givens, ...a.program.vars])
        inputs.set(
          decl.name,
          Float64Array.from({ length: decl.shape.rows.value * decl.shape.cols.value }, () => next() - 0.5),
        );
      const fValue = compile([f]);
      d.first.forEach(({ wrt, node }) => {
        const symbolic = compile([node]).run(inputs)[0]!;
        const fd = fdJacobian((y) => fValue.run(new Map([...inputs, [wrt, y]]))[0]!, inputs.get(wrt)!).value;
        const err = relativeError(symbolic, fd, 1e-4);
        assert.ok(err < 1e-6, `jac_${wrt} f for f = ${expr}: relative error ${err} (seed ${seed})`);
      });
    }),
    { seed: 20261201, numRuns: 100 },
  );
});
