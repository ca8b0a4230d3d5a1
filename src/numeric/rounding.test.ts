/**
 * Rounding-error bounds are rigorous: random programs of rational ops are evaluated in float64
 * (compile) and exactly (BigInt rationals from the same float64 inputs), and every entry's error
 * must lie within its bound. Elementwise transcendental functions are checked against Math at the
 * exactly computed argument, with that reference's own rounding as slack.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { literalDim, shapeOf } from '../language/shape';
import { Graph, type Node } from '../symbolic/ir';
import { compile } from './evaluate';
import { roundingBounds } from './rounding';
import { rng } from '../../test/helpers';

/** An exact rational n/d, d > 0. */
class Q {
  constructor(
    readonly n: bigint,
    readonly d: bigint = 1n,
  ) {}

  static of(x: number): Q {
    if (!Number.isFinite(x)) throw new Error(`no exact value for ${x}`);
    if (x === 0) return new Q(0n);
    let m = Math.abs(x);
    let e = 0;
    while (!Number.isInteger(m)) {
      m *= 2;
      e--;
    }
    const n = BigInt(m) * (x < 0 ? -1n : 1n);
    return e < 0 ? new Q(n, 2n ** BigInt(-e)) : new Q(n);
  }

  add(o: Q): Q {
    return new Q(this.n * o.d + o.n * this.d, this.d * o.d).reduce();
  }
  sub(o: Q): Q {
    return this.add(new Q(-o.n, o.d));
  }
  mul(o: Q): Q {
    return new Q(this.n * o.n, this.d * o.d).reduce();
  }
  div(o: Q): Q {
    if (o.n === 0n) throw new Error('division by zero');
    const s = o.n < 0n ? -1n : 1n;
    return new Q(this.n * o.d * s, this.d * o.n * s).reduce();
  }
  abs(): Q {
    return new Q(this.n < 0n ? -this.n : this.n, this.d);
  }
  le(o: Q): boolean {
    return this.n * o.d <= o.n * this.d;
  }
  toNumber(): number {
    // Shift both so that the smaller keeps 64 significant bits: the quotient is then within 1e-16.
    const bits = (v: bigint): number => (v < 0n ? -v : v).toString(2).length;
    const shift = BigInt(Math.max(0, Math.min(bits(this.n), bits(this.d)) - 64));
    return Number(this.n >> shift) / Number(this.d >> shift);
  }
  private reduce(): Q {
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
    const g = gcd(this.n, this.d);
    return g > 1n ? new Q(this.n / g, this.d / g) : this;
  }
}

type Exact = Q[];

/** The exact value of a node of the rational ops used below (column-major). */
function exact(n: Node, inputs: ReadonlyMap<string, Float64Array>, memo: Map<number, Exact>): Exact {
  const hit = memo.get(n.id);
  if (hit) return hit;
  const arg = (i: number): Exact => exact(n.args[i]!, inputs, memo);
  const rows = n.shape.rows.value;
  const cols = n.shape.cols.value;
  let out: Exact;
  switch (n.kind) {
    case 'var':
    case 'given':
      out = Array.from(inputs.get(n.name)!, (v) => Q.of(v));
      break;
    case 'num':
    case 'const':
      out = [Q.of(n.value)];
      break;
    case 'ones':
      out = Array.from({ length: rows * cols }, () => new Q(1n));
      break;
    case 'add':
      out = arg(0).map((x, i) => x.add(arg(1)[i]!));
      break;
    case 'hadamard':
      out = arg(0).map((x, i) => x.mul(arg(1)[i]!));
      break;
    case 'divide':
      out = arg(0).map((x, i) => x.div(arg(1)[i]!));
      break;
    case 'scale':
      out = arg(1).map((x) => arg(0)[0]!.mul(x));
      break;
    case 'transpose':
      out = Array.from({ length: rows * cols }, (_, k) => arg(0)[Math.floor(k / rows) + (k % rows) * cols]!);
      break;
    case 'diag':
      out = Array.from({ length: rows * rows }, (_, k) => (k % rows === Math.floor(k / rows) ? arg(0)[k % rows]! : new Q(0n)));
      break;
    case 'matmul': {
      const [a, b] = [arg(0), arg(1)];
      const inner = n.args[0]!.shape.cols.value;
      out = Array.from({ length: rows * cols }, (_, k) => {
        const [i, j] = [k % rows, Math.floor(k / rows)];
        let s = new Q(0n);
        for (let t = 0; t < inner; t++) s = s.add(a[i + t * rows]!.mul(b[t + j * inner]!));
        return s;
      });
      break;
    }
    case 'inner':
      out = [arg(0).reduce((s, x, i) => s.add(x.mul(arg(1)[i]!)), new Q(0n))];
      break;
    case 'sum':
      out = [arg(0).reduce((s, x) => s.add(x), new Q(0n))];
      break;
    case 'pow': {
      const k = (n.args[1] as Node & { value: number }).value;
      let p = new Q(1n);
      for (let t = 0; t < Math.abs(k); t++) p = p.mul(arg(0)[0]!);
      out = [k < 0 ? new Q(1n).div(p) : p];
      break;
    }
    case 'normalize': {
      const total = arg(0).reduce((s, x) => s.add(x), new Q(0n));
      out = arg(0).map((x) => x.div(total));
      break;
    }
    default:
      throw new Error(`no exact reference for '${n.kind}'`);
  }
  memo.set(n.id, out);
  return out;
}

const N = 4;

/** Random vector, matrix and scalar expressions over x, y ∈ R^4, A ∈ R^{4×4}, s ∈ R. */
function generator(g: Graph, next: () => number) {
  const vec = shapeOf(literalDim(N));
  const [x, y, A, s] = [
    g.variable('x', vec),
    g.given('y', vec),
    g.given('A', shapeOf(literalDim(N), literalDim(N))),
    g.given('s', shapeOf(literalDim(1))),
  ];
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const constants = [0.1, 1 / 3, -2, 1e-3, 7];
  const scalar = (d: number): Node =>
    d <= 0
      ? pick([s, g.num(pick(constants))])
      : pick([
          () => g.inner(vector(d - 1), vector(d - 1)),
          () => g.sum(vector(d - 1)),
          () => g.add(scalar(d - 1), scalar(d - 1)),
          () => g.pow(g.add(scalar(d - 1), g.num(3)), g.num(pick([2, 3, -1]))),
        ])();
  const matrix = (d: number): Node =>
    d <= 0
      ? pick([A, g.transpose(A)])
      : pick([
          () => g.matmul(matrix(d - 1), matrix(d - 1)),
          () => g.hadamard(matrix(d - 1), matrix(d - 1)),
          () => g.scale(scalar(d - 1), matrix(d - 1)),
        ])();
  const vector = (d: number): Node =>
    d <= 0
      ? pick([x, y])
      : pick([
          () => g.add(vector(d - 1), vector(d - 1)),
          // Cancellation: a vector minus a near copy of itself.
          () => g.sub(vector(d - 1), g.scale(g.num(1 + 2 ** -30), vector(d - 1))),
          () => g.hadamard(vector(d - 1), vector(d - 1)),
          () => g.scale(scalar(d - 1), vector(d - 1)),
          () => g.matmul(matrix(d - 1), vector(d - 1)),
          () => g.matmul(g.diag(vector(d - 1)), vector(d - 1)),
          () => g.divide(vector(d - 1), g.add(g.hadamard(vector(d - 1), vector(d - 1)), g.ones(vec))),
          () => g.normalize(g.add(g.hadamard(vector(d - 1), vector(d - 1)), g.ones(vec))),
        ])();
  return { vector, scalar };
}

function randomInputs(next: () => number): Map<string, Float64Array> {
  const draw = (k: number): Float64Array =>
    Float64Array.from({ length: k }, () => (next() < 0.5 ? -1 : 1) * 2 ** (8 * next() - 4) * (1 + next()));
  return new Map([
    ['x', draw(N)],
    ['y', draw(N)],
    ['A', draw(N * N)],
    ['s', draw(1)],
  ]);
}

test('property: rational programs are within their rounding-error bounds, entry by entry, exactly', () => {
  const next = rng(20261);
  let checked = 0;
  let tight = 0;
  for (let trial = 0; trial < 300; trial++) {
    const g = new Graph();
    const { vector, scalar } = generator(g, next);
    const root = next() < 0.7 ? vector(1 + Math.floor(next() * 3)) : scalar(1 + Math.floor(next() * 3));
    const [bound] = roundingBounds(g, [root]);
    const inputs = randomInputs(next);
    const [value, E] = compile([root, bound!]).run(inputs);
    let truth: Exact;
    try {
      truth = exact(root, inputs, new Map());
    } catch {
      continue; // an exact division by zero: nothing to compare
    }
    value!.forEach((v, i) => {
      const e = E!.length === 1 ? E![0]! : E![i]!;
      if (!Number.isFinite(v) || !Number.isFinite(e)) return;
      const error = Q.of(v).sub(truth[i]!).abs();
      assert.ok(error.le(Q.of(e)), `trial ${trial} entry ${i}: |fl − exact| = ${error.toNumber()} > bound ${e}`);
      checked++;
      if (error.toNumber() > e / 64) tight++;
    });
  }
  assert.ok(checked > 500, `${checked} entries compared`);
  assert.ok(tight > 0, 'some errors come close to their bound (the bound is not vacuous)');
});

test('elementwise functions: the error stays within the bound at exactly computed arguments', () => {
  const next = rng(77);
  const fns = ['exp', 'log', 'cosh', 'sinh', 'tanh', 'sigmoid', 'sqrt', 'relu', 'abs'] as const;
  for (let trial = 0; trial < 200; trial++) {
    const g = new Graph();
    const { vector } = generator(g, next);
    const fn = fns[trial % fns.length]!;
    // Arguments with rounding error of their own; log and sqrt get positive ones.
    let a = vector(1 + Math.floor(next() * 2));
    if (fn === 'log' || fn === 'sqrt') a = g.add(g.hadamard(a, a), g.scale(g.num(0.5), g.ones(a.shape)));
    if (fn === 'exp' || fn === 'cosh' || fn === 'sinh') a = g.scale(g.num(1e-3), a);
    const root = g.fn(fn, a);
    const [bound] = roundingBounds(g, [root]);
    const inputs = randomInputs(next);
    const [value, E] = compile([root, bound!]).run(inputs);
    const args = exact(a, inputs, new Map()).map((q) => q.toNumber());
    const f = {
      exp: Math.exp,
      log: Math.log,
      cosh: Math.cosh,
      sinh: Math.sinh,
      tanh: Math.tanh,
      sigmoid: (t: number) => 1 / (1 + Math.exp(-t)),
      sqrt: Math.sqrt,
      relu: (t: number) => Math.max(t, 0),
      abs: Math.abs,
    }[fn];
    value!.forEach((v, i) => {
      const t = args[i]!;
      if (!Number.isFinite(v) || !Number.isFinite(E![i]!)) return;
      // The reference f(t) is itself rounded (t to float64, then f): its own error, as slack.
      const ref = f(t);
      const slack = Math.abs(f(t * (1 + 4e-16)) - ref) + 4e-16 * Math.abs(ref) + 1e-300;
      assert.ok(Math.abs(v - ref) <= E![i]! + slack, `${fn} trial ${trial} entry ${i}: |${v} − ${ref}| > ${E![i]} + ${slack}`);
    });
  }
});
