/**
 * The CPU evaluator fuses left-deep chains of sums and their scalings into one output array
 * (src/symbolic/ops/common.ts, sumKernel). Fusion must not change a single bit: the same plans are
 * compiled once as they are, and once with every node a root (a root is read by the caller, so
 * nothing is fused away; nodes inside an indexed sum excepted), on random losses and their gradients, Hessians and Hessian-vector products.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compile } from '../src/numeric/evaluate';
import { type Node, topoOrder } from '../src/symbolic/ir';
import { analyzeOk, rng } from './helpers';
import { HEADER, scalar } from './lossgen';

/** Chains of sums with scalings, as derivatives produce them (and with scalars that are not constants). */
const CHAINS = [
  'loss L = 0.5 ||A x - c||_2^2 - 2 <c, x> + 3 <x, C X^T x> - <x, x> (0.25 + <c, c>)',
  'loss L = ||X||_F^2 - 0.5 tr(B X) + <x, c> ||A x||_2^2 - 7 sum(tanh(x)) + 0.1 ||X B x - 2 x + c||_2^2',
];

function inputs(seed: number): Map<string, Float64Array> {
  const next = rng(seed);
  const entries = (n: number): Float64Array => Float64Array.from({ length: n }, () => next() - 0.5);
  return new Map([
    ['A', entries(9)],
    ['B', entries(6)],
    ['c', entries(3)],
    ['C', entries(6)],
    ['x', entries(3)],
    ['X', entries(6)],
    ['$v0', entries(3)],
  ]);
}

function assertFusionKeepsBits(text: string, seed: number): void {
  const { lowered, derivatives } = analyzeOk(text);
  const g = lowered.graph;
  const v = g.given('$v0', lowered.vars[0]!.shape);
  const roots: Node[] = [...derivatives.grads, ...derivatives.hess.flat(), g.matmul(derivatives.hess[0]![0]!, v)];
  // Nodes inside a sum over an index (free indices) only have values within it: they stay inner.
  const all = topoOrder(roots).filter((n) => n.freeIndices.size === 0);
  const values = inputs(seed);
  const fused = compile(roots).run(values);
  const unfusedAll = compile(all).run(values);
  const unfused = roots.map((r) => unfusedAll[all.indexOf(r)]!);
  roots.forEach((r, i) => {
    const [a, b] = [fused[i]!, unfused[i]!];
    assert.equal(a.length, b.length, `root ${i} (${r.kind}) of ${text}: length`);
    for (let j = 0; j < a.length; j++)
      if (!Object.is(a[j], b[j])) assert.fail(`root ${i} (${r.kind}) of ${text}, entry ${j}: fused ${a[j]}, unfused ${b[j]}`);
  });
}

test('fused sums give the bits of the unfused nodes: chains with scalings', () => {
  CHAINS.forEach((loss, i) => assertFusionKeepsBits(`${HEADER}${loss}\n`, 100 + i));
});

test('fused sums give the bits of the unfused nodes: random losses and their derivatives', () => {
  fc.assert(
    fc.property(scalar(2), fc.integer({ min: 1, max: 1_000_000 }), (s, seed) => assertFusionKeepsBits(`${HEADER}loss L = ${s}\n`, seed)),
    { seed: 20261130, numRuns: 120 },
  );
});
