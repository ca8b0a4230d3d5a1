/**
 * The two samplers (src/numeric/sampling.ts and its port python/derivlens/sampling.py) draw the
 * same points and project the same way for every kind of constraint — symmetric and PSD data,
 * families of matrices, and balls centred at an expression of givens — and every draw satisfies
 * its constraints.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { literalDim, shapeOf } from '../src/language/shape';
import type { SamplingSpec } from '../src/numeric/protocol';
import { Sampler, irCentre, project, violation } from '../src/numeric/sampling';
import { Graph } from '../src/symbolic/ir';
import { toWire } from '../src/symbolic/wire';
import { symmetricEigen } from '../src/numeric/linalg';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';

/** IR roots for centres: root 0 is the given C (3×3), root 1 is 0.5 C + Cᵀ, root 2 is the vector u. */
function centreIr() {
  const g = new Graph();
  const C = g.given('C', shapeOf(literalDim(3), literalDim(3)));
  const u = g.given('u', shapeOf(literalDim(4)));
  return toWire([C, g.add(g.scale(g.num(0.5), C), g.transpose(C)), u]);
}

const { graph, positions } = centreIr();
const specs: SamplingSpec[] = [
  { name: 'C', role: 'given', rows: 3, cols: 3, constraints: [{ kind: 'normBall', norm: 'F', radius: 1 }] },
  {
    name: 'u',
    role: 'given',
    rows: 4,
    cols: 1,
    constraints: [
      { kind: 'lower', bound: -1 },
      { kind: 'upper', bound: 1 },
    ],
  },
  { name: 'S', role: 'given', rows: 3, cols: 3, constraints: [{ kind: 'sym' }] },
  { name: 'P', role: 'given', rows: 3, cols: 3, constraints: [{ kind: 'psd' }, { kind: 'normBall', norm: 'spectral', radius: 2 }] },
  { name: 'F', role: 'given', rows: 6, cols: 2, blocks: 3, constraints: [{ kind: 'normBall', norm: 'F', radius: 1 }] },
  { name: 'Q', role: 'given', rows: 9, cols: 3, blocks: 3, constraints: [{ kind: 'psd' }] },
  { name: 'W', role: 'var', rows: 3, cols: 3, constraints: [{ kind: 'normBall', norm: 'F', radius: 0.5, center: positions[1]! }] },
  { name: 'x', role: 'var', rows: 4, cols: 1, constraints: [{ kind: 'normBall', norm: '2', radius: 1, center: positions[2]! }] },
];

test('every draw satisfies its constraints: sym and PSD members, families, centred balls', () => {
  const centre = irCentre(graph);
  const sampler = new Sampler(specs, 7, centre);
  for (let i = 0; i < 50; i++) {
    const p = sampler.draw(3, i);
    for (const s of specs) assert.equal(violation(p.get(s.name)!, s, sampler.centreAt(p)), undefined, `${s.name} at draw ${i}`);
    const q = p.get('Q')!;
    for (let b = 0; b < 3; b++) {
      const m = new Float64Array(9);
      for (let j = 0; j < 3; j++) for (let r = 0; r < 3; r++) m[r + 3 * j] = q[3 * b + r + 9 * j]!;
      assert.ok(symmetricEigen(m, 3, true).values[0]! >= -1e-12, `member ${b} of Q is PSD`);
    }
  }
  assert.throws(() => new Sampler(specs, 7).draw(0), /centre/, 'a centred ball without a way to evaluate its centre is an internal error');
});

test('projection: onto PSD matrices, around a centre, per member of a family', () => {
  const psd: SamplingSpec = { name: 'P', role: 'var', rows: 2, cols: 2, constraints: [{ kind: 'psd' }] };
  // [[1, 2], [0, 1]] → symmetric part [[1, 1], [1, 1]] (PSD already); [[0, 0], [0, -1]] → 0.
  assert.deepEqual(Array.from(project(Float64Array.of(1, 0, 2, 1), psd)), [1, 1, 1, 1]);
  assert.deepEqual(
    Array.from(project(Float64Array.of(0, 0, 0, -1), psd)).map((v) => Math.abs(v)),
    [0, 0, 0, 0],
  );
  const centred: SamplingSpec = {
    name: 'x',
    role: 'var',
    rows: 2,
    cols: 1,
    constraints: [{ kind: 'normBall', norm: '2', radius: 1, center: 0 }],
  };
  const y = project(Float64Array.of(13, 4), centred, () => Float64Array.of(10, 0));
  assert.ok(Math.abs(y[0]! - 10.6) < 1e-14 && Math.abs(y[1]! - 0.8) < 1e-14, `projected around (10, 0): ${y}`);
  const family: SamplingSpec = {
    name: 'F',
    role: 'var',
    rows: 4,
    cols: 1,
    blocks: 2,
    constraints: [{ kind: 'normBall', norm: '2', radius: 1 }],
  };
  assert.deepEqual(
    Array.from(project(Float64Array.of(3, 4, 0.6, 0.8), family)).map((v) => Number(v.toFixed(12))),
    [0.6, 0.8, 0.6, 0.8],
  );
});

test('the Python sampler draws and projects exactly what the TypeScript sampler does', () => {
  const centre = irCentre(graph);
  const sampler = new Sampler(specs, 11, centre);
  const ids = [
    [0, 0],
    [0, 1],
    [5, 2, 9],
  ];
  const ts = ids.map((i) => {
    const p = sampler.draw(...i);
    // Perturb, then project back: the searches' retraction.
    const moved = Object.fromEntries(specs.map((s) => [s.name, Array.from(p.get(s.name)!, (v, k) => v + 0.7 * Math.sin(k + 1))]));
    const projected = new Map(p);
    for (const s of specs) projected.set(s.name, project(Float64Array.from(moved[s.name]!), s, sampler.centreAt(projected)));
    return {
      draw: Object.fromEntries([...p].map(([k, v]) => [k, Array.from(v)])),
      moved,
      projected: Object.fromEntries([...projected].map(([k, v]) => [k, Array.from(v)])),
    };
  });
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(resolve('python'))})
import numpy as np
from derivlens.backend import NumpyBackend
from derivlens.plan import PointEvaluator, Program
from derivlens.sampling import Sampler, project
req = json.load(sys.stdin)
centre = PointEvaluator(Program(req["ir"], NumpyBackend()))
sampler = Sampler(req["specs"], 11, centre)
out = []
for ids, t in zip(req["ids"], req["ts"]):
    p = sampler.draw(*ids)
    projected = dict(p)
    for s in req["specs"]:
        projected[s["name"]] = project(np.array(t["moved"][s["name"]]), s, sampler.centre_at(projected))
    out.append({"draw": {k: v.tolist() for k, v in p.items()}, "projected": {k: v.tolist() for k, v in projected.items()}})
print(json.dumps(out))`;
  const py = JSON.parse(
    execFileSync(PYTHON, ['-c', script], { encoding: 'utf8', input: JSON.stringify({ ir: graph, specs, ids, ts }) }),
  ) as { draw: Record<string, number[]>; projected: Record<string, number[]> }[];
  const failures: string[] = [];
  ts.forEach((t, i) => {
    for (const part of ['draw', 'projected'] as const)
      for (const s of specs) {
        const a = t[part][s.name]!;
        const b = py[i]![part][s.name]!;
        const scale = Math.max(1, ...a.map(Math.abs));
        a.forEach((v, k) => {
          if (Math.abs(v - b[k]!) > 1e-12 * scale) failures.push(`${part} ${s.name}[${k}] of ids ${ids[i]}: ${v} vs ${b[k]}`);
        });
      }
  });
  assert.deepEqual(failures.slice(0, 20), []);
});
