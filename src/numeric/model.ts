/**
 * What a worker evaluates: the deserialised IR (already planned by the client) with compiled plans for the loss, the gradient,
 * the Hessian and each claim's expressions, and the packing of vars into one flat vector x.
 */
import { Graph, type Node } from '../symbolic/ir';
import { fromWire } from '../symbolic/wire';
import { type CompiledPlan, compile } from './evaluate';
import type { CheckParams, Quantity, SamplingSpec } from './protocol';

/** A value at a point: column-major data with its shape. */
export interface Value {
  data: Float64Array;
  rows: number;
  cols: number;
}

export type Point = Map<string, Float64Array>;

export class Model {
  readonly nodes: Node[];
  readonly varSpecs: SamplingSpec[];
  /** What adversarial searches may move: the vars and every given not fixed by --data. */
  readonly searchSpecs: SamplingSpec[];
  readonly sizes: number[];
  readonly dimension: number;
  private readonly plans = new Map<string, CompiledPlan>();

  constructor(readonly params: CheckParams) {
    const graph = new Graph();
    this.nodes = fromWire(graph, params.ir);
    this.varSpecs = params.sampling.filter((s) => s.role === 'var');
    this.searchSpecs = params.sampling.filter((s) => s.role === 'var' || !s.fixed);
    this.sizes = this.varSpecs.map((s) => s.rows * s.cols);
    this.dimension = this.sizes.reduce((a, b) => a + b, 0);
  }

  private plan(roots: number[]): CompiledPlan {
    const key = roots.join(',');
    let p = this.plans.get(key);
    if (!p) {
      p = compile(roots.map((r) => this.nodes[r]!));
      this.plans.set(key, p);
    }
    return p;
  }

  loss(point: Point): number {
    return this.plan([this.params.loss]).run(point)[0]![0]!;
  }

  /** ∇L stacked over the given vars (all by default). */
  grad(point: Point, wrt: number[] = this.varSpecs.map((_, i) => i)): Float64Array {
    const parts = this.plan(wrt.map((i) => this.params.grads[i]!)).run(point);
    const out = new Float64Array(wrt.reduce((s, i) => s + this.sizes[i]!, 0));
    let off = 0;
    parts.forEach((p) => {
      out.set(p, off);
      off += p.length;
    });
    return out;
  }

  /** ∇²L·v (all vars, stacked) at the point, from the planned Hessian-vector product roots. */
  hessVec(point: Point, v: Float64Array): Float64Array {
    const inputs = new Map(point);
    let off = 0;
    this.sizes.forEach((size, k) => {
      inputs.set(`$v${k}`, v.subarray(off, off + size));
      off += size;
    });
    const parts = this.plan(this.params.hvp).run(inputs);
    const out = new Float64Array(this.dimension);
    off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** Hessian block over rows × cols vars, column-major. */
  hess(point: Point, rows: number[], cols: number[]): Value {
    const blocks = this.plan(rows.flatMap((a) => cols.map((b) => this.params.hess[a]![b]!))).run(point);
    const r = rows.reduce((s, i) => s + this.sizes[i]!, 0);
    const c = cols.reduce((s, i) => s + this.sizes[i]!, 0);
    const out = new Float64Array(r * c);
    let k = 0;
    let rowOff = 0;
    for (const a of rows) {
      let colOff = 0;
      for (const b of cols) {
        const block = blocks[k++]!;
        const [ra, cb] = [this.sizes[a]!, this.sizes[b]!];
        for (let j = 0; j < cb; j++) for (let i = 0; i < ra; i++) out[rowOff + i + (colOff + j) * r] = block[i + j * ra]!;
        colOff += cb;
      }
      rowOff += this.sizes[a]!;
    }
    return { data: out, rows: r, cols: c };
  }

  evaluate(q: Quantity, point: Point): Value {
    switch (q.kind) {
      case 'expr': {
        const n = this.nodes[q.root]!;
        return { data: this.plan([q.root]).run(point)[0]!, rows: n.shape.rows.value, cols: n.shape.cols.value };
      }
      case 'grad': {
        const data = this.grad(point, q.wrt);
        return { data, rows: data.length, cols: 1 };
      }
      case 'hess':
        return this.hess(point, q.rows, q.cols);
    }
  }

  /** The vars of a point as one flat vector (column-major per var, vars in order). */
  flatten(point: Point, specs: readonly SamplingSpec[] = this.varSpecs): Float64Array {
    const x = new Float64Array(specs.reduce((s, d) => s + d.rows * d.cols, 0));
    let off = 0;
    for (const s of specs) {
      x.set(point.get(s.name)!, off);
      off += s.rows * s.cols;
    }
    return x;
  }

  /** A copy of the point with the vars (or the given specs) replaced by x. */
  withVars(point: Point, x: Float64Array, specs: readonly SamplingSpec[] = this.varSpecs): Point {
    const out = new Map(point);
    let off = 0;
    for (const s of specs) {
      out.set(s.name, x.slice(off, off + s.rows * s.cols));
      off += s.rows * s.cols;
    }
    return out;
  }
}
