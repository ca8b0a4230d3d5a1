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
