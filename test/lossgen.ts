/**
 * Random well-typed .loss expressions over a fixed header (property tests): every differentiable op
 * of the language, kept small and smooth so finite differences stay well conditioned.
 */
import fc from 'fast-check';

export const HEADER = `dim n = 3, m = 2
given A : R^{n x n}
given B : R^{m x n}
given c : R^n
given C : R^{n x m}
var x : R^n
var X : R^{n x m}
`;

/** Square n×n matrices depending on the vars; kept small so inverses and determinants stay tame. */
export function square(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('A', 'X C^T', 'x c^T', 'diag(x)', 'X B', 'diag(tanh(A x))');
  if (depth <= 0) return leaves;
  const s = square(depth - 1);
  const v = vector(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(s, s).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(s, s).map(([a, b]) => `(${a}) (${b})`),
    fc.tuple(s, s).map(([a, b]) => `(${a} ∘ ${b})`),
    s.map((a) => `(${a})^T`),
    v.map((a) => `diag(sigmoid(${a}))`),
    s.map((a) => `(I_n + 0.1 (${a}) (${a})^T)^{-1}`),
  );
}

/** Smooth, bounded building blocks keep FD well conditioned. */
export function vector(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('x', 'c', 'A x', 'X 1_m', 'C B x', 'X[:, 1]');
  if (depth <= 0) return leaves;
  const v = vector(depth - 1);
  const s = scalar(depth - 1);
  const M = square(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(v, v).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(${a} - ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(${a} ∘ ${b})`),
    fc.tuple(s, v).map(([a, b]) => `(${a}) ${b}`),
    v.map((a) => `A^T ${a}`),
    v.map((a) => `tanh(${a})`),
    v.map((a) => `sigmoid(${a})`),
    v.map((a) => `softplus(${a})`),
    v.map((a) => `exp(0.3 ${a})`),
    v.map((a) => `softmax(${a})`),
    v.map((a) => `diag(c) ${a}`),
    fc.tuple(v, v).map(([a, b]) => `diag(tanh(${a})) ${b}`),
    v.map((a) => `X B ${a}`),
    v.map((a) => `sinh(0.5 ${a})`),
    fc.tuple(M, v).map(([a, b]) => `(2 I_n + 0.1 (${a}) (${a})^T)^{-1} ${b}`),
    M.map((a) => `diag(${a})`),
    fc.tuple(M, v).map(([a, b]) => `(${a}) ${b}`),
  );
}

export function scalar(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('1.5', '<x, c>', 'x[2]', 'X[1, 2]', 'tr(B X)');
  if (depth <= 0) return leaves;
  const v = vector(depth - 1);
  const s = scalar(depth - 1);
  const M = square(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(v, v).map(([a, b]) => `<${a}, ${b}>`),
    v.map((a) => `||${a}||_2^2`),
    v.map((a) => `sum(${a})`),
    v.map((a) => `mean(${a})`),
    v.map((a) => `logsumexp(${a})`),
    fc.tuple(s, s).map(([a, b]) => `(${a}) (${b})`),
    s.map((a) => `cosh(0.5 (${a}))`),
    s.map((a) => `log(1 + (${a})^2)`),
    s.map((a) => `(1 + (${a})^2)^{-1}`),
    M.map((a) => `logdet(I_n + 0.2 (${a}) (${a})^T)`),
    M.map((a) => `det(I_n + 0.2 (${a}))`),
    M.map((a) => `tr((2 I_n + 0.1 (${a})^T (${a}))^{-1})`),
    M.map((a) => `tr(kron(${a}, B C))`),
    M.map((a) => `<vec_r(X), kron(${a} c, B 1_n)>`),
    fc.constant('tr(kron(X^T X, X C^T))'),
    fc.constant('<K_{n,m} vec(X), vec(X^T A)>'),
    fc.constant('||X||_F^2'),
    fc.constant('sum_{j=1}^{n} (X[j, :] B[:, j])^2'),
    fc.constant('sum_{j=1}^{n} sum_{i=1}^{m} (X[j, i] B[i, j] + <x, C[:, i]>)^2'),
  );
}
