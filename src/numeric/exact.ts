/**
 * Identity claims decided exactly: randomised identity testing over prime fields.
 *
 * Both sides of `lhs = rhs` are read as rational functions of independent symbols: every entry of
 * every var and given, and one symbol per transcendental or non-rational subterm, per entry and per
 * binding of the summation indices free in it. exp(a) is the symbol E_a, and cosh, sinh, tanh,
 * sigmoid and softmax of a are rational in E_a; det and inv are rational in their matrix's
 * entries; log, sqrt, relu, abs, step, sign, norms and non-integer powers are symbols of their own.
 * Numbers are the rationals they are written as (0.1 is 1/10, 1/3 is 1/3; constant folding keeps
 * them so, see symbolic/rational.ts). Hash-consing already canonicalises the IR, so one subterm is one symbol on both sides.
 *
 * Equal as rational functions implies equal as functions wherever both sides are defined, so
 * "equal" is a proof. The converse fails (exp(log x) = x is not a formal identity), so "different"
 * only sends the claim to the floating-point check, which alone may refute.
 *
 * A trial evaluates both sides at a uniformly random point of F_p, p a random prime in
 * [2^30, 2^31), in float64 arithmetic that stays exact (16-bit split products, no BigInt). A matrix
 * side is reduced to uᵀ(L − R)v (Freivalds) with random field vectors u, v, re-associated by the
 * planner so that it costs about as much as a gradient. A nonzero difference N/D survives a trial
 * only if p divides every coefficient of N (fewer than log2(height)/30 of the primes in range do)
 * or the point is a root of N mod p (probability ≤ deg N / p, Schwartz–Zippel); the degree and the
 * height of N are bounded per node, rule by rule. Independent trials multiply these bounds.
 */
import { type Shape, literalDim, shapeOf } from '../language/shape';
import { Graph, type IndexRef, InternalError, type Kind, type Node, type NodeOf, NonFiniteConstant, topoOrder } from '../symbolic/ir';
import { rationalOf } from '../symbolic/rational';
import { ASCII, Printer } from '../symbolic/print';
import { type WireGraph, fromWire } from '../symbolic/wire';
import {
  Field,
  ONE_POLY,
  PRIMES_IN_RANGE,
  PRIME_LOW,
  type Poly,
  type Rat,
  SYMBOL,
  constantPoly,
  entrywise,
  hashString,
  padd,
  pmul,
  poly,
  ppow,
  psum,
  randomPrime,
  ratAdd,
  ratIndexSum,
  ratInverse,
  ratMul,
  ratPow,
  ratSum,
  uniformBelow,
} from './field';
import { EvaluationPlanner } from './optimize';
import type { Quantity } from './protocol';

// ---- errors ------------------------------------------------------------------------------------------

/** Division by zero in the field: the denominator is zero at this point (or everywhere). */
export class ZeroDivision extends Error {
  constructor(readonly node: Node) {
    super('division by zero');
  }
}

/** A rule is missing for an IR kind (the message names it). */
export class NoExactRule extends Error {}

/** The evaluation would take too long to run synchronously in the worker. */
class TooLarge extends Error {}

// ---- the rules: one per IR kind -----------------------------------------------------------------

const numelOf = (n: Node): number => n.shape.rows.value * n.shape.cols.value;
const shapeKeyOf = (n: Node): string => `${n.shape.rows.value}x${n.shape.cols.value}`;
const rowsOf = (n: Node): number => n.shape.rows.value;
const colsOf = (n: Node): number => n.shape.cols.value;

/** What a field kernel reads while it runs. */
export interface FieldContext {
  readonly F: Field;
  /** The value of argument i of the node being evaluated. */
  arg(i: number): Float64Array;
  /** The value of any node (an argument's argument, say). */
  value(n: Node): Float64Array;
  /** One random element per entry: the symbols `family` of node n at the current index binding. */
  symbols(family: string, n: Node, entries: number): Float64Array;
  /** Inputs (givens and vars) by name: random symbols, or the Freivalds vectors. */
  input(n: NodeOf<'var' | 'given'>): Float64Array;
  ref(r: IndexRef): number;
  /** Runs `body` once per value of `index` in [lower, upper]. */
  bind(index: string, lower: number, upper: number, body: () => void): void;
  /** Field operations about to be spent (aborts an evaluation that would block the worker too long). */
  spend(ops: number): void;
  /** Inverts x entrywise, naming `node` if an entry is zero. */
  invert(x: Float64Array, node: Node): Float64Array;
}

/** What a bound rule reads: its arguments' bounds. */
export interface BoundContext {
  arg(i: number): Rat;
  /** Largest value an index can take (the upper limit of its sums). */
  indexMax(name: string): number;
}

export interface ExactRule<K extends Kind = Kind> {
  /** The node's value over F_p, column-major. */
  field(node: NodeOf<K>, c: FieldContext): Float64Array;
  /** Degree and height bounds of the node's entries as rational functions. */
  bound(node: NodeOf<K>, b: BoundContext): Rat;
}

function elementwise(a: Float64Array, b: Float64Array, f: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
  return out;
}

/**
 * C = A·B over F_p, all column-major, A m×k, B k×n. Products of a with the two 16-bit halves of b
 * are accumulated separately (each below 2^47) and reduced every 32 terms, so the inner loop is two
 * float multiply-adds.
 */
export function fieldMatmul(F: Field, a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const p = F.p;
  const out = new Float64Array(m * n);
  const hi = new Float64Array(m);
  const lo = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    hi.fill(0);
    lo.fill(0);
    for (let t = 0; t < k; t++) {
      const s = b[t + j * k]!;
      if (s === 0) continue;
      const sh = s >>> 16;
      const sl = s & 0xffff;
      const at = t * m;
      for (let i = 0; i < m; i++) {
        hi[i]! += a[at + i]! * sh;
        lo[i]! += a[at + i]! * sl;
      }
      if (t % 32 === 31)
        for (let i = 0; i < m; i++) {
          hi[i] = hi[i]! % p;
          lo[i] = lo[i]! % p;
        }
    }
    for (let i = 0; i < m; i++) out[i + j * m] = ((((hi[i]! % p) * 65536) % p) + (lo[i]! % p)) % p;
  }
  return out;
}

function fieldSum(F: Field, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s = F.add(s, x[i]!);
  return s;
}

/** The exp symbols E_a of a node's argument, shared by exp, cosh, sinh, tanh, sigmoid and softmax. */
const expSymbols = (node: Node, c: FieldContext): Float64Array => c.symbols('exp', node.args[0]!, numelOf(node));

function fnField(node: NodeOf<'fn'>, c: FieldContext): Float64Array {
  const F = c.F;
  const n = numelOf(node);
  switch (node.fn) {
    case 'exp':
      return expSymbols(node, c);
    case 'cosh':
    case 'sinh':
    case 'tanh':
    case 'sigmoid': {
      const E = expSymbols(node, c);
      const half = F.inv(2)!;
      const out = new Float64Array(n);
      const fn = node.fn;
      const E2 = new Float64Array(n);
      for (let i = 0; i < n; i++) E2[i] = F.mul(E[i]!, E[i]!);
      // cosh = (E² + 1)/(2E), sinh = (E² − 1)/(2E), tanh = (E² − 1)/(E² + 1), sigmoid = E/(1 + E).
      const den = fn === 'tanh' ? E2.map((x) => F.add(x, 1)) : fn === 'sigmoid' ? E.map((x) => F.add(x, 1)) : E.slice();
      const inv = c.invert(den, node);
      for (let i = 0; i < n; i++) {
        const num = fn === 'cosh' ? F.add(E2[i]!, 1) : fn === 'sigmoid' ? E[i]! : F.sub(E2[i]!, 1);
        const q = F.mul(num, inv[i]!);
        out[i] = fn === 'cosh' || fn === 'sinh' ? F.mul(q, half) : q;
      }
      return out;
    }
    default:
      // log, sqrt, relu, abs, step, sign: a symbol per entry.
      return c.symbols(node.fn, node, n);
  }
}

function fnBound(node: NodeOf<'fn'>): Rat {
  const a = node.args[0]!;
  const n = numelOf(node);
  const half: Poly = { deg: 0, cdeg: 1, h: -1 };
  switch (node.fn) {
    case 'cosh':
    case 'sinh':
      // (E² ± 1)/2 over E: coefficients ±1/2.
      return entrywise(pmul(half, padd(ppow(SYMBOL, 2), ONE_POLY)), SYMBOL, n, `exp:${a.id}`, a.freeIndices);
    case 'tanh':
      return entrywise(padd(ppow(SYMBOL, 2), ONE_POLY), padd(ppow(SYMBOL, 2), ONE_POLY), n, `tanh:${a.id}`, a.freeIndices);
    case 'sigmoid':
      return entrywise(SYMBOL, padd(SYMBOL, ONE_POLY), n, `sigmoid:${a.id}`, a.freeIndices);
    default:
      return poly(SYMBOL);
  }
}

/** The exponent of a power when it is a known number. */
function constantExponent(node: NodeOf<'pow'>): number | undefined {
  const e = node.args[1]!;
  return e.kind === 'num' || e.kind === 'const' ? e.value : undefined;
}

const structural = {
  bound: (_: Node, b: BoundContext): Rat => b.arg(0),
};

const opaque = (family: string): ExactRule => ({
  field: (n, c) => c.symbols(family, n, numelOf(n)),
  bound: () => poly(SYMBOL),
});

const constantRule = (value: (n: Node) => number): ExactRule => ({
  field: (n, c) => new Float64Array(numelOf(n)).fill(c.F.fromNumber(value(n))),
  bound: (n) => poly(constantPoly(value(n))),
});

/**
 * The exact rules, one per IR kind (kept as a table so they can join a per-op registry). A kind
 * without an entry is an error naming it (`exactRule`).
 */
export const EXACT_RULES: { readonly [K in Kind]?: ExactRule<K> } = {
  var: { field: (n, c) => c.input(n), bound: () => poly(SYMBOL) },
  given: { field: (n, c) => c.input(n), bound: () => poly(SYMBOL) },
  const: constantRule((n) => (n as NodeOf<'const'>).value),
  num: constantRule((n) => (n as NodeOf<'num'>).value),
  identity: {
    field: (n) => {
      const r = rowsOf(n);
      const out = new Float64Array(r * r);
      for (let i = 0; i < r; i++) out[i + i * r] = 1;
      return out;
    },
    bound: () => poly(ONE_POLY),
  },
  ones: { field: (n) => new Float64Array(numelOf(n)).fill(1), bound: () => poly(ONE_POLY) },
  zeros: { field: (n) => new Float64Array(numelOf(n)), bound: () => poly(ONE_POLY) },
  unit: {
    field: (n, c) => {
      const out = new Float64Array(rowsOf(n));
      out[c.ref(n.index) - 1] = 1;
      return out;
    },
    bound: () => poly(ONE_POLY),
  },
  indexValue: {
    field: (n, c) => Float64Array.of(c.F.fromInteger(c.ref({ kind: 'index', name: n.index }))),
    bound: (n, b) => poly(constantPoly(b.indexMax(n.index))),
  },
  commutation: {
    field: (n) => {
      const [m, k, r] = [n.m.value, n.n.value, rowsOf(n)];
      const out = new Float64Array(r * r);
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) out[j + i * k + (i + j * m) * r] = 1;
      return out;
    },
    bound: () => poly(ONE_POLY),
  },
  add: { field: (_, c) => elementwise(c.arg(0), c.arg(1), (x, y) => c.F.add(x, y)), bound: (_, b) => ratAdd(b.arg(0), b.arg(1)) },
  hadamard: {
    field: (n, c) => {
      // step(a)² = step(a) and relu(a)·step(a) = relu(a) everywhere: rewrites valid for the
      // functions, so derivatives of ReLU losses line up with how papers write them.
      const [x, y] = n.args as [Node, Node];
      const fnOf = (m: Node): string | undefined => (m.kind === 'fn' ? m.fn : undefined);
      if (x.args[0] === y.args[0] && fnOf(x) === 'step' && fnOf(y) === 'step') return c.arg(0);
      if (x.args[0] === y.args[0] && fnOf(x) === 'relu' && fnOf(y) === 'step') return c.arg(0);
      if (x.args[0] === y.args[0] && fnOf(x) === 'step' && fnOf(y) === 'relu') return c.arg(1);
      c.spend(numelOf(n));
      return elementwise(c.arg(0), c.arg(1), (x, y) => c.F.mul(x, y));
    },
    bound: (_, b) => ratMul(b.arg(0), b.arg(1)),
  },
  scale: {
    field: (n, c) => {
      c.spend(numelOf(n));
      const s = c.arg(0)[0]!;
      return c.arg(1).map((x) => c.F.mul(s, x));
    },
    bound: (_, b) => ratMul(b.arg(0), b.arg(1)),
  },
  divide: {
    field: (n, c) => {
      c.spend(32 * numelOf(n));
      const inv = c.invert(c.arg(1), n.args[1]!);
      return elementwise(c.arg(0), inv, (x, y) => c.F.mul(x, y));
    },
    bound: (n, b) => {
      const d = n.args[1]!;
      return ratMul(b.arg(0), ratInverse(b.arg(1), numelOf(d), `inv:${d.id}`, d.freeIndices));
    },
  },
  matmul: {
    field: (n, c) => {
      const left = n.args[0]!;
      const [m, k, cols] = [rowsOf(n), colsOf(left), colsOf(n)];
      if (left.kind === 'diag') {
        // diag(v)·X scales rows: no dense diagonal matrix.
        c.spend(m * cols);
        const v = c.value(left.args[0]!);
        const x = c.arg(1);
        const out = new Float64Array(m * cols);
        for (let j = 0; j < cols; j++) for (let i = 0; i < m; i++) out[i + j * m] = c.F.mul(v[i]!, x[i + j * m]!);
        return out;
      }
      c.spend(m * k * cols);
      return fieldMatmul(c.F, c.arg(0), c.arg(1), m, k, cols);
    },
    bound: (n, b) => ratSum(ratMul(b.arg(0), b.arg(1)), colsOf(n.args[0]!)),
  },
  transpose: {
    field: (n, c) => {
      const [r, k] = [rowsOf(n), colsOf(n)];
      const x = c.arg(0);
      const out = new Float64Array(r * k);
      for (let j = 0; j < k; j++) for (let i = 0; i < r; i++) out[i + j * r] = x[j + i * k]!;
      return out;
    },
    ...structural,
  },
  kron: {
    field: (n, c) => {
      c.spend(numelOf(n));
      const [a, b] = n.args as [Node, Node];
      const [ar, ac, br, bc, r] = [rowsOf(a), colsOf(a), rowsOf(b), colsOf(b), rowsOf(n)];
      const x = c.arg(0);
      const y = c.arg(1);
      const out = new Float64Array(numelOf(n));
      for (let ja = 0; ja < ac; ja++)
        for (let ia = 0; ia < ar; ia++) {
          const s = x[ia + ja * ar]!;
          for (let jb = 0; jb < bc; jb++)
            for (let ib = 0; ib < br; ib++) out[ia * br + ib + (ja * bc + jb) * r] = c.F.mul(s, y[ib + jb * br]!);
        }
      return out;
    },
    bound: (_, b) => ratMul(b.arg(0), b.arg(1)),
  },
  fn: { field: fnField, bound: fnBound },
  pow: {
    field: (n, c) => {
      const e = constantExponent(n);
      if (e === undefined || !Number.isInteger(e)) return c.symbols('pow', n, 1);
      c.spend(64);
      const base = c.arg(0)[0]!;
      if (e >= 0) return Float64Array.of(c.F.pow(base, e));
      return c.invert(Float64Array.of(c.F.pow(base, -e)), n.args[0]!);
    },
    bound: (n, b) => {
      const e = constantExponent(n);
      if (e === undefined || !Number.isInteger(e)) return poly(SYMBOL);
      const base = n.args[0]!;
      return e >= 0 ? ratPow(b.arg(0), e) : ratInverse(b.arg(0), 1, `inv:${base.id}`, base.freeIndices, -e);
    },
  },
  inner: {
    field: (n, c) => {
      const k = numelOf(n.args[0]!);
      c.spend(k);
      return fieldMatmul(c.F, c.arg(0), c.arg(1), 1, k, 1);
    },
    bound: (n, b) => ratSum(ratMul(b.arg(0), b.arg(1)), numelOf(n.args[0]!)),
  },
  sum: {
    field: (_, c) => Float64Array.of(fieldSum(c.F, c.arg(0))),
    bound: (n, b) => ratSum(b.arg(0), numelOf(n.args[0]!)),
  },
  trace: {
    field: (n, c) => {
      const r = rowsOf(n.args[0]!);
      const x = c.arg(0);
      let s = 0;
      for (let i = 0; i < r; i++) s = c.F.add(s, x[i + i * r]!);
      return Float64Array.of(s);
    },
    bound: (n, b) => ratSum(b.arg(0), rowsOf(n.args[0]!)),
  },
  diag: {
    field: (n, c) => {
      const r = rowsOf(n);
      const x = c.arg(0);
      const out = new Float64Array(r * r);
      for (let i = 0; i < r; i++) out[i + i * r] = x[i]!;
      return out;
    },
    ...structural,
  },
  diagvec: {
    field: (n, c) => {
      const r = rowsOf(n);
      const x = c.arg(0);
      const out = new Float64Array(r);
      for (let i = 0; i < r; i++) out[i] = x[i + i * r]!;
      return out;
    },
    ...structural,
  },
  // Column-major storage: vec and its inverse are the same numbers.
  vec: { field: (_, c) => c.arg(0), ...structural },
  unvec: { field: (_, c) => c.arg(0), ...structural },
  norm: { field: (n, c) => c.symbols('norm', n, 1), bound: () => poly(SYMBOL) },
  slice: {
    field: (n, c) => {
      const [r, k, src] = [rowsOf(n), colsOf(n), rowsOf(n.args[0]!)];
      const r0 = n.row ? c.ref(n.row) - 1 : 0;
      const c0 = n.col ? c.ref(n.col) - 1 : 0;
      const x = c.arg(0);
      const out = new Float64Array(r * k);
      for (let j = 0; j < k; j++) for (let i = 0; i < r; i++) out[i + j * r] = x[r0 + i + (c0 + j) * src]!;
      return out;
    },
    ...structural,
  },
  indexSum: {
    field: (n, c) => {
      const out = new Float64Array(numelOf(n));
      c.bind(n.index, n.lower, n.upper, () => {
        const v = c.value(n.args[0]!);
        for (let i = 0; i < out.length; i++) out[i] = c.F.add(out[i]!, v[i]!);
      });
      return out;
    },
    bound: (n, b) => ratIndexSum(b.arg(0), n.index, n.upper - n.lower + 1, `${n.index}=${n.lower}..${n.upper}`),
  },
  rowBlock: {
    field: (n, c) => {
      const [r, k, src] = [rowsOf(n), colsOf(n), rowsOf(n.args[0]!)];
      const r0 = (c.ref(n.index) - 1) * n.size;
      const x = c.arg(0);
      const out = new Float64Array(r * k);
      for (let j = 0; j < k; j++) for (let i = 0; i < r; i++) out[i + j * r] = x[r0 + i + j * src]!;
      return out;
    },
    ...structural,
  },
  // Not rational in their arguments' entries (or not cheaply so): a symbol per entry, like exp.
  // Sound (equal nodes are equal values); identities that need their algebra are checked numerically.
  // det and inv are rational in the entries (Gaussian elimination over F_p), so identities that
  // move a transpose or a product through an inverse ((Mᵀ)⁻¹ = (M⁻¹)ᵀ) are decided exactly.
  det: {
    field: (n, c) => Float64Array.of(fieldEliminate(c, n.args[0]!, n, false).det),
    bound: (n, b) => detBound(b.arg(0), rowsOf(n.args[0]!)),
  },
  logdet: opaque('logdet'),
  inv: {
    field: (n, c) => fieldEliminate(c, n.args[0]!, n, true).inverse!,
    bound: (n, b) => invBound(b.arg(0), rowsOf(n), `det:${n.args[0]!.id}`, n.freeIndices),
  },
  logsumexp: opaque('logsumexp'),
  sigmaMax: opaque('sigmaMax'),
  sigmaMin: opaque('sigmaMin'),
  lambdaMax: opaque('lambdaMax'),
  lambdaMin: opaque('lambdaMin'),
  normInf: opaque('normInf'),
  max: opaque('max'),
  min: opaque('min'),
  softmax: {
    field: (n, c) => {
      // softmax(z)_i = E_i / Σ_j E_j with E = exp(z): the symbols of exp(z).
      const E = expSymbols(n, c);
      const s = c.invert(Float64Array.of(fieldSum(c.F, E)), n)[0]!;
      return E.map((x) => c.F.mul(x, s));
    },
    bound: (n) => {
      const z = n.args[0]!;
      return { num: SYMBOL, den: new Map([[`sumexp:${z.id}`, { ...psum(SYMBOL, numelOf(n)), count: 1, free: z.freeIndices }]]) };
    },
  },
  normalize: {
    field: (n, c) => {
      const u = c.arg(0);
      const s = c.invert(Float64Array.of(fieldSum(c.F, u)), n)[0]!;
      return u.map((x) => c.F.mul(x, s));
    },
    bound: (n, b) => {
      // u_i/Σu: u's own denominator cancels.
      const u = n.args[0]!;
      const x = b.arg(0);
      return { num: x.num, den: new Map([[`sum:${u.id}`, { ...psum(x.num, numelOf(n)), count: 1, free: u.freeIndices }]]) };
    },
  },
};

/**
 * Gauss–Jordan elimination of a square matrix over F_p: its determinant, and its inverse when
 * asked (a singular matrix is a zero denominator, named by `node`).
 */
function fieldEliminate(c: FieldContext, m: Node, node: Node, invert: boolean): { det: number; inverse?: Float64Array } {
  const F = c.F;
  const r = rowsOf(m);
  c.spend(2 * r * r * r + r * r);
  const a = c.value(m).slice();
  const inv = new Float64Array(invert ? r * r : 0);
  if (invert) for (let i = 0; i < r; i++) inv[i + i * r] = 1;
  let det = 1;
  for (let col = 0; col < r; col++) {
    let pivot = col;
    while (pivot < r && a[pivot + col * r] === 0) pivot++;
    if (pivot === r) {
      if (invert) throw new ZeroDivision(node);
      return { det: 0 };
    }
    if (pivot !== col) {
      det = F.neg(det);
      for (const x of invert ? [a, inv] : [a])
        for (let j = 0; j < r; j++) [x[col + j * r], x[pivot + j * r]] = [x[pivot + j * r]!, x[col + j * r]!];
    }
    const d = a[col + col * r]!;
    det = F.mul(det, d);
    const dinv = F.inv(d)!;
    for (const x of invert ? [a, inv] : [a]) for (let j = 0; j < r; j++) x[col + j * r] = F.mul(x[col + j * r]!, dinv);
    for (let i = invert ? 0 : col + 1; i < r; i++) {
      if (i === col) continue;
      const f = a[i + col * r]!;
      if (f === 0) continue;
      for (const x of invert ? [a, inv] : [a]) for (let j = 0; j < r; j++) x[i + j * r] = F.sub(x[i + j * r]!, F.mul(f, x[col + j * r]!));
    }
  }
  return invert ? { det, inverse: inv } : { det };
}

/** log2(k!), the count of terms of a k×k determinant's Leibniz expansion. */
const log2Factorial = (k: number): number => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log2(i);
  return s;
};

/**
 * det(N/D) for an r×r matrix with entries N_ij/D: det(N)/D^r, with det(N) a sum of r! products of
 * r entries.
 */
function detBound(x: Rat, r: number): Rat {
  const det: Poly = { ...ppow(x.num, r), h: x.num.h * r + log2Factorial(r) };
  return { num: det, den: ratPow({ num: ONE_POLY, den: x.den }, r).den };
}

/** (N/D)⁻¹ = D adj(N) / det(N): adj(N)'s entries are (r−1)×(r−1) minors, det(N) a new denominator. */
function invBound(x: Rat, r: number, key: string, free: ReadonlySet<string>): Rat {
  const minor: Poly = { ...ppow(x.num, r - 1), h: x.num.h * (r - 1) + log2Factorial(r - 1) };
  const det: Poly = { ...ppow(x.num, r), h: x.num.h * r + log2Factorial(r) };
  let dpoly = ONE_POLY;
  for (const a of x.den.values()) dpoly = pmul(dpoly, ppow(a, a.count));
  return { num: pmul(dpoly, minor), den: new Map([[key, { ...det, count: 1, free }]]) };
}

export function exactRule<K extends Kind>(kind: K): ExactRule<K> {
  const rule = EXACT_RULES[kind] as ExactRule<K> | undefined;
  if (!rule) throw new NoExactRule(`no exact (prime-field) rule for the IR op '${kind}'`);
  return rule;
}

// ---- evaluation over F_p ---------------------------------------------------------------------------

/** Field operations one evaluation may spend before it is abandoned (it runs synchronously in the worker). */
const MAX_FIELD_OPS = 1e7;

const FREIVALDS = /^\$f([uv])@(\d+)$/;

class FieldEvaluation implements FieldContext {
  readonly F: Field;
  private readonly cache = new Map<number, Float64Array>();
  private readonly indices = new Map<string, number>();
  private current: Node | undefined;
  private ops = 0;

  constructor(
    p: number,
    private readonly seed: number,
  ) {
    this.F = new Field(p);
  }

  value(n: Node): Float64Array {
    const cacheable = n.freeIndices.size === 0;
    const hit = cacheable ? this.cache.get(n.id) : undefined;
    if (hit) return hit;
    const saved = this.current;
    this.current = n;
    const v = exactRule(n.kind).field(n as never, this);
    this.current = saved;
    if (cacheable) this.cache.set(n.id, v);
    return v;
  }

  arg(i: number): Float64Array {
    return this.value(this.current!.args[i]!);
  }

  /** Structure ids (see closedKey), interned per structure string, and memoised per node and binding. */
  private readonly structures = new Map<string, number>();
  private readonly structureOf = new Map<string, number>();

  /**
   * A node's symbols are keyed on its structure with its free indices replaced by their current
   * values and the indices of the sums inside it numbered from 0: alpha-equivalent terms
   * (exp(W[i, :] x) under i = 2 and exp(W[r, :] x) under r = 2, or Σ_i … and Σ_r …) are one symbol,
   * as they are one function. Printed derivatives rename summation indices, so proofs need this.
   */
  private closedKey(n: Node): string {
    const env = new Map<string, string>();
    for (const i of n.freeIndices) env.set(i, String(this.indices.get(i)));
    return String(this.structure(n, env, 0));
  }

  private structure(n: Node, env: ReadonlyMap<string, string>, depth: number): number {
    const free = [...n.freeIndices].sort().map((i) => `${i}=${env.get(i)}`);
    const memoKey = `${n.id}|${free.join(',')}`;
    const known = this.structureOf.get(memoKey);
    if (known !== undefined) return known;
    const ref = (r: unknown): string => {
      if (r === null || r === undefined) return '_';
      if (typeof r === 'object' && (r as IndexRef).kind === 'index') return `@${env.get((r as { name: string }).name)}`;
      if (typeof r === 'object' && (r as IndexRef).kind === 'lit') return String((r as { value: number }).value);
      return JSON.stringify(r);
    };
    let inner = env;
    let attrs: string;
    if (n.kind === 'indexSum') {
      inner = new Map(env).set(n.index, `#${depth}`);
      attrs = `${n.lower}..${n.upper}`;
    } else {
      const skip = new Set(['id', 'kind', 'shape', 'args', 'key', 'vars', 'freeIndices', 'upperName']);
      attrs = Object.entries(n)
        .filter(([k]) => !skip.has(k))
        .map(([k, v]) => (n.kind === 'indexValue' && k === 'index' ? `@${env.get(v as string)}` : `${k}:${ref(v)}`))
        .join(';');
    }
    const nextDepth = n.kind === 'indexSum' ? depth + 1 : depth;
    const args = n.args.map((a) => this.structure(a, inner, nextDepth)).join(',');
    const text = `${n.kind}{${attrs}}${shapeKeyOf(n)}(${args})`;
    let id = this.structures.get(text);
    if (id === undefined) this.structures.set(text, (id = this.structures.size));
    this.structureOf.set(memoKey, id);
    return id;
  }

  symbols(family: string, n: Node, entries: number): Float64Array {
    this.spend(entries);
    const key = hashString(`${family}:${this.closedKey(n)}`, this.seed);
    const out = new Float64Array(entries);
    for (let i = 0; i < entries; i++) out[i] = uniformBelow(this.F.p, key, i);
    return out;
  }

  input(n: NodeOf<'var' | 'given'>): Float64Array {
    const entries = numelOf(n);
    const m = FREIVALDS.exec(n.name);
    // A Freivalds vector is named by its offset: every block reads its slice of one random vector.
    const key = hashString(m ? `in:$f${m[1]}` : `in:${n.name}`, this.seed);
    const offset = m ? Number(m[2]) : 0;
    const out = new Float64Array(entries);
    for (let i = 0; i < entries; i++) out[i] = uniformBelow(this.F.p, key, offset + i);
    return out;
  }

  ref(r: IndexRef): number {
    if (r.kind === 'lit') return r.value;
    const v = this.indices.get(r.name);
    if (v === undefined) throw new InternalError(`index ${r.name} used outside its sum`);
    return v;
  }

  bind(index: string, lower: number, upper: number, body: () => void): void {
    const saved = this.indices.get(index);
    for (let j = lower; j <= upper; j++) {
      this.indices.set(index, j);
      body();
    }
    if (saved === undefined) this.indices.delete(index);
    else this.indices.set(index, saved);
  }

  spend(ops: number): void {
    this.ops += ops;
    if (this.ops > MAX_FIELD_OPS) throw new TooLarge();
  }

  invert(x: Float64Array, node: Node): Float64Array {
    this.spend(32 * x.length);
    return x.map((v) => {
      const r = this.F.inv(v);
      if (r === undefined) throw new ZeroDivision(node);
      return r;
    });
  }
}

function computeBounds(roots: readonly Node[]): Map<number, Rat> {
  const order = topoOrder(roots);
  const indexMax = new Map<string, number>();
  for (const n of order) if (n.kind === 'indexSum') indexMax.set(n.index, Math.max(indexMax.get(n.index) ?? 1, n.upper));
  const bounds = new Map<number, Rat>();
  for (const n of order) {
    const ctx: BoundContext = { arg: (i) => bounds.get(n.args[i]!.id)!, indexMax: (name) => indexMax.get(name) ?? 1 };
    bounds.set(n.id, exactRule(n.kind).bound(n as never, ctx));
  }
  return bounds;
}

/**
 * log2 of the largest denominator of a non-integer constant (at least 1: the ½ of cosh and sinh).
 */
function denominatorBits(roots: readonly Node[]): number {
  let bits = 1;
  for (const n of topoOrder(roots))
    if ((n.kind === 'num' || n.kind === 'const') && Number.isFinite(n.value) && !Number.isInteger(n.value))
      bits = Math.max(bits, rationalOf(n.value).den.toString(2).length);
  return bits;
}

// ---- a quantity as uᵀ Q v ------------------------------------------------------------------------

interface Block {
  node: Node;
  row: number;
  col: number;
}

interface Layout {
  rows: number;
  cols: number;
  blocks: Block[];
}

/** Where each derivative block sits in a quantity, as the evaluators lay it out (column-major). */
function layout(g: Graph, nodes: readonly Node[], roots: { grads: number[]; hess: number[][] }, q: Quantity): Layout {
  const single = (n: Node): Layout => ({ rows: rowsOf(n), cols: colsOf(n), blocks: [{ node: n, row: 0, col: 0 }] });
  switch (q.kind) {
    case 'expr':
      return single(nodes[q.root]!);
    case 'grad': {
      if (q.wrt.length === 1) return single(nodes[roots.grads[q.wrt[0]!]!]!);
      let row = 0;
      const blocks = q.wrt.map((k) => {
        const v = g.vec(nodes[roots.grads[k]!]!);
        const b = { node: v, row, col: 0 };
        row += rowsOf(v);
        return b;
      });
      return { rows: row, cols: 1, blocks };
    }
    case 'hess': {
      const blocks: Block[] = [];
      let row = 0;
      let cols = 0;
      for (const a of q.rows) {
        let col = 0;
        let height = 0;
        for (const b of q.cols) {
          const n = nodes[roots.hess[a]![b]!]!;
          blocks.push({ node: n, row, col });
          col += colsOf(n);
          height = rowsOf(n);
        }
        row += height;
        cols = col;
      }
      return { rows: row, cols, blocks };
    }
  }
}

/** A single-block layout as one column (vec), so that it lines up with a stacked one. */
function flat(g: Graph, l: Layout): Layout | undefined {
  if (l.cols === 1) return l;
  if (l.blocks.length !== 1) return undefined;
  const v = g.vec(l.blocks[0]!.node);
  return { rows: rowsOf(v), cols: 1, blocks: [{ node: v, row: 0, col: 0 }] };
}

const column = (n: number): Shape => shapeOf(literalDim(n));

/** Σ over blocks of u[row…]ᵀ · B · v[col…]: the Freivalds scalar of a quantity. */
function freivalds(g: Graph, l: Layout): Node {
  const terms = l.blocks.map((b) => {
    const u = g.given(`$fu@${b.row}`, column(rowsOf(b.node)));
    const v = g.given(`$fv@${b.col}`, column(colsOf(b.node)));
    return g.inner(u, g.matmul(b.node, v));
  });
  return terms.reduce((acc, t) => g.add(acc, t));
}

// ---- the test ------------------------------------------------------------------------------------

export type ExactOutcome =
  /** Equal as rational functions, up to the error probability. */
  | { kind: 'equal'; errorProbability: number; trials: number; degree: number }
  /** Different as rational functions (certain): the float check decides. */
  | { kind: 'different' }
  /** A denominator vanished at every trial: it is zero as a rational function. */
  | { kind: 'undefined'; denominator: string }
  /** Not decidable this way (a kind without a rule, too large, a degree bound too weak). */
  | { kind: 'skipped'; reason: string };

/** Error probability a "proved" stops at. */
export const TARGET_ERROR = 1e-20;
const MAX_TRIALS = 12;
/** Consecutive trials hitting a zero denominator before it is taken to vanish identically. */
const ZERO_TRIALS = 3;

/**
 * Decides whether lhs = rhs holds as an identity of rational functions (see the module comment).
 * `roots` are the request's gradient and Hessian-block roots in `ir`; `seed` makes it reproducible;
 * `pause` runs between trials (each trial is synchronous and capped by MAX_FIELD_OPS).
 */
export async function testIdentity(
  ir: WireGraph,
  roots: { grads: number[]; hess: number[][] },
  lhs: Quantity,
  rhs: Quantity,
  seed: number,
  pause: () => Promise<void> = async () => {},
): Promise<ExactOutcome> {
  const g = new Graph();
  const nodes = fromWire(g, ir);
  let planned: Node[];
  try {
    let [L, R] = [layout(g, nodes, roots, lhs), layout(g, nodes, roots, rhs)];
    if (L.rows !== R.rows || L.cols !== R.cols) {
      const [fl, fr] = [flat(g, L), flat(g, R)];
      if (!fl || !fr || fl.rows !== fr.rows) return { kind: 'skipped', reason: 'the two sides are laid out differently' };
      [L, R] = [fl, fr];
    }
    planned = new EvaluationPlanner(g).optimize([freivalds(g, L), freivalds(g, R)]);
  } catch (e) {
    if (e instanceof InternalError || e instanceof NonFiniteConstant) return { kind: 'skipped', reason: e.message };
    throw e;
  }
  let perTrial: number;
  let degree: number;
  try {
    const bounds = computeBounds(planned);
    const diff = ratAdd(bounds.get(planned[0]!.id)!, bounds.get(planned[1]!.id)!).num;
    const height = diff.h + diff.cdeg * denominatorBits(planned);
    degree = diff.deg;
    // A nonzero integer below 2^30 has no prime factor in range; above, at most log2/30 of them.
    perTrial = degree / PRIME_LOW + (height >= 30 ? Math.floor(height / 30) / PRIMES_IN_RANGE : 0);
  } catch (e) {
    if (e instanceof NoExactRule) return { kind: 'skipped', reason: e.message };
    throw e;
  }
  if (!(perTrial < 0.5)) return { kind: 'skipped', reason: `the degree bound (${degree}) is too large for identity testing` };
  let probability = 1;
  let trials = 0;
  let zeros = 0;
  for (let t = 0; t < MAX_TRIALS + ZERO_TRIALS && probability > TARGET_ERROR && trials < MAX_TRIALS; t++) {
    await pause();
    const trialSeed = hashString(`trial ${t}`, seed);
    const run = new FieldEvaluation(randomPrime(trialSeed), trialSeed);
    try {
      const [l, r] = planned.map((n) => run.value(n)[0]!);
      if (l !== r) return { kind: 'different' };
      zeros = 0;
      trials++;
      probability *= perTrial;
    } catch (e) {
      if (e instanceof TooLarge) return { kind: 'skipped', reason: 'too large to evaluate exactly in the worker' };
      if (e instanceof NoExactRule) return { kind: 'skipped', reason: e.message };
      if (!(e instanceof ZeroDivision)) throw e;
      if (++zeros >= ZERO_TRIALS) return { kind: 'undefined', denominator: new Printer(ASCII).print(e.node) };
    }
  }
  if (trials === 0) return { kind: 'skipped', reason: 'no trial could be evaluated' };
  return { kind: 'equal', errorProbability: probability, trials, degree };
}
