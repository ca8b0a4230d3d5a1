/**
 * Sums over indices (`\sum_{k=1}^{N}`) evaluated by the CPU evaluator against the same sums written
 * out as loops here. Inside a sum the compiled plan keeps each node's value while the indices it
 * depends on keep theirs (src/numeric/evaluate.ts, cachedPerIteration); these losses share indexed
 * terms between readers, between sibling sums with the same index letter, and between an inner sum
 * and the outer one, so a value kept across a change of index would show here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile } from '../src/numeric/evaluate';
import { analyzeOk, rng } from './helpers';

const N = 5;
const M = 3;
const D = 2;

function data(seed: number): Record<string, Float64Array> {
  const next = rng(seed);
  const entries = (k: number): Float64Array => Float64Array.from({ length: k }, () => 2 * next() - 1);
  return { X: entries(N * D), y: entries(N), a: entries(M), W: entries(M * D), c: entries(N), x: entries(N), B: entries(N * N) };
}

/** Column-major entry (i, j) of a rows×cols matrix, 0-based. */
const at = (m: Float64Array, rows: number, i: number, j: number): number => m[i + j * rows]!;

const HEADER = `dim N = ${N}, m = ${M}, d = ${D}
given X : R^{N x d}
given y : R^N
given a : R^m
given c : R^N
given B : R^{N x N}
var W : R^{m x d}
var x : R^N
`;

const CASES: { loss: string; direct: (v: Record<string, Float64Array>) => number }[] = [
  {
    // The two-layer network of examples/exp_two_layer.loss: the inner sum is read once per k.
    loss: 'loss L = 0.5 \\sum_{k=1}^{N} \\left( \\sum_{r=1}^{m} a[r] \\exp(W[r, :] X[k, :]^\\top) - y[k] \\right)^2',
    direct: ({ X, y, a, W }) => {
      let total = 0;
      for (let k = 0; k < N; k++) {
        let f = 0;
        for (let r = 0; r < M; r++) {
          let dot = 0;
          for (let j = 0; j < D; j++) dot += at(W, M, r, j) * at(X, N, k, j);
          f += a[r]! * Math.exp(dot);
        }
        total += (f - y[k]!) ** 2;
      }
      return 0.5 * total;
    },
  },
  {
    // Sibling sums over the same letter share x[i]; the last one squares a sum.
    loss: 'loss L = sum_{i=1}^{N} x[i]^2 + sum_{i=1}^{N} x[i] c[i] + (sum_{i=1}^{N} x[i])^2',
    direct: ({ x, c }) => {
      let [sq, dot, s] = [0, 0, 0];
      for (let i = 0; i < N; i++) {
        sq += x[i]! ** 2;
        dot += x[i]! * c[i]!;
        s += x[i]!;
      }
      return sq + dot + s * s;
    },
  },
  {
    // An inner sum that depends on the outer index, read twice per outer iteration.
    loss: 'loss L = sum_{k=1}^{N} (sum_{j=1}^{N} B[k, j] x[j])^2 (1 + tanh(sum_{j=1}^{N} B[k, j] x[j] + c[k]))',
    direct: ({ x, c, B }) => {
      let total = 0;
      for (let k = 0; k < N; k++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += at(B, N, k, j) * x[j]!;
        total += s * s * (1 + Math.tanh(s + c[k]!));
      }
      return total;
    },
  },
];

for (const [i, { loss, direct }] of CASES.entries()) {
  test(`indexed sums evaluate as their loops: ${loss.slice(9, 60)}…`, () => {
    const { lowered, derivatives } = analyzeOk(`${HEADER}${loss}\n`);
    // The gradient plan runs the same sums again, interleaved with the loss's nodes in one plan.
    const plan = compile([lowered.loss, ...derivatives.grads]);
    for (let seed = 1; seed <= 5; seed++) {
      const values = data(100 * i + seed);
      const [value] = plan.run(new Map(Object.entries(values)));
      const expected = direct(values);
      const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
      assert.ok(Math.abs(value![0]! - expected) <= tolerance, `seed ${seed}: evaluated ${value![0]}, loops give ${expected}`);
    }
  });
}
