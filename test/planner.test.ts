/**
 * Property test of the evaluation planner (src/numeric/optimize.ts): re-associated, distributed and
 * merged plans compute the same values as the IR they came from. The random losses are built from
 * what the planner rewrites — sums of outer products and diagonals inside products, transposes of
 * sums, traces and ⟨M, I⟩ of products, row vectors times diagonals — and the plans compared are the
 * ones the checks run: gradients, Hessian blocks and Hessian-vector products.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compile } from '../src/numeric/evaluate';
import { EvaluationPlanner } from '../src/numeric/optimize';
import { samplingSpecs } from '../src/numeric/request';
import { quadraticFormGradient } from '../src/numeric/searchRoots';
import type { Node } from '../src/symbolic/ir';
import { analyzeOk, rng } from './helpers';

const HEADER = `dim n = 5, d = 3
given A : R^{n x d}
given b : R^n
given P : R^{d x d}
var x : R^d
let f = softmax(A x)
`;

const matrix = fc.constantFrom(
  '(diag(f) - f f^T)',
  '(f b^T + b f^T)',
  '(diag(b) + 2 f f^T - b b^T)',
  '(diag(f) - f f^T)^T',
  '(A P A^T + diag(tanh(A x)))',
  '(diag(A x) A A^T)',
);
const vector = fc.constantFrom('(f - b)', '(A x)', 'tanh(A x)', 'b', 'f');
const scalarTerm = fc.oneof(
  fc.tuple(matrix, vector, vector).map(([m, u, v]) => `<${u}, ${m} ${v}>`),
  fc.tuple(matrix, matrix).map(([m, k]) => `tr(${m} ${k})`),
  fc.tuple(matrix, vector).map(([m, u]) => `||${m} ${u}||_2^2`),
  fc.tuple(vector, matrix, vector).map(([u, m, v]) => `${u}^T ${m}^T ${v}`),
  fc.tuple(matrix).map(([m]) => `tr(${m} ${m}^T)`),
);
const loss = fc.array(scalarTerm, { minLength: 1, maxLength: 3 }).map((terms) => `${HEADER}loss L = ${terms.join(' + ')}\n`);

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  const scale = Math.max(1e-300, ...Array.from(a, Math.abs), ...Array.from(b, Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return a.length === b.length ? worst : Infinity;
}

test('planned gradients, Hessians and Hessian-vector products equal the unplanned IR', () => {
  fc.assert(
    fc.property(loss, fc.integer({ min: 1, max: 1_000_000 }), (text, seed) => {
      const { lowered, derivatives } = analyzeOk(text);
      const g = lowered.graph;
      const v = g.given('$v0', lowered.vars[0]!.shape);
      const roots: Node[] = [...derivatives.grads, ...derivatives.hess.flat(), g.matmul(derivatives.hess[0]![0]!, v)];
      const planned = new EvaluationPlanner(g).optimize(roots);
      const next = rng(seed);
      const inputs = new Map<string, Float64Array>([
        ['A', Float64Array.from({ length: 15 }, () => next() - 0.5)],
        ['b', Float64Array.from({ length: 5 }, () => next())],
        ['P', Float64Array.from({ length: 9 }, () => next() - 0.5)],
        ['x', Float64Array.from({ length: 3 }, () => next() - 0.5)],
        ['$v0', Float64Array.from({ length: 3 }, () => next() - 0.5)],
      ]);
      const before = compile(roots).run(inputs);
      const after = compile(planned).run(inputs);
      roots.forEach((_, i) => {
        const diff = maxRelativeDifference(before[i]!, after[i]!);
        assert.ok(diff < 1e-12, `root ${i} of ${text}: planned differs by ${diff} (unplanned ${before[i]}, planned ${after[i]})`);
      });
    }),
    { seed: 20261130, numRuns: 200 },
  );
});

test('the planner forms no n×n matrix in the PSD search gradient of softmax regression (∇ over x and the data of vᵀ∇²L v)', () => {
  const text = `dim n = 200, d = 4
given A : R^{n x d} with ||A||_2 <= 1
given b : R^n       with b >= 0, sum(b) = 1
var x : R^d
let f = softmax(A x)
loss L = 0.5 ||f - b||_2^2
claim hess L psd
`;
  const { program, lowered, derivatives } = analyzeOk(text);
  const search = samplingSpecs(program, undefined).filter((s) => s.role === 'var' || !s.fixed);
  const gradient = quadraticFormGradient(lowered, derivatives, { kind: 'hess', rows: [0], cols: [0] }, undefined, search)!;
  const g = lowered.graph;
  const v = g.given('$v0', lowered.vars[0]!.shape);
  const roots = [...gradient.roots, g.matmul(derivatives.hess[0]![0]!, v)];
  const planned = new EvaluationPlanner(g).optimize(roots);
  const seen = new Set<number>();
  const big: string[] = [];
  const visit = (n: Node): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    // diag(v) is never materialised by the evaluators (products with it scale rows or columns).
    if (n.shape.rows.value === 200 && n.shape.cols.value === 200 && n.kind !== 'diag') big.push(n.kind);
    n.args.forEach(visit);
  };
  planned.forEach(visit);
  assert.deepEqual(big, []);
  // And the plan computes the same values.
  const next = rng(7);
  const inputs = new Map<string, Float64Array>([
    ['A', Float64Array.from({ length: 800 }, () => (next() - 0.5) / 10)],
    ['b', Float64Array.from({ length: 200 }, () => next() / 100)],
    ['x', Float64Array.from({ length: 4 }, () => next() - 0.5)],
    ['$v0', Float64Array.from({ length: 4 }, () => next() - 0.5)],
  ]);
  const before = compile(roots).run(inputs);
  const after = compile(planned).run(inputs);
  roots.forEach((_, i) => assert.ok(maxRelativeDifference(before[i]!, after[i]!) < 1e-12, `root ${i}`));
});
