/**
 * Property test: random well-typed expressions (as .loss text, so the whole pipeline is exercised)
 * → symbolic gradient and Hessian agree with central finite differences. Seeded and reproducible.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { checkAgainstFd } from './helpers';

const HEADER = `dim n = 3, m = 2
given A : R^{n x n}
given B : R^{m x n}
given c : R^n
given C : R^{n x m}
var x : R^n
var X : R^{n x m}
`;

/** Smooth, bounded building blocks keep FD well conditioned. */
function vector(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('x', 'c', 'A x', 'X 1_m', 'C B x', 'X[:, 1]');
  if (depth <= 0) return leaves;
  const v = vector(depth - 1);
  const s = scalar(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(v, v).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(${a} - ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(${a} ∘ ${b})`),
    fc.tuple(s, v).map(([a, b]) => `(${a}) ${b}`),
    v.map((a) => `A^T ${a}`),
    v.map((a) => `tanh(${a})`),
    v.map((a) => `sigmoid(${a})`),
    v.map((a) => `exp(0.3 ${a})`),
    v.map((a) => `softmax(${a})`),
    v.map((a) => `diag(c) ${a}`),
    v.map((a) => `X B ${a}`),
    v.map((a) => `sinh(0.5 ${a})`),
  );
}

function scalar(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('1.5', '<x, c>', 'x[2]', 'X[1, 2]', 'tr(B X)');
  if (depth <= 0) return leaves;
  const v = vector(depth - 1);
  const s = scalar(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(v, v).map(([a, b]) => `<${a}, ${b}>`),
    v.map((a) => `||${a}||_2^2`),
    v.map((a) => `sum(${a})`),
    fc.tuple(s, s).map(([a, b]) => `(${a}) (${b})`),
    s.map((a) => `cosh(0.5 (${a}))`),
    s.map((a) => `log(1 + (${a})^2)`),
    s.map((a) => `(1 + (${a})^2)^{-1}`),
    fc.constant('||X||_F^2'),
    fc.constant('sum_{j=1}^{n} (X[j, :] B[:, j])^2'),
    fc.constant('sum_{j=1}^{n} sum_{i=1}^{m} (X[j, i] B[i, j] + <x, C[:, i]>)^2'),
  );
}

test('random expressions: symbolic gradient and Hessian match finite differences (rel < 1e-6)', () => {
  fc.assert(
    fc.property(scalar(3), fc.integer({ min: 1, max: 1_000_000 }), (expr, seed) => {
      checkAgainstFd(`${HEADER}loss L = ${expr}\n`, seed, 1e-6);
    }),
    { seed: 20261122, numRuns: 300, verbose: true },
  );
});
