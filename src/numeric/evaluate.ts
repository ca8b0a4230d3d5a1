/**
 * Compiles IR into closures over Float64Array (column-major, float64) — one closure per node, the
 * kernels in tight loops, results of index-free nodes cached per evaluation. This is what `eval`
 * runs and what the CPU worker will execute.
 */
import { type IndexRef, InternalError, type Node, topoOrder } from '../symbolic/ir';
import { denseProductPays, matmul as denseMatmul } from './kernels';

export type Values = ReadonlyMap<string, Float64Array>;

interface Context {
  inputs: Values;
  cache: (Float64Array | undefined)[];
  indices: Map<string, number>;
}

type Kernel = (ctx: Context) => Float64Array;

export interface CompiledPlan {
  /** Evaluates every root at the given inputs (givens and vars by name, column-major). */
  run(inputs: Values): Float64Array[];
}

const SCALAR_FNS: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  cosh: Math.cosh,
  sinh: Math.sinh,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : 0),
  sqrt: Math.sqrt,
  abs: Math.abs,
  step: (x) => (x > 0 ? 1 : 0),
  sign: Math.sign,
};

export function compile(roots: readonly Node[]): CompiledPlan {
  const kernels = new Map<number, Kernel>();
  const order = topoOrder(roots);
  order.forEach((node, slot) => {
    const k = makeKernel(node, (n) => kernels.get(n.id)!);
    // Cache only index-free nodes: those with a free summation index change every iteration.
    kernels.set(node.id, node.freeIndices.size > 0 ? k : (ctx) => ctx.cache[slot] ?? (ctx.cache[slot] = k(ctx)));
  });
  const slots = order.length;
  const rootKernels = roots.map((r) => kernels.get(r.id)!);
  return {
    run(inputs) {
      const ctx: Context = { inputs, cache: new Array(slots), indices: new Map() };
      return rootKernels.map((k) => k(ctx));
    },
  };
}

function refValue(ctx: Context, r: IndexRef): number {
  if (r.kind === 'lit') return r.value;
  const v = ctx.indices.get(r.name);
  if (v === undefined) throw new InternalError(`index ${r.name} used outside its sum`);
  return v;
}

function makeKernel(node: Node, k: (n: Node) => Kernel): Kernel {
  const rows = node.shape.rows.value;
  const cols = node.shape.cols.value;
  const size = rows * cols;
  const arg = (i: number): Kernel => k(node.args[i]!);
  switch (node.kind) {
    case 'var':
    case 'given': {
      const name = node.name;
      return (ctx) => {
        const v = ctx.inputs.get(name);
        if (!v) throw new InternalError(`no value for '${name}'`);
        return v;
      };
    }
    case 'const':
    case 'num': {
      const out = Float64Array.of(node.value);
      return () => out;
    }
    case 'identity': {
      const out = new Float64Array(size);
      for (let i = 0; i < rows; i++) out[i + i * rows] = 1;
      return () => out;
    }
    case 'ones': {
      const out = new Float64Array(size).fill(1);
      return () => out;
    }
    case 'zeros': {
      const out = new Float64Array(size);
      return () => out;
    }
    case 'unit': {
      const index = node.index;
      return (ctx) => {
        const out = new Float64Array(rows);
        out[refValue(ctx, index) - 1] = 1;
        return out;
      };
    }
    case 'indexValue': {
      const name = node.index;
      return (ctx) => Float64Array.of(refValue(ctx, { kind: 'index', name }));
    }
    case 'commutation': {
      const { m, n } = node;
      const out = new Float64Array(size);
      for (let i = 0; i < m.value; i++) for (let j = 0; j < n.value; j++) out[j + i * n.value + (i + j * m.value) * rows] = 1;
      return () => out;
    }
    case 'add':
      return elementwise2(arg(0), arg(1), size, (a, b) => a + b);
    case 'hadamard':
      return elementwise2(arg(0), arg(1), size, (a, b) => a * b);
    case 'divide':
      return elementwise2(arg(0), arg(1), size, (a, b) => a / b);
    case 'scale': {
      const [s, m] = [arg(0), arg(1)];
      return (ctx) => {
        const c = s(ctx)[0]!;
        const x = m(ctx);
        const out = new Float64Array(size);
        for (let i = 0; i < size; i++) out[i] = c * x[i]!;
        return out;
      };
    }
    case 'matmul': {
      const [left, right] = node.args as [Node, Node];
      // diag(v)·X and X·diag(v) scale rows / columns: O(size), no dense diagonal matrix.
      if (left.kind === 'diag') {
        const v = k(left.args[0]!);
        const x = arg(1);
        return (ctx) => {
          const d = v(ctx);
          const m = x(ctx);
          const out = new Float64Array(size);
          for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = d[i]! * m[i + j * rows]!;
          return out;
        };
      }
      if (right.kind === 'diag') {
        const v = k(right.args[0]!);
        const x = arg(0);
        return (ctx) => {
          const d = v(ctx);
          const m = x(ctx);
          const out = new Float64Array(size);
          for (let j = 0; j < cols; j++) {
            const s = d[j]!;
            for (let i = 0; i < rows; i++) out[i + j * rows] = s * m[i + j * rows]!;
          }
          return out;
        };
      }
      const [a, b] = [arg(0), arg(1)];
      const inner = left.shape.cols.value;
      return (ctx) => matmul(a(ctx), b(ctx), rows, inner, cols);
    }
    case 'transpose': {
      const a = arg(0);
      return (ctx) => {
        const x = a(ctx);
        const out = new Float64Array(size);
        // Input is cols×rows; out[i, j] = x[j, i].
        for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = x[j + i * cols]!;
        return out;
      };
    }
    case 'kron': {
      const [a, b] = [arg(0), arg(1)];
      const [ar, ac] = [node.args[0]!.shape.rows.value, node.args[0]!.shape.cols.value];
      const [br, bc] = [node.args[1]!.shape.rows.value, node.args[1]!.shape.cols.value];
      return (ctx) => {
        const x = a(ctx);
        const y = b(ctx);
        const out = new Float64Array(size);
        for (let ja = 0; ja < ac; ja++)
          for (let ia = 0; ia < ar; ia++) {
            const s = x[ia + ja * ar]!;
            if (s === 0) continue;
            for (let jb = 0; jb < bc; jb++)
              for (let ib = 0; ib < br; ib++) out[ia * br + ib + (ja * bc + jb) * rows] = s * y[ib + jb * br]!;
          }
        return out;
      };
    }
    case 'fn': {
      const a = arg(0);
      const f = SCALAR_FNS[node.fn]!;
      return (ctx) => {
        const x = a(ctx);
        const out = new Float64Array(size);
        for (let i = 0; i < size; i++) out[i] = f(x[i]!);
        return out;
      };
    }
    case 'pow': {
      const [b, e] = [arg(0), arg(1)];
      return (ctx) => Float64Array.of(b(ctx)[0]! ** e(ctx)[0]!);
    }
    case 'inner': {
      const [a, b] = [arg(0), arg(1)];
      const n = node.args[0]!.shape.rows.value * node.args[0]!.shape.cols.value;
      return (ctx) => {
        const x = a(ctx);
        const y = b(ctx);
        let s = 0;
        for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
        return Float64Array.of(s);
      };
    }
    case 'sum': {
      const a = arg(0);
      return (ctx) => Float64Array.of(a(ctx).reduce((s, v) => s + v, 0));
    }
    case 'trace': {
      const a = arg(0);
      const n = node.args[0]!.shape.rows.value;
      return (ctx) => {
        const x = a(ctx);
        let s = 0;
        for (let i = 0; i < n; i++) s += x[i + i * n]!;
        return Float64Array.of(s);
      };
    }
    case 'diag': {
      const a = arg(0);
      return (ctx) => {
        const x = a(ctx);
        const out = new Float64Array(size);
        for (let i = 0; i < rows; i++) out[i + i * rows] = x[i]!;
        return out;
      };
    }
    case 'diagvec': {
      const a = arg(0);
      return (ctx) => {
        const x = a(ctx);
        const out = new Float64Array(rows);
        for (let i = 0; i < rows; i++) out[i] = x[i + i * rows]!;
        return out;
      };
    }
    case 'vec':
    case 'unvec':
      // Column-major storage: vec and its inverse are the same numbers.
      return arg(0);
    case 'norm': {
      const a = arg(0);
      return (ctx) => {
        const x = a(ctx);
        let s = 0;
        for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
        return Float64Array.of(Math.sqrt(s));
      };
    }
    case 'slice': {
      const a = arg(0);
      const { row, col } = node;
      const srcRows = node.args[0]!.shape.rows.value;
      return (ctx) => {
        const x = a(ctx);
        const r0 = row ? refValue(ctx, row) - 1 : 0;
        const c0 = col ? refValue(ctx, col) - 1 : 0;
        const out = new Float64Array(size);
        for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = x[r0 + i + (c0 + j) * srcRows]!;
        return out;
      };
    }
    case 'indexSum': {
      const body = arg(0);
      const { index, lower, upper } = node;
      return (ctx) => {
        const out = new Float64Array(size);
        const saved = ctx.indices.get(index);
        for (let j = lower; j <= upper; j++) {
          ctx.indices.set(index, j);
          const v = body(ctx);
          for (let i = 0; i < size; i++) out[i] += v[i]!;
        }
        if (saved === undefined) ctx.indices.delete(index);
        else ctx.indices.set(index, saved);
        return out;
      };
    }
    case 'softmax': {
      const a = arg(0);
      return (ctx) => {
        const z = a(ctx);
        let max = -Infinity;
        for (let i = 0; i < size; i++) max = Math.max(max, z[i]!);
        const out = new Float64Array(size);
        let s = 0;
        for (let i = 0; i < size; i++) s += out[i] = Math.exp(z[i]! - max);
        for (let i = 0; i < size; i++) out[i]! /= s;
        return out;
      };
    }
    case 'normalize': {
      const a = arg(0);
      return (ctx) => {
        const u = a(ctx);
        let s = 0;
        for (let i = 0; i < size; i++) s += u[i]!;
        const out = new Float64Array(size);
        for (let i = 0; i < size; i++) out[i] = u[i]! / s;
        return out;
      };
    }
  }
}

function elementwise2(a: Kernel, b: Kernel, size: number, f: (x: number, y: number) => number): Kernel {
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = f(x[i]!, y[i]!);
    return out;
  };
}

/** C = A·B, all column-major; A is m×k, B is k×n. */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
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
