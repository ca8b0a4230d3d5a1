/**
 * Rounding-error bounds built as IR, so that every evaluator computes them with the kernels it
 * already has: for a node n of the planned IR, a node E(n) of n's shape with
 * |fl(n) − n| ≤ E(n) entrywise, where fl(n) is n evaluated in float64 and n its exact value.
 *
 * The rules hold for any evaluator that computes each op by a standard float64 algorithm: a sum of
 * k terms in any order or blocking (BLAS, pairwise, FMA) is within γ_k·Σ|terms|, γ_k = k·u/(1 − k·u);
 * an elementwise op rounds once; exp, log, cosh, sinh, tanh and sigmoid are library calls within a
 * few ulps (see FUNCTION_ULPS); a power is within (8 + 2|e|) ulps. Each E is evaluated at the
 * computed values, i.e. it bounds the error of what was actually computed, propagated through each
 * op by a mean-value bound (exp: exp(a)·E_a·exp(E_a); log: E_a/(a − E_a); division by something
 * within its own bound of 0: infinite, so that sample cannot refute). Every rounding term carries an
 * absolute floor η (underflow). The bound is itself computed in float64: its own relative error is
 * far below the factor by which the driver demands a gap exceed it.
 */
import { type Graph, InternalError, type Kind, type Node, type NodeOf, topoOrder } from '../symbolic/ir';
import { rebuildWithArgs } from '../symbolic/factor';

/** The unit roundoff 2^-53, rounded up so that (1 − u)⁻¹ factors are absorbed. */
export const U = 1.12e-16;
/** Absolute floor of every rounding term: covers gradual underflow. */
export const ETA = 1e-300;

/**
 * Ulps of the float64 library functions, for every backend (V8, NumPy, JAX/XLA, PyTorch CPU/CUDA);
 * sigmoid is a quotient of library results (exp(x)/(1 + exp(x)) for x < 0).
 */
const FUNCTION_ULPS: Record<string, number> = { exp: 4, log: 4, cosh: 4, sinh: 4, tanh: 4, sigmoid: 12, softplus: 12, sqrt: 2 };

export function gamma(k: number): number {
  return (k * U) / (1 - k * U);
}

/** A kind without a rounding rule: the message names it. */
export class NoRoundingRule extends Error {}

const numelOf = (n: Node): number => n.shape.rows.value * n.shape.cols.value;

/** What a rule builds with. */
export interface RoundingContext {
  readonly g: Graph;
  /** The bound of argument i (null: computed exactly). */
  E(i: number): Node | null;
  /** The bound of any node already visited. */
  bound(n: Node): Node | null;
  /** |n| entrywise, as cheaply as the node allows (diag(|v|), not |diag(v)|). */
  abs(n: Node): Node;
  /** γ_k·|n| + η: k roundings of a sum of nonnegative-weighted terms, relative to the computed value. */
  round(n: Node, k: number, magnitude?: Node): Node;
  /** Sum of the present terms (null when none). */
  sum(...terms: (Node | null)[]): Node | null;
}

export type RoundingRule<K extends Kind = Kind> = (node: NodeOf<K>, c: RoundingContext) => Node | null;

const exact: RoundingRule = () => null;

/** Ops that move entries without arithmetic: the bound moves the same way. */
const structural: RoundingRule = (n, c) => {
  const e = c.E(0);
  return e ? rebuildWithArgs(c.g, n, [e]) : null;
};

const constant: RoundingRule = (n, c) => {
  const v = (n as NodeOf<'num' | 'const'>).value;
  // A number that is not a small integer may come from folding constants (one rounding or a few).
  return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 ? null : c.g.num(16 * U * Math.abs(v));
};

/** x·y bound: |x̂|·E_y + E_x·(|ŷ| + E_y), with `times` the product (scale, ∘, matmul, kron, inner). */
function productError(
  c: RoundingContext,
  x: Node,
  y: Node,
  ex: Node | null,
  ey: Node | null,
  times: (a: Node, b: Node) => Node,
): Node | null {
  return c.sum(ey ? times(c.abs(x), ey) : null, ex ? times(ex, c.sum(c.abs(y), ey)!) : null);
}

/** min(x, y) for y finite: y − relu(y − x) (an infinite x gives y, not NaN). */
function minimum(g: Graph, x: Node, y: Node): Node {
  return g.sub(y, g.fn('relu', g.sub(y, x)));
}

function fnRule(n: NodeOf<'fn'>, c: RoundingContext): Node | null {
  const g = c.g;
  const a = n.args[0]!;
  const ea = c.E(0);
  const ulps = FUNCTION_ULPS[n.fn];
  const library = (magnitude: Node = n): Node => c.round(n, ulps!, magnitude);
  switch (n.fn) {
    case 'exp':
      // |exp(â) − exp(a)| ≤ exp(â)(exp(E) − 1) ≤ exp(â)·E·exp(E).
      return c.sum(ea ? g.hadamard(n, g.hadamard(ea, g.fn('exp', ea))) : null, library());
    case 'log':
      return c.sum(ea ? g.divide(ea, g.fn('relu', g.sub(a, ea))) : null, library());
    case 'cosh':
      return c.sum(ea ? g.hadamard(g.fn('sinh', g.add(c.abs(a), ea)), ea) : null, library());
    case 'sinh':
      // Absolute: a backend computing (eᵃ − e⁻ᵃ)/2 is accurate to ulps of cosh, not of sinh, near 0.
      return c.sum(ea ? g.hadamard(g.fn('cosh', g.add(c.abs(a), ea)), ea) : null, library(g.fn('cosh', a)));
    case 'tanh':
      return c.sum(ea, library());
    case 'sigmoid':
      return c.sum(ea ? g.scale(g.num(0.25), ea) : null, library());
    case 'sqrt': {
      if (!ea) return library();
      // |√â − √a| ≤ E/(√â + √(â − E)), and ≤ √E whatever â is.
      const eta = g.scale(g.num(ETA), g.ones(n.shape));
      const mean = g.divide(ea, g.add(g.add(n, g.fn('sqrt', g.fn('relu', g.sub(a, ea)))), eta));
      return c.sum(minimum(g, mean, g.fn('sqrt', ea)), library());
    }
    case 'relu':
    case 'abs':
      // Computed exactly, and 1-Lipschitz.
      return ea;
    case 'softplus':
      // 1-Lipschitz.
      return c.sum(ea, library());
    case 'step':
    case 'sign': {
      if (!ea) return null;
      // Where a is within its bound of 0 the computed side of the kink may be the wrong one.
      const unsure = g.fn('step', g.add(g.sub(ea, c.abs(a)), g.scale(g.num(ETA), g.ones(a.shape))));
      return n.fn === 'step' ? unsure : g.scale(g.num(2), unsure);
    }
    default:
      throw new NoRoundingRule(`no rounding-error rule for the function '${n.fn}'`);
  }
}

/**
 * Backward error of a dense factorisation of an n×n matrix (LU with partial pivoting, Cholesky,
 * QR/Jacobi eigensolvers): γ_{8n²}. Wilkinson's bound is γ_{3n} times the growth factor; this
 * allows growth up to about 3n, far above what partial pivoting shows on sampled data.
 */
const factorisationRoundings = (n: number): number => 8 * n * n;

/** Σ|x_ij| ≥ ‖x‖_F ≥ ‖x‖_2 and ≥ max |x_ij|: one cheap upper bound for every norm used below. */
function entrySum(c: RoundingContext, x: Node): Node {
  return c.g.sum(c.abs(x));
}

/**
 * The combined perturbation δ of a square argument: its propagated bound plus the backward error
 * of factorising it, as one Σ|entries|-norm (so ‖Δ‖_2 ≤ δ).
 */
function squarePerturbation(c: RoundingContext, a: Node): Node {
  const ea = c.E(0);
  const g = c.g;
  const backward = g.add(g.scale(g.num(gamma(factorisationRoundings(a.shape.rows.value))), entrySum(c, a)), g.num(ETA));
  return c.sum(ea ? g.sum(ea) : null, backward)!;
}

/**
 * |det(A + Δ) − det(A)| ≤ Πᵢ(‖aᵢ‖ + δ) − Πᵢ‖aᵢ‖ (expand by rows; Hadamard bounds every term; ‖δᵢ‖ ≤ δ)
 * = H·(Πᵢ(1 + δ/‖aᵢ‖) − 1) ≤ H·t·exp(t) with H = Πᵢ‖aᵢ‖ and t = Σᵢ δ/‖aᵢ‖ (no cancellation).
 * Returned as the ratio to |det â|, with H/|det| = exp(Σ log‖aᵢ‖ − log|det|) so that logdet can use
 * it without forming determinants that overflow.
 */
function determinantRatio(c: RoundingContext, a: Node, logAbsDet: Node): Node {
  const g = c.g;
  const delta = squarePerturbation(c, a);
  const rowNorms = g.fn('sqrt', g.diagvec(g.matmul(a, g.transpose(a))));
  const t = g.mulScalars(delta, g.sum(g.divide(g.ones(rowNorms.shape), rowNorms)));
  const hadamardOverDet = g.fn('exp', g.sub(g.sum(g.fn('log', rowNorms)), logAbsDet));
  return g.mulScalars(hadamardOverDet, g.mulScalars(t, g.fn('exp', t)));
}

function powRule(n: NodeOf<'pow'>, c: RoundingContext): Node | null {
  const g = c.g;
  const [b, expo] = n.args as [Node, Node];
  if (c.bound(expo)) throw new NoRoundingRule('no rounding rule for a power with a computed (non-constant) exponent');
  if (expo.kind !== 'num' && expo.kind !== 'const') throw new NoRoundingRule('no rounding rule for a power whose exponent is not a number');
  const e = expo.value;
  const eb = c.E(0);
  const library = c.round(n, 8 + 2 * Math.abs(e));
  if (!eb) return library;
  const absB = c.abs(b);
  const below = g.fn('relu', g.sub(absB, eb));
  const above = g.add(absB, eb);
  // Mean value: |e|·max |t|^(e−1) over |t − b̂| ≤ E, times E.
  const slope = (t: Node): Node => g.scale(g.num(Math.abs(e)), g.mulScalars(g.pow(t, g.num(e - 1)), eb));
  let prop: Node;
  if (e >= 1) prop = slope(above);
  else if (e > 0) prop = minimum(g, slope(below), g.pow(eb, g.num(e)));
  else prop = slope(below);
  return c.sum(prop, library);
}

/** Square-matrix functions, data constants and extrema. */
const MATRIX_FUNCTION_RULES = {
  rowBlock: structural,
  // Exact comparisons; each side moves by at most the larger of its arguments' bounds.
  max: (_, c) => c.sum(c.E(0), c.E(1)),
  min: (_, c) => c.sum(c.E(0), c.E(1)),
  logsumexp: (n, c) => {
    const g = c.g;
    const z = n.args[0]!;
    const ez = c.E(0);
    const k = numelOf(z);
    // 1-Lipschitz in the max-norm (≤ Σ E); computed as m + log Σ exp(z − m): k + 2 roundings in the
    // sum's relative error, which log turns into an absolute one, plus a few ulps of the result.
    return c.sum(ez ? g.sum(ez) : null, c.round(n, k + 8, g.add(c.abs(n), g.num(1))));
  },
  normInf: (_, c) => {
    const ea = c.E(0);
    return ea ? c.g.sum(ea) : null;
  },
  sigmaMax: dataSpectrum,
  sigmaMin: dataSpectrum,
  lambdaMax: dataSpectrum,
  lambdaMin: dataSpectrum,
  det: (n, c) => {
    const g = c.g;
    const a = n.args[0]!;
    const logAbs = g.fn('log', c.abs(n));
    return g.hadamard(c.abs(n), determinantRatio(c, a, logAbs));
  },
  logdet: (n, c) => {
    const g = c.g;
    const a = n.args[0]!;
    // |log det Â − log det A| = |log(1 + Δ/det)| ≤ −log(1 − |Δ|/|det|): infinite once |Δ| ≥ |det|.
    const ratio = determinantRatio(c, a, n);
    return c.sum(g.neg(g.fn('log', g.fn('relu', g.sub(g.num(1), ratio)))), c.round(n, 4));
  },
  inv: (n, c) => {
    const g = c.g;
    const a = n.args[0]!;
    // ‖(A + Δ)⁻¹ − A⁻¹‖ ≤ ‖A⁻¹‖²‖Δ‖/(1 − ‖A⁻¹‖‖Δ‖), with ‖A⁻¹‖ ≤ Σ|X̂| (X̂ the computed inverse)
    // doubled against X̂'s own error; every entry is within the 2-norm of the difference.
    const delta = squarePerturbation(c, a);
    const m = g.scale(g.num(2), entrySum(c, n));
    const numer = g.mulScalars(g.mulScalars(m, m), delta);
    const denom = g.fn('relu', g.sub(g.num(1), g.mulScalars(m, delta)));
    return g.scale(g.divide(numer, denom), g.ones(n.shape));
  },
} satisfies { [K in Kind]?: RoundingRule<K> };

/** σ and λ of data move by at most ‖Δ‖₂ (Weyl), plus the eigensolver's backward error. */
function dataSpectrum(n: Node, c: RoundingContext): Node | null {
  const a = n.args[0]!;
  const ea = c.E(0);
  const side = Math.max(a.shape.rows.value, a.shape.cols.value);
  return c.sum(ea ? c.g.sum(ea) : null, c.round(n, factorisationRoundings(side), entrySum(c, a)));
}

/**
 * The rounding rules, one per IR kind (a table so that they can join a per-op registry); a kind
 * without an entry is an error naming it.
 */
export const ROUNDING_RULES: { readonly [K in Kind]?: RoundingRule<K> } = {
  ...MATRIX_FUNCTION_RULES,
  var: exact,
  given: exact,
  identity: exact,
  ones: exact,
  zeros: exact,
  unit: exact,
  indexValue: exact,
  commutation: exact,
  const: constant,
  num: constant,
  add: (n, c) => c.sum(c.E(0), c.E(1), c.round(n, 1)),
  scale: (n, c) => {
    const [s, m] = n.args as [Node, Node];
    return c.sum(
      productError(c, s, m, c.E(0), c.E(1), (x, y) => c.g.scale(x, y)),
      c.round(n, 1),
    );
  },
  hadamard: (n, c) => {
    const [a, b] = n.args as [Node, Node];
    return c.sum(
      productError(c, a, b, c.E(0), c.E(1), (x, y) => c.g.hadamard(x, y)),
      c.round(n, 1),
    );
  },
  kron: (n, c) => {
    const [a, b] = n.args as [Node, Node];
    return c.sum(
      productError(c, a, b, c.E(0), c.E(1), (x, y) => c.g.kron(x, y)),
      c.round(n, 1),
    );
  },
  divide: (n, c) => {
    const g = c.g;
    const b = n.args[1]!;
    const [ea, eb] = [c.E(0), c.E(1)];
    if (!ea && !eb) return c.round(n, 1);
    // |â/b̂ − a/b| ≤ (E_a + |q̂|·E_b)/(|b̂| − E_b): infinite when b̂ is within its bound of 0.
    const numer = c.sum(ea, eb ? g.hadamard(c.abs(n), eb) : null)!;
    const denom = eb ? g.fn('relu', g.sub(c.abs(b), eb)) : c.abs(b);
    return c.sum(g.divide(numer, denom), c.round(n, 1));
  },
  matmul: (n, c) => {
    const g = c.g;
    const [a, b] = n.args as [Node, Node];
    // diag(v)·X and X·diag(v) scale rows or columns: one rounding per entry.
    const k = a.kind === 'diag' || b.kind === 'diag' ? 1 : a.shape.cols.value;
    const times = (x: Node, y: Node): Node => g.matmul(x, y);
    return c.sum(productError(c, a, b, c.E(0), c.E(1), times), c.round(n, k, times(c.abs(a), c.abs(b))));
  },
  inner: (n, c) => {
    const g = c.g;
    const [a, b] = n.args as [Node, Node];
    const times = (x: Node, y: Node): Node => g.inner(x, y);
    return c.sum(productError(c, a, b, c.E(0), c.E(1), times), c.round(n, numelOf(a), times(c.abs(a), c.abs(b))));
  },
  sum: (n, c) => {
    const ea = c.E(0);
    const a = n.args[0]!;
    return c.sum(ea ? c.g.sum(ea) : null, c.round(n, numelOf(a), c.g.sum(c.abs(a))));
  },
  trace: (n, c) => {
    const ea = c.E(0);
    const a = n.args[0]!;
    return c.sum(ea ? c.g.trace(ea) : null, c.round(n, a.shape.rows.value, c.g.trace(c.abs(a))));
  },
  transpose: structural,
  vec: structural,
  unvec: structural,
  slice: structural,
  diag: structural,
  diagvec: structural,
  fn: fnRule,
  pow: powRule,
  norm: (n, c) => {
    const ea = c.E(0);
    // |‖â‖ − ‖a‖| ≤ ‖E‖ (triangle inequality); Σ a² then √ round within γ_{k+1} relative.
    return c.sum(ea ? c.g.norm(ea, n.p) : null, c.round(n, numelOf(n.args[0]!) + 1));
  },
  indexSum: (n, c) => {
    const g = c.g;
    const body = n.args[0]!;
    const eb = c.E(0);
    const over = (x: Node): Node => g.indexSum(n.index, n.lower, n.upper, x);
    return c.sum(eb ? over(eb) : null, c.round(n, n.upper - n.lower + 1, over(c.abs(body))));
  },
  softmax: (n, c) => {
    const g = c.g;
    const z = n.args[0]!;
    const ez = c.E(0);
    const k = numelOf(n);
    // s_i(z) / s_i(ẑ) lies within exp(±(E_i + max_j E_j)); Σ_j E_j bounds the max.
    let prop: Node | null = null;
    if (ez) {
      const r = g.add(ez, g.scale(g.sum(ez), g.ones(z.shape)));
      prop = g.hadamard(n, g.hadamard(r, g.fn('exp', r)));
    }
    // Evaluated as exp(z − max z)/Σ: the shift rounds within u·2Σ|z| in the exponent, exp within its
    // ulps, the sum within γ_k, the division once — a relative error ρ of every entry.
    const rho = g.scale(g.num(U), g.add(g.scale(g.num(4), g.sum(c.abs(z))), g.num(2 * FUNCTION_ULPS['exp']! + k + 4)));
    return c.sum(prop, g.scale(rho, n), g.scale(g.num(ETA), g.ones(n.shape)));
  },
  normalize: (n, c) => {
    const g = c.g;
    const u = n.args[0]!;
    const eu = c.E(0);
    const total = g.sum(u);
    const eTotal = c.sum(eu ? g.sum(eu) : null, c.round(total, numelOf(u), g.sum(c.abs(u))))!;
    // u_i/S: (E_u + |q̂|·E_S)/(|Ŝ| − E_S), infinite when the sum is within its bound of 0.
    const numer = c.sum(eu, g.scale(eTotal, c.abs(n)))!;
    const denom = g.fn('relu', g.sub(c.abs(total), eTotal));
    return c.sum(g.scale(g.pow(denom, g.num(-1)), numer), c.round(n, 1));
  },
};

export function roundingRule<K extends Kind>(kind: K): RoundingRule<K> {
  const rule = ROUNDING_RULES[kind] as RoundingRule<K> | undefined;
  if (!rule) throw new NoRoundingRule(`no rounding-error rule for the IR op '${kind}'`);
  return rule;
}

/** |n| without materialising what need not be: diag(|v|), transposes and scalings pushed inside. */
function absOf(g: Graph, n: Node, memo: Map<number, Node>): Node {
  const hit = memo.get(n.id);
  if (hit) return hit;
  let out: Node;
  switch (n.kind) {
    case 'num':
    case 'const':
      out = g.num(Math.abs(n.value));
      break;
    case 'identity':
    case 'ones':
    case 'zeros':
    case 'unit':
    case 'commutation':
    case 'softmax':
    case 'norm':
      out = n;
      break;
    case 'fn':
      out = ['exp', 'cosh', 'sigmoid', 'relu', 'abs', 'step', 'sqrt'].includes(n.fn) ? n : g.fn('abs', n);
      break;
    case 'diag':
    case 'transpose':
    case 'vec':
    case 'unvec':
    case 'slice':
      out = rebuildWithArgs(g, n, [absOf(g, n.args[0]!, memo)]);
      break;
    case 'scale':
      out = g.scale(absOf(g, n.args[0]!, memo), absOf(g, n.args[1]!, memo));
      break;
    default:
      out = g.fn('abs', n);
  }
  memo.set(n.id, out);
  return out;
}

/**
 * E(n) for every root (zeros when a root is computed exactly). Throws NoRoundingRule naming an op
 * without a rule.
 */
export function roundingBounds(g: Graph, roots: readonly Node[]): Node[] {
  const bounds = new Map<number, Node | null>();
  const absMemo = new Map<number, Node>();
  const ctx = (n: Node): RoundingContext => ({
    g,
    E: (i) => bounds.get(n.args[i]!.id) ?? null,
    bound: (m) => {
      if (!bounds.has(m.id)) throw new InternalError(`rounding bound of node ${m.id} asked before it was built`);
      return bounds.get(m.id)!;
    },
    abs: (m) => absOf(g, m, absMemo),
    round: (m, k, magnitude) => g.add(g.scale(g.num(gamma(k)), magnitude ?? absOf(g, m, absMemo)), g.scale(g.num(ETA), g.ones(m.shape))),
    sum: (...terms) => terms.reduce<Node | null>((acc, t) => (t ? (acc ? g.add(acc, t) : t) : acc), null),
  });
  for (const n of topoOrder(roots)) bounds.set(n.id, roundingRule(n.kind)(n as never, ctx(n)));
  return roots.map((r) => bounds.get(r.id) ?? g.zeros(r.shape));
}
