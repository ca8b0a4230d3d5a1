/**
 * Exact identity testing: field arithmetic against BigInt, identity outcomes by table, and a
 * property test that every "equal" is an identity of the float evaluations too (soundness), while
 * textbook rewrites of random expressions are found equal (completeness where it is expected).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../symbolic/analyze';
import { planClaims } from '../symbolic/claims';
import { OPS } from '../symbolic/ops';
import { EXACT_RULES, exactRule, fieldMatmul, testIdentity } from './exact';
import { Field } from './field';
import { compile } from './evaluate';
import { buildCheckParams } from './request';
import { ROUNDING_RULES, roundingRule } from './rounding';
import { rng } from '../../test/helpers';

const P = 2147483629; // a prime below 2^31

test('field products, powers and inverses agree with BigInt', () => {
  const F = new Field(P);
  const next = rng(1);
  for (let k = 0; k < 2000; k++) {
    const [a, b] = [Math.floor(next() * P), Math.floor(next() * P)];
    assert.equal(F.mul(a, b), Number((BigInt(a) * BigInt(b)) % BigInt(P)), `${a}·${b}`);
    if (a !== 0) assert.equal(F.mul(a, F.inv(a)!), 1);
  }
  assert.equal(F.inv(0), undefined);
});

test('float64 constants are the rationals they are written as', () => {
  const F = new Field(P);
  const mod = (x: bigint): number => Number(((x % BigInt(P)) + BigInt(P)) % BigInt(P));
  const inv10 = (k: number): number => F.inv(F.pow(10, k))!;
  assert.equal(F.fromNumber(0.1), inv10(1));
  assert.equal(F.fromNumber(-2.5), F.neg(F.mul(25, inv10(1))));
  assert.equal(F.fromNumber(2 ** 52), mod(2n ** 52n));
  // Past 2^53 a float64 stands for its shortest decimal, as written: 2^60 prints as 1152921504606847000.
  assert.equal(F.fromNumber(2 ** 60), mod(1152921504606847000n));
  assert.equal(F.fromNumber(1e300), mod(10n ** 300n));
  assert.equal(F.fromNumber(5e-324), F.mul(5, inv10(324)));
  assert.equal(F.fromNumber(1 / 3), F.inv(3));
  // 0.1 + 0.2 is the float64 0.30000000000000004, which is not 3/10.
  assert.notEqual(F.fromNumber(0.1 + 0.2), F.fromNumber(0.3));
});

test('field matrix products agree with BigInt across the reduction interval', () => {
  const F = new Field(P);
  const next = rng(2);
  const [m, k, n] = [3, 97, 2];
  const a = Float64Array.from({ length: m * k }, () => Math.floor(next() * P));
  const b = Float64Array.from({ length: k * n }, () => Math.floor(next() * P));
  const c = fieldMatmul(F, a, b, m, k, n);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < m; i++) {
      let s = 0n;
      for (let t = 0; t < k; t++) s += BigInt(a[i + t * m]!) * BigInt(b[t + j * k]!);
      assert.equal(c[i + j * m], Number(s % BigInt(P)));
    }
});

test('every IR kind has an exact and a rounding rule; a missing one is an error naming it', () => {
  const kinds = Object.keys(OPS);
  assert.deepEqual(
    kinds.filter((k) => !(k in EXACT_RULES)),
    [],
  );
  assert.deepEqual(
    kinds.filter((k) => !(k in ROUNDING_RULES)),
    [],
  );
  assert.throws(() => exactRule('nonesuch' as never), /no exact \(prime-field\) rule for the IR op 'nonesuch'/);
  assert.throws(() => roundingRule('nonesuch' as never), /no rounding-error rule for the IR op 'nonesuch'/);
});

const HEADER = `dim n = 4, d = 3
given A : R^{n x d}   with ||A||_2 <= 1
given b : R^n
given B : R^{d x d}
var   x : R^d         with ||x||_2 <= 1
var   Y : R^{d x d}   with ||Y||_F <= 1
let f = softmax(A x)
loss L = 0.5 ||f - b||_2^2 + <cosh(A x), 1_n> + <tanh(B Y x), 1_d> + 0.5 ||relu(A x)||_2^2
`;

async function outcomes(claims: string[], seed = 1) {
  const a = analyze(`${HEADER}${claims.map((c) => `claim ${c}\n`).join('')}`);
  assert.deepEqual(
    a.diagnostics.map((d) => d.message),
    [],
  );
  const plans = planClaims(a.lowered!, a.derivatives!, a.program.claims);
  const p = buildCheckParams(a.program, a.lowered!, a.derivatives!, plans, { seed, budget: 'quick' });
  const out: Awaited<ReturnType<typeof testIdentity>>[] = [];
  for (const [i, plan] of plans.entries()) {
    // Proved by canonicalisation already: no numeric claim was sent.
    if (plan.kind === 'identity' && plan.proved) out.push({ kind: 'equal', errorProbability: 0, trials: 0, degree: 0 });
    const c = p.claims.find((x) => x.index === i);
    if (!c) continue;
    if (c.kind !== 'identity') throw new Error('identity claims only');
    out.push(await testIdentity(p.ir, p, c.lhs, c.rhs, seed));
  }
  return out;
}

const IDENTITIES: [string, string][] = [
  [
    'grad_x L = A^T (f ∘ (f - b) - <f, f - b> f) + A^T sinh(A x) + Y^T B^T (1_d - tanh(B Y x) ∘ tanh(B Y x)) + A^T (step(A x) ∘ relu(A x))',
    'equal',
  ],
  [
    'grad_x L = A^T (f ∘ (f - b) + <f, f - b> f) + A^T sinh(A x) + Y^T B^T (1_d - tanh(B Y x) ∘ tanh(B Y x)) + A^T (step(A x) ∘ relu(A x))',
    'different',
  ],
  ['hess_{x,Y} L = (hess_{Y,x} L)^T', 'equal'],
  ['cosh(A x) ∘ cosh(A x) - sinh(A x) ∘ sinh(A x) = 1_n', 'equal'],
  ['tanh(A x) = sinh(A x) ./ cosh(A x)', 'equal'],
  ['<f, 1_n> = 1', 'equal'],
  ['sigmoid(A x) ∘ (1_n + exp(A x)) = exp(A x)', 'equal'],
  // relu(a)·step(a) = relu(a) and step(a)² = step(a) everywhere.
  ['relu(A x) ∘ step(A x) = relu(A x)', 'equal'],
  // True, but through exp(log y) = y: not an identity of rational functions.
  ['exp(log(b ∘ b + 1_n)) = b ∘ b + 1_n', 'different'],
  // A coefficient that is a prime in range does not fool the test (the prime is random).
  ['2147483647 <x, x> = 0 <x, x>', 'different'],
  ['<x, x> + 2^-40 = <x, x>', 'different'],
  ['x / (sum(x ∘ x) - <x, x>) = x', 'undefined'],
  // Inverses and determinants are rational in their matrix's entries.
  ['(2 I_d + Y Y^T)^{-1} (2 I_d + Y Y^T) x = x', 'equal'],
  ['det(2 I_d + Y) = det((2 I_d + Y)^T)', 'equal'],
  ['det(2 Y) = 8 det(Y)', 'equal'],
  ['det(2 Y) = 7 det(Y)', 'different'],
  // Numbers are the rationals written: 0.1 · 0.1 is 1/100 whatever the float64 product rounds to.
  ['0.1 (0.1 <x, x>) = 0.01 <x, x>', 'equal'],
  ['1/3 (3 <x, x>) = <x, x>', 'equal'],
];

test('identity outcomes: proofs, differences (also by 2^-40 and by a prime) and vanishing denominators', async () => {
  const got = await outcomes(IDENTITIES.map(([c]) => c));
  IDENTITIES.forEach(([claim, want], i) => {
    assert.equal(got[i]!.kind, want, `${claim}: ${JSON.stringify(got[i])}`);
    const r = got[i]!;
    if (r.kind === 'equal' && r.trials > 0) assert.ok(r.errorProbability <= 1e-20 && r.trials >= 2, JSON.stringify(r));
  });
  assert.deepEqual(await outcomes([IDENTITIES[0]![0]], 1), await outcomes([IDENTITIES[0]![0]], 1), 'reproducible');
});

/** Random vector expressions in x, and the same function rewritten by a textbook identity. */
function vector(depth: number): fc.Arbitrary<string> {
  const leaves = fc.constantFrom('x', 'Y x', 'B x', 'A^T b', 'Y^T x');
  if (depth <= 0) return leaves;
  const v = vector(depth - 1);
  return fc.oneof(
    leaves,
    fc.tuple(v, v).map(([a, b]) => `(${a} + ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(${a} ∘ ${b})`),
    fc.tuple(v, v).map(([a, b]) => `(<${a}, ${b}> ${a})`),
    v.map((a) => `B ${a}`),
    v.map((a) => `tanh(${a})`),
    v.map((a) => `exp(0.5 ${a})`),
    v.map((a) => `sigmoid(${a})`),
    v.map((a) => `softmax(${a})`),
    v.map((a) => `(${a} ./ (1_d + ${a} ∘ ${a}))`),
  );
}

const REWRITES: ((a: string, b: string) => [string, string])[] = [
  (a, b) => [`B (${a} + ${b})`, `B ${a} + B ${b}`],
  (a, b) => [`(${a} + ${b}) ∘ (${a} - ${b})`, `${a} ∘ ${a} - ${b} ∘ ${b}`],
  (a, b) => [`<${a}, ${b}> ${a}`, `${a} ${b}^T ${a}`],
  (a) => [`2 tanh(${a})`, `(1_d - tanh(${a}) ∘ tanh(${a})) ∘ (2 tanh(${a})) ./ (1_d - tanh(${a}) ∘ tanh(${a}))`],
  (a) => [`sigmoid(${a})`, `exp(${a}) ./ (1_d + exp(${a}))`],
];

test('property: rewritten expressions are proved equal, and every "equal" holds numerically', async () => {
  const next = rng(7);
  const plan = (source: string) => {
    const a = analyze(source);
    return a;
  };
  await fc.assert(
    fc.asyncProperty(vector(2), vector(2), fc.integer({ min: 0, max: REWRITES.length - 1 }), fc.boolean(), async (a, b, r, perturb) => {
      const [lhs, rhs] = REWRITES[r]!(a, b);
      const claim = `${lhs} = ${rhs}${perturb ? ' + 1e-12 x' : ''}`;
      const analysed = plan(`${HEADER}claim ${claim}\n`);
      if (analysed.diagnostics.length) return; // a rewrite that does not type-check here
      const [outcome] = await outcomes([claim], 3);
      if (!perturb) assert.equal(outcome!.kind, 'equal', `${claim}: ${JSON.stringify(outcome)}`);
      else assert.equal(outcome!.kind, 'different', claim);
      // Soundness: where the test says equal, the float evaluations agree at random points.
      if (outcome!.kind !== 'equal') return;
      const c = analysed.program.claims[0]!;
      if (c.kind !== 'compare') return;
      const p = planClaims(analysed.lowered!, analysed.derivatives!, [c])[0]!;
      if (p.kind !== 'identity' || p.lhs.kind !== 'expr' || p.rhs.kind !== 'expr') return;
      const run = compile([p.lhs.node, p.rhs.node]);
      for (let k = 0; k < 3; k++) {
        const inputs = new Map<string, Float64Array>();
        for (const dcl of [...analysed.program.givens, ...analysed.program.vars])
          inputs.set(
            dcl.name,
            Float64Array.from({ length: dcl.shape.rows.value * dcl.shape.cols.value }, () => next() - 0.5),
          );
        const [l, rr] = run.run(inputs);
        l!.forEach((v, i) => assert.ok(Math.abs(v - rr![i]!) <= 1e-9 * Math.max(1, Math.abs(v)), `${claim}: ${v} vs ${rr![i]}`));
      }
    }),
    { numRuns: 60, seed: 12 },
  );
});
