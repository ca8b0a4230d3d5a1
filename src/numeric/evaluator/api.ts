/**
 * The evaluator interface: what the check driver asks of the machine that holds the numbers.
 *
 * An evaluator keeps every array itself — sampled points, evaluated quantities, directions,
 * eigenvectors — under integer handles chosen by the driver, and answers with scalars per row
 * (one row per point of a batch). Only a fetched counterexample crosses as an array. Every op is
 * batched over rows, so a GPU evaluator sees whole batches; none of them decides anything.
 *
 * Two implementations: `CpuEvaluator` (TypeScript, in the check worker's process) and the Python
 * evaluator (python/derivlens/evaluator.py, reached through `PythonEvaluator`), which must answer
 * every op identically up to rounding — the golden vectors in test/golden/ hold both to that.
 * python/derivlens/evaluator.py mirrors this file: change one, change the other.
 */
import type { WireGraph } from '../../symbolic/wire';
import type { Quantity, SamplingSpec } from '../protocol';

export type { Quantity };

export type Handle = number;

/** What `load` gives an evaluator: the planned IR, the roots the driver refers to, how to sample. */
export interface EvaluatorProgram {
  ir: WireGraph;
  loss: number;
  grads: number[];
  hess: number[][];
  /** ∇²L·v per var, v's part for var k being the input `$v<k>`. */
  hvp: number[];
  sampling: SamplingSpec[];
  /** Rounding-error bound roots: `bound` bounds |fl(of) − of| entrywise (quantity kind 'bound'). */
  bounds?: { of: number; bound: number }[];
  /** Per-claim domains: further spec lists (same names, narrowed constraints); `sample` picks one by index. */
  domains?: SamplingSpec[][];
  seed: number;
}

/** A quantity an evaluator can compute at each point of a batch. */
export type EvalQuantity =
  | Quantity
  /** ∇²L·v over all vars (stacked), v from the `vectors` handle of the op. */
  | { kind: 'hvp' }
  /** Several roots' values flattened (column-major) and stacked into one column; `inputs` split the op's vectors into named inputs. */
  | { kind: 'stack'; roots: number[]; inputs?: { name: string; size: number }[] }
  /** The rounding-error bound of a quantity, laid out as the quantity (each root replaced by its bound root). */
  | { kind: 'bound'; of: Quantity };

/** Rows of one handle: every row, or the listed ones (repeats allowed). */
export interface RowRef {
  of: Handle;
  rows?: number[];
}

export type NormKind = 'norm' | 'maxAbs' | 'minAbs' | 'opNorm';

/**
 * The ops, by name: [arguments, answer]. `out` is the handle the op's result is stored under.
 * Points are full points (every given and var); values are per-row matrices of one shape.
 */
export interface Ops {
  /** Fixes the program; every handle is dropped. */
  load: [{ program: EvaluatorProgram }, Record<string, never>];
  /** Draws one point per stream id list from the seed (counter-based, identical in every evaluator). */
  sample: [{ out: Handle; streams: number[][]; domain?: number }, Record<string, never>];
  /** `count` rows of one constant value (every entry `value`), shape r×c. */
  fill: [{ out: Handle; count: number; r: number; c: number; value: number }, Record<string, never>];
  /** Per row: the value of a 1×1 handle. */
  scalars: [{ of: RowRef }, { values: number[] }];
  /** Rows taken from several handles (all points, or all values of one shape), concatenated. */
  gather: [{ out: Handle; parts: RowRef[] }, Record<string, never>];
  /** base's rows with the named entries replaced by from's (row by row). */
  assign: [{ out: Handle; base: RowRef; from: RowRef; names: string[] }, Record<string, never>];
  /** A seeded random ±1 direction per stream, over the named entries stacked, scaled to unit norm. */
  directions: [{ out: Handle; streams: number[][]; names: string[] }, Record<string, never>];
  /**
   * base + scale[i]·weights[k]·delta[i] on the named entries k (stacked as in `directions`; weights
   * default to 1), projected onto the domain when asked.
   */
  move: [
    { out: Handle; base: RowRef; delta: RowRef; scale: number[]; names: string[]; project: boolean; weights?: number[] },
    Record<string, never>,
  ];
  /** A quantity at each point; `vectors` supplies v for `hvp` and for a stack's named inputs. */
  evaluate: [{ out: Handle; points: RowRef; quantity: EvalQuantity; vectors?: RowRef }, Record<string, never>];
  /** Σ_t coef_t[i]·terms_t[i] row by row (a number coefficient applies to every row). */
  linear: [{ out: Handle; terms: (RowRef & { coef: number | number[] })[] }, Record<string, never>];
  /** Output row g = Σ_j coefs[g][j]·of[groups[g][j]]; scaled to unit norm when `normalize`. */
  mix: [{ out: Handle; of: Handle; groups: number[][]; coefs: number[][]; normalize?: boolean }, Record<string, never>];
  /** Unit-norm rows; answers the norms. */
  normalize: [{ out: Handle; of: RowRef }, { values: number[] }];
  /** out = of minus its components along every basis handle's rows (Gram–Schmidt twice). */
  orthogonalize: [{ out: Handle; of: RowRef; basis: Handle[] }, Record<string, never>];
  /** Per row: ‖·‖₂ (Frobenius), max |·|, min |·| or the operator norm (|s|, ‖v‖₂, spectral norm). NaN/Inf propagate. */
  norms: [{ of: RowRef; kind: NormKind }, { values: number[] }];
  /** Per row: ‖x_a − x_b‖₂ over the named entries of two point sets (‖x_a‖₂ when b is absent). */
  distances: [{ a: RowRef; b?: RowRef; names: string[] }, { values: number[] }];
  /**
   * Per row: max over entries of |a − b| / bound (0 where a = b and bound = 0; x/0 = Inf; NaN
   * anywhere gives NaN): how far the gap between two values exceeds their rounding-error bound.
   */
  exceed: [{ a: RowRef; b: RowRef; bound: RowRef }, { values: number[] }];
  /** Per row: ⟨a_i, b_i⟩. */
  dots: [{ a: RowRef; b: RowRef }, { values: number[] }];
  /** Per row: vᵀ Q v (Q a square quantity, or a scalar s giving s‖v‖²); for the full Hessian by Hessian-vector products. */
  quad: [{ points: RowRef; quantity: Quantity; vectors: RowRef }, { values: number[] }];
  /** Per row: value[i] · vectors[i] for a matrix quantity (a Jacobian applied to a direction). */
  apply: [{ out: Handle; values: RowRef; vectors: RowRef }, Record<string, never>];
  /**
   * Extreme eigenpair (smallest, largest, or largest in magnitude — its value signed) of
   * sign·(upper − lower) at each point, by a dense eigensolve that never returns
   * the matrices. Answers the eigenvalues and max |entry| (NaN or Inf there when the matrix is not
   * finite; the eigenvalue is then meaningless); `out` holds the unit eigenvectors.
   */
  eigen: [
    { out: Handle; points: RowRef; upper: Quantity; lower?: Quantity; sign: 1 | -1; which: 'min' | 'max' | 'absmax' },
    { values: number[]; scales: number[] },
  ];
  /** The named entries of points, stacked per row into a column (as `directions` stacks them). */
  extract: [{ out: Handle; of: RowRef; names: string[] }, Record<string, never>];
  /** Per row: entry[i] of the row's column-major data. */
  pick: [{ of: RowRef; entries: number[] }, { values: number[] }];
  /** Per row: the first entry index where a and b have strictly opposite signs, or −1. */
  signChange: [{ a: RowRef; b: RowRef }, { values: number[] }];
  /** One row of a handle: a point as {name: column-major data}, or a value as its data. */
  fetch: [{ of: Handle; row: number }, { point?: Record<string, number[]>; value?: number[]; rows?: number; cols?: number }];
  release: [{ handles: Handle[] }, Record<string, never>];
  /** Where time went (matrix formation, eigensolves): seconds, flops and points per kind. */
  stats: [Record<string, never>, { stats: Record<string, { seconds: number; flops: number; points: number }> }];
}

export type OpName = keyof Ops;
export type OpArgs<K extends OpName> = Ops[K][0];
export type OpAnswer<K extends OpName> = Ops[K][1];

/** Raised by an evaluator when the domain cannot be sampled (an impossible simplex, say): a user error. */
export class SamplingFailed extends Error {}

export interface EvaluatorInfo {
  /** e.g. "cpu-node", "python-jax". */
  backend: string;
  device: string;
  gpu: boolean;
  /**
   * From this many variables on, full-Hessian eigenvalues are cheaper here by Lanczos on
   * Hessian-vector products than by forming the Hessian (a GPU forms and eigen-solves stacks of
   * Hessians fast; the CPU's dense path wins to several thousand).
   */
  iterativeEigenFrom?: number;
}

export interface Evaluator {
  readonly info: EvaluatorInfo;
  run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpAnswer<K>>;
  close(): Promise<void>;
}
