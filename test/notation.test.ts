/** Paper notation: each LaTeX spelling means exactly what its ASCII spelling means (same IR). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASCII, printBundle } from '../src/symbolic/print';
import { analyzeOk } from './helpers';

const HEAD = [
  'dim n = 4, d = 3',
  'const lambda = 0.5',
  'given A : R^{n x d}',
  'given A2 : R^{n x d}',
  'given B : R^{n x d}',
  'given b : R^n',
  'given P : (R^{d x d})^2',
  'var X : R^{d x d}',
  'var Y : R^{d x d}',
  'var x : R^d',
  'def phi(t) = log(1 + exp(t))',
  '',
].join('\n');

const PAIRS: [string, string][] = [
  ['0.5 ||softmax(A x) - b||_2^2', '\\frac{1}{2}\\| \\langle \\exp(Ax), {\\bf 1}_n \\rangle^{-1} \\exp(Ax) - b \\|_2^2'],
  [
    'sum_{j=1}^{n} sum_{i=1}^{d} (<A[j, :]^T, Y[:, i]> - B[j, i])^2',
    '\\sum_{j=1}^{n} \\sum_{i=1}^{d} \\left( \\langle \\mathsf{A}[j, :]^\\top, Y_{*,i} \\rangle - B[j, i] \\right)^2',
  ],
  ['<1_n, exp(kron(A[1, :], A2) vec(X))>', '\\langle \\mathbf{1}_n, \\exp((A[1, :] \\otimes A2) \\mathrm{vec}(X)) \\rangle'],
  ['sum(phi(A x)) + tr(X^T X)', 'sum(phi(\\mathsf{A} x)) + \\operatorname{tr}(X^{\\top} X)'],
  ['||x||_2^2 + <x, x>', '‖x‖² + ⟨x, x⟩'],
  ['lambda <x, x> + logdet(X X^T + I_d)', '\\lambda \\langle x, x \\rangle + \\log\\det(X X^{\\top} + I_d)'],
  ['lambda <x, x> + log det(X^T X + I_d)', 'λ ⟨x, x⟩ + \\log \\det\\left(X^\\top X + I_d\\right)'],
  ['<x, inv(X^T X + I_d) x> + det(X)', '⟨x, (Xᵀ X + I_d)⁻¹ x⟩ + \\det(X)'],
  [
    'sum(softplus(A x)) + logsumexp(A x) + mean(x)',
    '\\operatorname{sum}(\\mathrm{softplus}(Ax)) + \\mathrm{logsumexp}(Ax) + \\operatorname{mean}(x)',
  ],
  ['<vec_r(X), kron(A[1, :]^T, x)>', '\\langle \\mathrm{vec}_r(X), A[1, :]^\\top \\otimes x \\rangle'],
  ['<vec_r(X), vec(X)>', '\\langle K_{d,d} \\mathrm{vec}(X), \\mathrm{vec}(X) \\rangle'],
  ['sum_{i=1}^{2} <x, P[i] x>', '\\sum_{i=1}^{2} x^\\top P_i x'],
  ['sigma_max(A) <x, x> + lambda_min(A^T A) + ||b||_inf', '\\|A\\|_2 \\|x\\|^2 + \\lambda_{\\min}(A^\\top A) + \\|b\\|_\\infty'],
];

for (const [ascii, latex] of PAIRS) {
  test(`${latex} means ${ascii}`, () => {
    const print = (src: string): string => {
      const a = analyzeOk(`${HEAD}loss L = ${src}\n`);
      return printBundle(ASCII, [a.lowered.loss, ...a.derivatives.grads], a.lowered.graph.names).roots.join(' | ');
    };
    assert.equal(print(latex), print(ascii));
  });
}
