/** The bench's softmax-regression file (bench/check.bench.ts, test/bench-reference.test.ts); bench/reference_jax.py hand-writes its loss. */
export function softmaxLoss(n: number, d: number, claims: 'all' | 'psd' = 'all'): string {
  const grad = 'claim grad L = A^T (f ∘ (f - b) - <f, f - b> f) + A^T diag(w)^2 A x\n';
  const lipschitz = 'claim lipschitz(grad L) <= 12 R^2\n';
  return `dim n = ${n}, d = ${d}
const R = 2
given A : R^{n x d} with ||A||_2 <= R
given b : R^n       with b >= 0, sum(b) = 1
given w : R^n       with w >= 2, w <= 3
var   x : R^d       with ||x||_2 <= R
let f = softmax(A x)
loss L = 0.5 ||f - b||_2^2 + 0.5 ||diag(w) A x||_2^2
${claims === 'all' ? grad : ''}claim hess L psd
${claims === 'all' ? lipschitz : ''}`;
}
