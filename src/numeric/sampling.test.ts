/** Sampling respects every constraint and is reproducible; the RNG is pinned for other workers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spectralNorm } from './linalg';
import type { SamplingSpec } from './protocol';
import { Stream, streamKey } from './rng';
import { Sampler, project, violation } from './sampling';

const spec = (name: string, rows: number, cols: number, constraints: SamplingSpec['constraints']): SamplingSpec => ({
  name,
  role: 'given',
  rows,
  cols,
  constraints,
});

test('the counter-based RNG matches an independent Python implementation of the same recipe', () => {
  const s = new Stream(streamKey(1, 2, 3));
  assert.deepEqual(
    [s.uniform(), s.uniform()].map((v) => v.toFixed(15)),
    ['0.884062300683955', '0.759789840745168'],
  );
  assert.equal(streamKey(0), 0);
});

test('every sample satisfies its constraints, and the same ids draw the same sample', () => {
  const specs = [
    spec('ball', 7, 1, [{ kind: 'normBall', norm: '2', radius: 2 }]),
    spec('spec', 5, 3, [{ kind: 'normBall', norm: 'spectral', radius: 1.5 }]),
    spec('fro', 3, 3, [{ kind: 'normBall', norm: 'F', radius: 1 }]),
    spec('l1', 4, 1, [{ kind: 'normBall', norm: '1', radius: 3 }]),
    spec('simplex', 6, 1, [
      { kind: 'lower', bound: 0 },
      { kind: 'sum', value: 1 },
    ]),
    spec('box', 5, 1, [
      { kind: 'lower', bound: -1 },
      { kind: 'upper', bound: 1 },
    ]),
    spec('low', 5, 1, [{ kind: 'lower', bound: 2 }]),
    spec('free', 5, 1, []),
  ];
  const sampler = new Sampler(specs, 42);
  let onBoundary = 0;
  for (let i = 0; i < 200; i++) {
    const p = sampler.draw(0, i);
    for (const s of specs) assert.equal(violation(p.get(s.name)!, s), undefined, `${s.name} at draw ${i}`);
    if (Math.abs(spectralNorm(p.get('spec')!, 5, 3) - 1.5) < 1e-9) onBoundary++;
    assert.deepEqual(sampler.draw(0, i).get('ball'), p.get('ball'));
  }
  assert.ok(onBoundary > 20 && onBoundary < 90, `spectral-norm samples on the boundary: ${onBoundary}/200`);
});

test('projection lands in the feasible set', () => {
  const simplex = spec('s', 4, 1, [
    { kind: 'lower', bound: 0 },
    { kind: 'sum', value: 1 },
  ]);
  assert.deepEqual(Array.from(project(Float64Array.of(2, 0, 0, 0), simplex)), [1, 0, 0, 0]);
  const ball = spec('b', 2, 1, [{ kind: 'normBall', norm: '2', radius: 1 }]);
  const b = project(Float64Array.of(3, 4), ball);
  assert.ok(Math.abs(b[0]! - 0.6) < 1e-15 && Math.abs(b[1]! - 0.8) < 1e-15, `got ${b}`);
  const box = spec('x', 3, 1, [
    { kind: 'lower', bound: -1 },
    { kind: 'upper', bound: 1 },
  ]);
  assert.deepEqual(Array.from(project(Float64Array.of(-3, 0.5, 9), box)), [-1, 0.5, 1]);
});
