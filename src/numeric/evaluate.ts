/**
 * Compiles IR into closures over Float64Array (column-major, float64) — one closure per node, each
 * op's kernel from the registry (src/symbolic/ops), results of index-free nodes cached per
 * evaluation. This is what `eval` runs and what the CPU worker executes.
 */
import { type Node, topoOrder } from '../symbolic/ir';
import { type EvalContext, type Kernel, opDef } from '../symbolic/ops';

export type Values = ReadonlyMap<string, Float64Array>;

export interface CompiledPlan {
  /** Evaluates every root at the given inputs (givens and vars by name, column-major). */
  run(inputs: Values): Float64Array[];
}

export function compile(roots: readonly Node[]): CompiledPlan {
  const kernels = new Map<number, Kernel>();
  const order = topoOrder(roots);
  const of = (n: Node): Kernel => kernels.get(n.id)!;
  order.forEach((node, slot) => {
    const k = opDef(node).kernel(node, { arg: (i) => of(node.args[i]!), of });
    // Cache only index-free nodes: those with a free summation index change every iteration.
    kernels.set(node.id, node.freeIndices.size > 0 ? k : (ctx) => ctx.cache[slot] ?? (ctx.cache[slot] = k(ctx)));
  });
  const slots = order.length;
  const rootKernels = roots.map((r) => kernels.get(r.id)!);
  return {
    run(inputs) {
      const ctx: EvalContext = { inputs, cache: new Array(slots), indices: new Map() };
      return rootKernels.map((k) => k(ctx));
    },
  };
}
