/** Parser and shape-checker cases: one line each, input → expected diagnostics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FUNCTIONS } from '../symbolic/ops';
import { typecheckSource } from './typecheck';
import { SourceFile, formatDiagnostic } from './diagnostics';

const HEAD = 'dim n = 6, d = 4\ngiven A : R^{n x d}\ngiven b : R^n\nvar x : R^d\n';

function errors(body: string): string[] {
  const text = HEAD + body;
  const file = new SourceFile('t.loss', text);
  return typecheckSource(text, FUNCTIONS).diagnostics.map((d) => formatDiagnostic(file, d).split('\n')[0]!);
}

const CASES: [string, string[]][] = [
  ['loss L = 0.5 ||A x - b||_2^2\n', []],
  ['loss L = \\frac{1}{2}\\| \\langle \\exp(Ax), {\\bf 1}_n \\rangle^{-1} \\exp(Ax) - b \\|_2^2\n', []],
  ['loss L = 0.5 \\left\\| \\mathrm{diag}(b) A x \\right\\|_2^2 + x^\\top x\n', []],
  ['loss L = ½‖A x − b‖² + ⟨x, x⟩\n', []],
  ['loss L = ||x A||_2^2\n', ['t.loss:5:12: error[shape-mismatch]: x A: x is R^d but A is R^{n x d}']],
  ['loss L = ||A b||_2^2\n', ['t.loss:5:12: error[shape-mismatch]: A b: A is R^{n x d} but b is R^n']],
  [
    'loss L = <x x, 1_d>\n',
    [
      't.loss:5:11: error[ambiguous-product]: x x: both are vectors in R^d; write <x, x> for the inner product, x ∘ x for the elementwise product or x x^T for the outer product',
    ],
  ],
  ['loss L = ||y||_2^2\n', ["t.loss:5:12: error[unknown-name]: unknown name 'y'"]],
  [
    'loss L = <x, x>\nclaim L < 1\n',
    [
      "t.loss:6:9: error[syntax]: strict '<' is not a claim relation: write '<=' (numeric checks cannot tell < from <=); an inner product is <a, b>",
    ],
  ],
  [
    'loss L = <x, x>\nclaim L > 1\n',
    ["t.loss:6:9: error[syntax]: strict '>' is not a claim relation: write '>=' (numeric checks cannot tell < from <=)"],
  ],
  ['loss L = kron(x)\n', ['t.loss:5:10: error[wrong-arity]: kron takes 2 arguments, not 1']],
  ['let u = A x +\n  b\nloss L = <u, u>\nclaim hess L psd\n', []],
  [
    'let u = A x + x\nlet v = b + 1\nloss L = <u, u>\n',
    [
      't.loss:5:9: error[shape-mismatch]: A x + x: A x is R^n but x is R^d',
      't.loss:6:9: error[shape-mismatch]: b + 1: b is R^n but 1 is R (to add a scalar c to every entry, write c 1_n)',
    ],
  ],
  ['loss L = x[7]\n', ['t.loss:5:12: error[bad-index]: row index 7 is outside 1..4 (indices are 1-based)']],
  [
    'loss L = <x, x>\nclaim hess L >= 0.5 I\nclaim grad L = 2 x\nclaim grad L = A\n',
    ['t.loss:8:7: error[shape-mismatch]: the two sides differ: grad L is R^d but A is R^{n x d}'],
  ],
  ['loss L = <x, x> @\n', ["t.loss:5:17: error[unexpected-character]: unexpected character '@'"]],
  // Matrix functions, Greek names, families, domains and chains.
  ['let H = A^T A\nloss L = logdet(H) + \\log\\det(H) + det(H^{-1}) + tr(inv(H)) + <x, H^{-2} x>\n', []],
  ['loss L = det(A)\n', ['t.loss:5:10: error[not-square]: det expects a square matrix, but A is R^{n x d}']],
  ['loss L = <x, (A^T A)^{-1} x> + ||A||_2 + sigma_min(A) + \\lambda_{\\max}(A^T A) + ||x||_inf\n', []],
  ['const λ = 2\nloss L = \\lambda <x, x> + lambda ||x||_2^2\n', []],
  ['const lambda = 2\nconst \\lambda = 3\nloss L = <x, x>\n', ["t.loss:6:7: error[duplicate-name]: 'lambda' is already defined"]],
  ['loss L = sum(softplus(A x)) + logsumexp(A x) + mean(x)\n', []],
  ['given P : (R^{d x d})^3 with P psd\nloss L = sum_{i=1}^{3} <x, P[i] x> + <x, P_2 x>\n', []],
  [
    'given P : (R^{d x d})^3\nloss L = <x, P x>\n',
    ['t.loss:6:14: error[bad-index]: P is a family of 3 matrices: write P[i] (1-based) for one of them'],
  ],
  [
    'given P : (R^{d x d})^3\nloss L = <x, P[4] x>\n',
    ['t.loss:6:16: error[bad-index]: member index 4 is outside 1..3 (indices are 1-based)'],
  ],
  [
    'given S : R^{n x d} with S psd\nloss L = <x, x>\n',
    ["t.loss:5:26: error[not-square]: 'psd' needs a square matrix, but S is R^{n x d}"],
  ],
  ['given W0 : R^d\nvar y : R^d with ||y - W0||_2 <= 1\nloss L = <x, y>\n', []],
  [
    'loss L = <x, x>\nclaim hess L psd for ||x||_2 <= 1\nclaim 2 x = grad L = 2 x\nclaim grad L = x x\nclaim hess L psd for ||x - x||_2 <= 1\n',
    [
      't.loss:8:16: error[ambiguous-product]: x x: both are vectors in R^d; write <x, x> for the inner product, x ∘ x for the elementwise product or x x^T for the outer product',
      "t.loss:9:28: error[bad-constraint]: the centre of x's ball must be computed from givens, but x uses the var x",
    ],
  ],
  [
    'let f = softmax(A x)\nloss L = <f, b>\nclaim jac f = (diag(f) - f f^T) A\nclaim grad f = x\n',
    ['t.loss:8:12: error[not-scalar]: grad f: f is R^n, but grad takes a scalar; its Jacobian is jac f'],
  ],
  [
    'loss L = <x, x>\nlet g = grad L\n',
    ['t.loss:6:9: error[bad-claim]: grad L: derivatives of the loss may be used in claims (claim grad L = …)'],
  ],
  ['loss L = (x\n', ["t.loss:6:1: error[syntax]: expected ')' to close the group, found end of line"]],
];

for (const [body, expected] of CASES) {
  test(`check: ${body.trim().replace(/\n/g, ' ⏎ ')}`, () => assert.deepEqual(errors(body), expected));
}

test('garbage never throws and every diagnostic has a position', () => {
  for (const text of [
    '',
    '\\',
    '|||||',
    'loss',
    'claim <<<',
    'var x : R^{0}',
    'dim n = -1\nvar x: R^n',
    '\\frac{',
    'sum_{j=1}^{n}',
    '((((((((((',
  ]) {
    const r = typecheckSource(text, FUNCTIONS);
    for (const d of r.diagnostics) assert.ok(d.span.start >= 0 && d.span.end <= text.length, `${text}: ${d.message}`);
  }
});
