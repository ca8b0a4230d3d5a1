/**
 * Compiles IR into closures over Float64Array (column-major, float64) — one closure per node, each
 * op's kernel from the registry (src/symbolic/ops) with the dense linear algebra lent here (the
 * WebAssembly kernels for large products), results of index-free nodes cached per evaluation.
 * This is what `eval` runs and what the CPU evaluator executes.
 */
import { type Node, topoOrder } from '../symbolic/ir';
import { type EvalContext, type Kernel, type LinearAlgebra, opDef } from '../symbolic/ops';
import { determinant, inverse, logDeterminant, singularValues, symmetricEigenvalues } from './dense';
import { denseProductPays, gemm, gemv, matmul as denseMatmul, withResident } from './kernels';

export type Values = ReadonlyMap<string, Float64Array>;

export interface CompiledPlan {
  /** Evaluates every root at the given inputs (givens and vars by name, column-major). */
  run(inputs: Values): Float64Array[];
}

/** C = A·B, all column-major; A is m×k, B is k×n. */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  if (k === 1) return outerProduct(a, b, m, n);
  if (denseProductPays(b, m, k, n)) return denseMatmul(a, b, m, k, n);
  const out = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const oj = j * m;
    for (let p = 0; p < k; p++) {
      const s = b[p + j * k]!;
      if (s === 0) continue;
      const ap = p * m;
      for (let i = 0; i < m; i++) out[oj + i]! += a[ap + i]! * s;
    }
  }
  return out;
}

/** u·vᵀ (m×n): written directly, with no copies into and out of the kernels' memory. */
function outerProduct(u: Float64Array, v: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const s = v[j]!;
    for (let i = 0; i < m; i++) out[i + j * m] = u[i]! * s;
  }
  return out;
}

/** C = Aᵀ·B, column-major; A is stored k×m, B is k×n (the kernels fall back to their reference loops when small). */
export function matmulTransposedLeft(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  if (n === 1) return gemv(k, m, a, b, new Float64Array(m), { trans: true });
  // aᵀB for a column a is (Bᵀa)ᵀ: a matrix-vector product, which GEMM's tiles would waste.
  if (m === 1) return gemv(k, n, b, a, new Float64Array(n), { trans: true });
  if (k === 1) return outerProduct(a, b, m, n);
  return gemm(m, n, k, a, b, new Float64Array(m * n), { transA: true });
}

const LA: LinearAlgebra = { matmul, matmulTransposedLeft, determinant, logDeterminant, inverse, singularValues, symmetricEigenvalues };

/**
 * A node under summation indices keeps its value while those indices keep theirs. Before, such a
 * node was computed again for each reader, and so were its shared arguments, so the cost grew with
 * the depth of sharing: the rounding-error bound of examples/exp_two_layer.loss's double sum (the
 * bound IR reads each value node from several bound terms) took 53,576 kernel calls at 4 points,
 * now 6,704.
 */
function cachedPerIteration(k: Kernel, slot: number, indices: string[]): Kernel {
  return (ctx) => {
    const at = ctx.cachedAt[slot];
    const cached = ctx.cache[slot];
    if (at && cached) {
      let same = true;
      for (let i = 0; i < indices.length && same; i++) same = ctx.indices.get(indices[i]!) === at[i];
      if (same) return cached;
    }
    const value = k(ctx);
    ctx.cache[slot] = value;
    const values = (ctx.cachedAt[slot] ??= new Array<number>(indices.length));
    for (let i = 0; i < indices.length; i++) values[i] = ctx.indices.get(indices[i]!)!;
    return value;
  };
}

export function compile(roots: readonly Node[]): CompiledPlan {
  const kernels = new Map<number, Kernel>();
  const order = topoOrder(roots);
  const of = (n: Node): Kernel => kernels.get(n.id)!;
  const readers = new Map<number, number>(roots.map((r) => [r.id, 1]));
  for (const node of order) for (const a of node.args) readers.set(a.id, (readers.get(a.id) ?? 0) + 1);
  const shared = (n: Node): boolean => (readers.get(n.id) ?? 0) > 1;
  order.forEach((node, slot) => {
    const k = opDef(node).kernel(node, { arg: (i) => of(node.args[i]!), of, shared, la: LA });
    kernels.set(
      node.id,
      node.freeIndices.size > 0
        ? cachedPerIteration(k, slot, [...node.freeIndices])
        : (ctx) => ctx.cache[slot] ?? (ctx.cache[slot] = k(ctx)),
    );
  });
  const slots = order.length;
  const indexedSlots = order.some((n) => n.freeIndices.size > 0) ? slots : 0;
  const rootKernels = roots.map((r) => kernels.get(r.id)!);
  return {
    run(inputs) {
      const ctx: EvalContext = { inputs, cache: new Array(slots), cachedAt: new Array(indexedSlots), indices: new Map() };
      // Kernels never write their inputs, so the givens and vars can stay in the kernels' memory for the run.
      return withResident(inputs.values(), () => rootKernels.map((k) => k(ctx)));
    },
  };
}
