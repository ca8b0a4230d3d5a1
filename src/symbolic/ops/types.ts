/**
 * What defining an op means. Every IR kind has exactly one `OpDef` (in the file of its op or
 * family, collected by index.ts) holding everything that depends on the op:
 * - `rebuild`: the op on new arguments, through Graph's smart constructors;
 * - `vjp` / `jac`: reverse-mode and forward-mode derivative rules (see diff.ts);
 * - `kernel`: its float64 evaluation for the TypeScript evaluator (numeric/evaluate.ts);
 * - `print`: ASCII and LaTeX (symbolic/print.ts);
 * - `numpy`: the expression in an exported NumPy/JAX module (app/export.ts).
 * The Python evaluator has a kernel of the same name in python/derivlens/kernels.py; a test fails
 * when the two registries differ. A further per-op entry (an exact evaluation over a prime field,
 * issue #12) is one more field here and one more line per op.
 *
 * A `FunctionDef` is the surface side of a built-in function (`det(M)`, `softplus(x)`): the
 * signature the checker uses and how a call lowers to IR.
 */
import type { FunctionSignature } from '../../language/functions';
import type { Graph, IndexRef, Kind, Node, NodeOf } from '../ir';
import type { Prec, Printed, Syntax } from '../syntax';

export type VjpRule<K extends Kind = Kind> = (g: Graph, node: NodeOf<K>, cotangent: Node) => (Node | null)[];
export type JacRule<K extends Kind = Kind> = (g: Graph, node: NodeOf<K>, argJacobians: (Node | null)[]) => Node | null;

/** What a compiled plan reads while it runs. */
export interface EvalContext {
  /** Givens and vars by name, column-major. */
  inputs: ReadonlyMap<string, Float64Array>;
  /** Per-run cache of every node's value, by slot. */
  cache: (Float64Array | undefined)[];
  /** For a node under summation indices: their values when its cached value was computed. */
  cachedAt: (number[] | undefined)[];
  /** Current values of the summation indices. */
  indices: Map<string, number>;
}

export type Kernel = (ctx: EvalContext) => Float64Array;

/**
 * Dense float64 linear algebra the evaluator lends to kernels (column-major): the numeric layer's
 * fast products and factorisations, so an op says what to compute and the evaluator how.
 */
export interface LinearAlgebra {
  /** C = A·B with A m×k, B k×n. */
  matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array;
  /** C = Aᵀ·B with A stored k×m, B k×n (no transposed copy of A formed). */
  matmulTransposedLeft(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array;
  /** Determinant and log-determinant (−Inf when singular, NaN when det < 0) of an n×n matrix. */
  determinant(a: Float64Array, n: number): number;
  logDeterminant(a: Float64Array, n: number): number;
  /** The inverse of an n×n matrix; all NaN when it is singular. */
  inverse(a: Float64Array, n: number): Float64Array;
  /** Ascending singular values of an r×c matrix; ascending eigenvalues of the symmetric part of an n×n one. */
  singularValues(a: Float64Array, rows: number, cols: number): Float64Array;
  symmetricEigenvalues(a: Float64Array, n: number): Float64Array;
}

export interface KernelInputs {
  /** The compiled kernel of argument i. */
  arg(i: number): Kernel;
  /** The compiled kernel of any node already compiled (an argument's argument, say). */
  of(n: Node): Kernel;
  /** Whether n's value is needed elsewhere too (a root, or an argument of another node): then a kernel reads it rather than fusing it away. */
  shared(n: Node): boolean;
  readonly la: LinearAlgebra;
}

export interface PrintContext {
  readonly syntax: Syntax;
  /** Argument i, printed (by name when it is named). */
  arg(i: number): Printed;
  print(n: Node): Printed;
  /** Parenthesised when its precedence is below `min`. */
  wrap(p: Printed, min: Prec): string;
  /** As the base of a superscript (^T, ^2, ^{-1}): parenthesised unless a postfix without one. */
  base(p: Printed): string;
  /** A summation index (or literal) as printed where it is used: bound indices may be renamed. */
  ref(r: IndexRef): string;
  /**
   * Prints the body of a sum binding `index`: `body` receives the name the index prints as there,
   * fresh when an enclosing sum or a declared name already uses the written one.
   */
  bind<T>(index: string, body: (name: string) => T): T;
  /** The size subscript of 1_n, 0_{n x d}: the length of a vector, rows × cols of a matrix. */
  sizeOf(n: Node): string;
}

export interface ExportContext {
  /** The Python variable holding argument i (a 2-D array). */
  arg(i: number): string;
  ref(r: IndexRef): string;
  rows: number;
  cols: number;
  /** 'jax' when the module imports jax.numpy as np. */
  flavor: 'numpy' | 'jax';
}

export interface OpDef<K extends Kind = Kind> {
  kind: K;
  /** Node attributes the wire format carries (beyond kind, shape and arguments). */
  attrs?: readonly string[];
  rebuild(g: Graph, node: NodeOf<K>, args: Node[]): Node;
  vjp: VjpRule<K>;
  jac: JacRule<K>;
  kernel(node: NodeOf<K>, k: KernelInputs): Kernel;
  print(node: NodeOf<K>, p: PrintContext): Printed;
  numpy(node: NodeOf<K>, e: ExportContext): string;
  /** Python helper functions (name → definition) that this node's `numpy` expression calls. */
  pyHelpers?(node: NodeOf<K>, flavor: 'numpy' | 'jax'): Readonly<Record<string, string>>;
}

export type OpTable = { readonly [K in Kind]: OpDef<K> };

export interface FunctionDef extends FunctionSignature {
  /** The call on lowered arguments. */
  lower(g: Graph, args: readonly Node[]): Node;
  /** What an editor shows for it (completion, signature help): parameter names and one line. */
  doc: { params: readonly string[]; summary: string };
}
