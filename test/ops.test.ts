/**
 * The op registry's tidy checks and kernel parity, like rust-analyzer's tidy: every op of the
 * TypeScript registry (src/symbolic/ops) has a Python kernel (python/derivlens/kernels.py) and
 * vice versa, every elementwise function likewise; and every op's TypeScript kernel and Python
 * kernel (NumPy, JAX, PyTorch when importable) agree on the same inputs, extreme ones included
 * (overflow, singular matrices: the same non-finite entries in the same places).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { type Shape, literalDim, namedDim, shapeOf } from '../src/language/shape';
import { compile } from '../src/numeric/evaluate';
import { Stream, streamKey } from '../src/numeric/rng';
import { Graph, type Node, topoOrder } from '../src/symbolic/ir';
import { ELEMENTWISE, FUNCTIONS, OPS } from '../src/symbolic/ops';
import { toWire } from '../src/symbolic/wire';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';
const PY_PATH = JSON.stringify(resolve('python'));

function python(script: string, input = ''): string {
  return execFileSync(PYTHON, ['-c', `import sys; sys.path.insert(0, ${PY_PATH})\n${script}`], {
    encoding: 'utf8',
    input,
    maxBuffer: 1 << 28,
  });
}

test('tidy: every op and elementwise function has a Python kernel, and every Python kernel an op', () => {
  const py = JSON.parse(
    python('import json\nfrom derivlens.kernels import KERNELS, ELEMENTWISE\nprint(json.dumps([sorted(KERNELS), sorted(ELEMENTWISE)]))'),
  ) as [string[], string[]];
  assert.deepEqual(py[0], Object.keys(OPS).sort(), 'IR ops (src/symbolic/ops/index.ts) vs KERNELS (python/derivlens/kernels.py)');
  assert.deepEqual(py[1], Object.keys(ELEMENTWISE).sort(), 'ELEMENTWISE rows (ops/elementwise.ts) vs ELEMENTWISE (kernels.py)');
});

test('tidy: every op definition names its own kind, and every built-in function lowers and has a shape rule', () => {
  for (const [kind, def] of Object.entries(OPS)) assert.equal(def.kind, kind);
  for (const [name, def] of FUNCTIONS) {
    assert.ok(def.arity >= 1, name);
    assert.equal(typeof def.lower, 'function', name);
    assert.equal(typeof def.shape, 'function', name);
  }
});

const n = namedDim('n', 3);
const m = namedDim('m', 2);

/** One root per op, over a few givens; the test below checks that together they reach every op. */
function opCases(g: Graph): { roots: Node[]; inputs: Record<string, Shape> } {
  const inputs: Record<string, Shape> = {
    A: shapeOf(n, n),
    B: shapeOf(n, m),
    u: shapeOf(n),
    v: shapeOf(n),
    s: shapeOf(literalDim(1)),
    P: shapeOf(literalDim(2 * 3), n),
    w: shapeOf(literalDim(6)),
    x: shapeOf(n),
  };
  const leaf = Object.fromEntries(
    Object.entries(inputs).map(([name, shape]) => [name, name === 'x' ? g.variable(name, shape) : g.given(name, shape)]),
  );
  const { A, B, u, v, s, P, w, x } = leaf as Record<'A' | 'B' | 'u' | 'v' | 's' | 'P' | 'w' | 'x', Node>;
  const spd = g.add(g.matmul(A, g.transpose(A)), g.identity(n));
  const i = { kind: 'index', name: 'i' } as const;
  const roots = [
    g.add(A, g.transpose(A)),
    g.matmul(A, x),
    g.zeros(shapeOf(n, m)),
    g.scale(s, B),
    g.matmul(A, B),
    g.matmul(g.diag(u), B),
    g.matmul(g.transpose(B), g.diag(u)),
    g.matmul(u, g.transpose(v)),
    g.hadamard(u, v),
    g.divide(u, v),
    g.pow(g.fn('abs', s), g.num(1.5)),
    g.kron(B, u),
    g.inner(u, v),
    g.sum(B),
    g.trace(A),
    g.norm(u, '2'),
    g.norm(B, 'F'),
    g.logsumexp(u),
    g.diagvec(A),
    g.unvec(w, shapeOf(n, m)),
    g.vec(B),
    g.matmul(g.commutation(m, n), w),
    g.softmax(u),
    g.normalize(g.fn('exp', v)),
    g.normalize(g.add(g.fn('exp', v), u)),
    ...Object.keys(ELEMENTWISE).map((f) => g.fn(f, u)),
    g.slice(A, { kind: 'lit', value: 2 }, null),
    g.slice(B, null, { kind: 'lit', value: 1 }),
    g.rowBlock(P, { kind: 'lit', value: 2 }, n),
    g.indexSum('i', 1, 2, g.scale(g.indexValue('i'), g.matmul(g.rowBlock(P, i, n), g.unit(n, i)))),
    g.indexSum('i', 1, 3, g.scale(g.slice(u, i, null), g.add(g.ones(shapeOf(n)), g.zeros(shapeOf(n))))),
    g.det(A),
    g.logdet(spd),
    g.logdet(A),
    g.inv(A),
    g.dataConstant('sigmaMax', B),
    g.dataConstant('sigmaMin', B),
    g.dataConstant('lambdaMax', A),
    g.dataConstant('lambdaMin', A),
    g.dataConstant('normInf', B),
    g.extremum('max', u, v),
    g.extremum('min', u, v),
    g.scale(g.constant('R', 2.5), u),
  ];
  return { roots, inputs };
}

test('kernel parity: every op gives the same values in TypeScript and in Python (NumPy, JAX, PyTorch)', () => {
  const g = new Graph();
  const { roots, inputs } = opCases(g);
  const reached = new Set(topoOrder(roots).map((r) => r.kind));
  assert.deepEqual(
    Object.keys(OPS).filter((kind) => !reached.has(kind as Node['kind'])),
    [],
    'ops the parity cases do not exercise',
  );
  const { graph, positions } = toWire(roots);
  const rng = new Stream(streamKey(20261201));
  // Point 0 is ordinary; point 1 overflows exp/cosh and saturates sigmoid/softplus; point 2 has a
  // singular A (a zero column: det 0, inverse all NaN) and an exactly zero u (kinks, log of 0).
  const points: Record<string, number[]>[] = [0, 1, 2].map((p) =>
    Object.fromEntries(
      Object.entries(inputs).map(([name, shape]) => {
        const size = shape.rows.value * shape.cols.value;
        const scale = p === 1 && (name === 'u' || name === 'v') ? 800 : 1;
        const values = Array.from({ length: size }, () => scale * rng.normal());
        if (p === 2 && name === 'A') for (let r = 0; r < 3; r++) values[r + 2 * 3] = 0;
        if (p === 2 && name === 'u') values.fill(0);
        return [name, values];
      }),
    ),
  );
  const ts = points.map((point) => {
    const out = compile(roots).run(new Map(Object.entries(point).map(([name, vals]) => [name, Float64Array.from(vals)])));
    return out.map((a) => Array.from(a));
  });
  const encode = (_k: string, x: unknown): unknown => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x);
  const script = `
import json, sys
import numpy as np
from derivlens.backend import select_backend
from derivlens.plan import Plan, Program
req = json.load(sys.stdin)
results = {}
for name in req["backends"]:
    try:
        backend, _ = select_backend(name)
    except ImportError:
        continue
    program = Program(req["ir"], backend)
    plan = Plan(program, req["roots"])
    inputs = {}
    for key, shape in req["shapes"].items():
        rows, cols = shape
        stack = np.array([p[key] for p in req["points"]], dtype=np.float64).reshape(len(req["points"]), cols, rows)
        inputs[key] = backend.asarray(np.swapaxes(stack, 1, 2))
    out = []
    for v in plan.run(inputs):
        a = backend.to_numpy(v)
        a = np.broadcast_to(a, (len(req["points"]),) + a.shape[1:])
        out.append([[str(x) if not np.isfinite(x) else float(x) for x in np.swapaxes(p, 0, 1).reshape(-1)] for p in a])
    results[name] = out
print(json.dumps(results))
`;
  const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  const request = {
    ir: graph,
    roots: positions,
    shapes: Object.fromEntries(Object.entries(inputs).map(([name, s]) => [name, [s.rows.value, s.cols.value]])),
    points,
    backends: ['numpy', 'jax', ...(hasTorch ? ['torch'] : [])],
  };
  const py = JSON.parse(python(script, JSON.stringify(request, encode))) as Record<string, (number | string)[][][]>;
  assert.ok(py['numpy'] && py['jax'], 'NumPy and JAX backends ran');
  const asNumber = (x: number | string): number => (typeof x === 'number' ? x : x === 'nan' ? NaN : x === 'inf' ? Infinity : -Infinity);
  const failures: string[] = [];
  for (const [backend, values] of Object.entries(py)) {
    roots.forEach((root, r) => {
      points.forEach((_p, p) => {
        const a = ts[p]![r]!;
        const b = values[r]![p]!.map(asNumber);
        const scale = a.reduce((s, x) => (Number.isFinite(x) ? Math.max(s, Math.abs(x)) : s), 1e-300);
        a.forEach((x, e) => {
          const y = b[e]!;
          const same = Number.isNaN(x) ? Number.isNaN(y) : x === y || Math.abs(x - y) <= 1e-12 * scale;
          if (!same)
            failures.push(
              `${backend} ${root.kind}${root.kind === 'fn' ? `(${(root as { fn: string }).fn})` : ''} point ${p} [${e}]: ${x} vs ${y}`,
            );
        });
      });
    });
  }
  assert.deepEqual(failures.slice(0, 30), []);
});
