/**
 * The CPU evaluator: the ops of api.ts over column-major Float64Arrays, point by point, in the
 * check worker's own process. Long ops yield to the event loop every few milliseconds and call
 * `interrupt`, which throws to stop them (cancellation, the time limit).
 */
import { Graph, type Node } from '../../symbolic/ir';
import { fromWire } from '../../symbolic/wire';
import { type CompiledPlan, compile } from '../evaluate';
import { dominantEigenpair, largestEigenpairs, smallestEigenpairs } from '../kernels';
import { euclidean, spectralNorm } from '../linalg';
import type { SamplingSpec } from '../protocol';
import { Sampler, SamplingError, project } from '../sampling';
import {
  type EvalQuantity,
  type Evaluator,
  type EvaluatorInfo,
  type EvaluatorProgram,
  type Handle,
  type NormKind,
  type OpAnswer,
  type OpArgs,
  type OpName,
  type Quantity,
  type RowRef,
  SamplingFailed,
} from './api';

type Point = Map<string, Float64Array>;

/** Points of one domain, or per-row matrices of one shape. */
type Stored = { kind: 'points'; rows: Point[]; domain: number } | { kind: 'values'; rows: Float64Array[]; r: number; c: number };

const YIELD_MS = 8;
const EMPTY = {} as Record<string, never>;

class Program {
  readonly nodes: Node[];
  readonly varSpecs: SamplingSpec[];
  readonly sizes: number[];
  readonly dimension: number;
  readonly samplers: Sampler[];
  readonly domains: SamplingSpec[][];
  private readonly plans = new Map<string | number, CompiledPlan>();
  /** Input names of a Hessian-vector product's vectors, one per var. */
  private readonly hvpInputs: string[];
  private readonly boundOf: Map<number, number>;

  constructor(readonly p: EvaluatorProgram) {
    this.nodes = fromWire(new Graph(), p.ir);
    this.domains = [p.sampling, ...(p.domains ?? [])];
    // Balls centred at an expression of givens evaluate their centre at the givens drawn so far.
    this.samplers = this.domains.map((specs) => new Sampler(specs, p.seed, (root, point) => this.plan([root]).run(point)[0]!));
    this.varSpecs = p.sampling.filter((s) => s.role === 'var');
    this.sizes = this.varSpecs.map((s) => s.rows * s.cols);
    this.dimension = this.sizes.reduce((a, b) => a + b, 0);
    this.boundOf = new Map((p.bounds ?? []).map((b) => [b.of, b.bound]));
    this.hvpInputs = this.sizes.map((_, k) => `$v${k}`);
  }

  /** The rounding-error bound root of a root. */
  private bound(root: number): number {
    const b = this.boundOf.get(root);
    if (b === undefined) throw new Error(`no rounding bound for root ${root}`);
    return b;
  }

  plan(roots: readonly number[]): CompiledPlan {
    // Looked up once per evaluated row: a single root needs no key string.
    const key = roots.length === 1 ? roots[0]! : roots.join(',');
    let plan = this.plans.get(key);
    if (!plan) this.plans.set(key, (plan = compile(roots.map((r) => this.nodes[r]!))));
    return plan;
  }

  /** The quantity at one point as column-major data with its shape. */
  evaluate(q: EvalQuantity, point: Point, v?: Float64Array): { data: Float64Array; r: number; c: number } {
    switch (q.kind) {
      case 'expr':
        return this.expr(q.root, point);
      case 'stack': {
        if (!q.inputs?.length) return stacked(this.plan(q.roots).run(point));
        if (!v) throw new Error('a stack with inputs needs vectors');
        const inputs = new Map(point);
        let off = 0;
        for (const { name, size } of q.inputs) {
          inputs.set(name, v.subarray(off, off + size));
          off += size;
        }
        return stacked(this.plan(q.roots).run(inputs));
      }
      case 'grad':
        return stacked(this.plan(q.wrt.map((i) => this.p.grads[i]!)).run(point));
      case 'bound': {
        const of = q.of;
        if (of.kind === 'expr') return this.expr(this.bound(of.root), point);
        if (of.kind === 'grad') return stacked(this.plan(of.wrt.map((i) => this.bound(this.p.grads[i]!))).run(point));
        return this.hess(point, of.rows, of.cols, (a, b) => this.bound(this.p.hess[a]![b]!));
      }
      case 'hvp': {
        if (!v) throw new Error('hvp needs vectors');
        const inputs = new Map(point);
        let off = 0;
        for (let k = 0; k < this.sizes.length; k++) {
          inputs.set(this.hvpInputs[k]!, v.subarray(off, off + this.sizes[k]!));
          off += this.sizes[k]!;
        }
        return stacked(this.plan(this.p.hvp).run(inputs));
      }
      case 'hess':
        return this.hess(point, q.rows, q.cols, (a, b) => this.p.hess[a]![b]!);
    }
  }

  private expr(root: number, point: Point): { data: Float64Array; r: number; c: number } {
    const n = this.nodes[root]!;
    return { data: this.plan([root]).run(point)[0]!, r: n.shape.rows.value, c: n.shape.cols.value };
  }

  private hess(
    point: Point,
    rows: number[],
    cols: number[],
    block: (a: number, b: number) => number,
  ): { data: Float64Array; r: number; c: number } {
    const blocks = this.plan(rows.flatMap((a) => cols.map((b) => block(a, b)))).run(point);
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
        for (let j = 0; j < cb; j++) out.set(block.subarray(j * ra, (j + 1) * ra), rowOff + (colOff + j) * r);
        colOff += cb;
      }
      rowOff += this.sizes[a]!;
    }
    return { data: out, r, c };
  }

  isFullHessian(q: Quantity): boolean {
    const k = this.varSpecs.length;
    return q.kind === 'hess' && q.rows.length === k && q.cols.length === k && q.rows.every((r, i) => r === i && q.cols[i] === i);
  }
}

function stacked(parts: Float64Array[]): { data: Float64Array; r: number; c: number } {
  if (parts.length === 1) return { data: parts[0]!, r: parts[0]!.length, c: 1 };
  const data = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, r: data.length, c: 1 };
}

/** |s| for scalars, ‖v‖₂ for vectors, the spectral norm for matrices (max |λ| when symmetric). */
function operatorNorm(m: Float64Array, r: number, c: number): number {
  if (r === 1 || c === 1) return euclidean(m);
  for (let i = 0; i < m.length; i++) if (!Number.isFinite(m[i]!)) return m[i]!;
  if (r === c) {
    let asym = 0;
    let size = 0;
    for (let i = 0; i < r; i++)
      for (let j = 0; j < r; j++) {
        asym = Math.max(asym, Math.abs(m[i + j * r]! - m[j + i * r]!));
        size = Math.max(size, Math.abs(m[i + j * r]!));
      }
    if (asym <= 1e-12 * Math.max(size, 1e-300)) return Math.abs(dominantEigenpair(m, r, { vectors: false }).value);
  }
  return spectralNorm(m, r, c);
}

/**
 * An eigenvector is defined up to sign: every evaluator returns the one whose largest entry (the
 * first, on a tie) is positive, so what the driver does with it is the same everywhere.
 */
function canonicalSign(v: Float64Array): Float64Array {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[k]!)) k = i;
  if (v[k]! < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
  return v;
}

/** out += k·x over the first `size` entries. */
function addScaled(out: Float64Array, k: number, x: Float64Array, size: number): void {
  for (let j = 0; j < size; j++) out[j]! += k * x[j]!;
}

/** max |x| with NaN propagating (Math.max does; the comparison loop would not). */
function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (!(a <= m)) m = a;
  }
  return m;
}

function minAbs(x: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (!(a >= m)) m = a;
  }
  return m;
}

/** Every op of api.ts, typed: a missing or mistyped handler is a compile error. */
type Handlers = { [K in OpName as `op_${K}`]: (a: OpArgs<K>) => OpAnswer<K> | Promise<OpAnswer<K>> };

export class CpuEvaluator implements Evaluator, Handlers {
  readonly info: EvaluatorInfo = {
    backend: 'cpu-node',
    device: `CPU (Node ${process.version}, ${process.arch})`,
    gpu: false,
    iterativeEigenFrom: 4096,
  };
  private program?: Program;
  private readonly store = new Map<Handle, Stored>();
  private lastYield = Date.now();

  /** `interrupt` is called between rows of long ops and throws to stop them. */
  constructor(private readonly interrupt: () => void = () => {}) {}

  async run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpAnswer<K>> {
    const handler = (this as unknown as Record<string, ((a: unknown) => unknown) | undefined>)[`op_${op}`];
    if (!handler) throw new Error(`the CPU evaluator has no op '${op}'`);
    return (await handler.call(this, args)) as OpAnswer<K>;
  }

  async close(): Promise<void> {
    this.store.clear();
  }

  private async breathe(): Promise<void> {
    if (Date.now() - this.lastYield < YIELD_MS) return;
    await new Promise((r) => setImmediate(r));
    this.lastYield = Date.now();
    this.interrupt();
  }

  private get prog(): Program {
    if (!this.program) throw new Error('no program loaded');
    return this.program;
  }

  private get(h: Handle): Stored {
    const s = this.store.get(h);
    if (!s) throw new Error(`unknown handle ${h}`);
    return s;
  }

  private points(ref: RowRef): { rows: Point[]; domain: number } {
    const s = this.get(ref.of);
    if (s.kind !== 'points') throw new Error(`handle ${ref.of} holds values, not points`);
    return { rows: ref.rows ? ref.rows.map((i) => s.rows[i]!) : s.rows, domain: s.domain };
  }

  private values(ref: RowRef): { rows: Float64Array[]; r: number; c: number } {
    const s = this.get(ref.of);
    if (s.kind !== 'values') throw new Error(`handle ${ref.of} holds points, not values`);
    return { rows: ref.rows ? ref.rows.map((i) => s.rows[i]!) : s.rows, r: s.r, c: s.c };
  }

  private specs(names: readonly string[], domain = 0): SamplingSpec[] {
    const all = this.prog.domains[domain]!;
    return names.map((n) => {
      const s = all.find((x) => x.name === n);
      if (!s) throw new Error(`no given or var named '${n}'`);
      return s;
    });
  }

  op_load(a: OpArgs<'load'>): OpAnswer<'load'> {
    this.store.clear();
    this.program = new Program(a.program);
    return EMPTY;
  }

  async op_sample(a: OpArgs<'sample'>): Promise<OpAnswer<'sample'>> {
    const domain = a.domain ?? 0;
    const sampler = this.prog.samplers[domain];
    if (!sampler) throw new Error(`no domain ${domain}`);
    const rows: Point[] = [];
    for (const ids of a.streams) {
      try {
        rows.push(sampler.draw(...ids));
      } catch (e) {
        if (e instanceof SamplingError) throw new SamplingFailed(e.message);
        throw e;
      }
      await this.breathe();
    }
    this.store.set(a.out, { kind: 'points', rows, domain });
    return EMPTY;
  }

  op_fill(a: OpArgs<'fill'>): OpAnswer<'fill'> {
    const rows = Array.from({ length: a.count }, () => new Float64Array(a.r * a.c).fill(a.value));
    this.store.set(a.out, { kind: 'values', rows, r: a.r, c: a.c });
    return EMPTY;
  }

  op_scalars(a: OpArgs<'scalars'>): OpAnswer<'scalars'> {
    return { values: this.values(a.of).rows.map((x) => x[0]!) };
  }

  op_gather(a: OpArgs<'gather'>): OpAnswer<'gather'> {
    const first = this.get(a.parts[0]!.of);
    if (first.kind === 'points') {
      const rows = a.parts.flatMap((p) => this.points(p).rows);
      this.store.set(a.out, { kind: 'points', rows, domain: first.domain });
    } else {
      const rows = a.parts.flatMap((p) => this.values(p).rows);
      this.store.set(a.out, { kind: 'values', rows, r: first.r, c: first.c });
    }
    return EMPTY;
  }

  op_assign(a: OpArgs<'assign'>): OpAnswer<'assign'> {
    const base = this.points(a.base);
    const from = this.points(a.from).rows;
    const rows = base.rows.map((p, i) => {
      const out = new Map(p);
      for (const n of a.names) out.set(n, from[i]!.get(n)!);
      return out;
    });
    this.store.set(a.out, { kind: 'points', rows, domain: base.domain });
    return EMPTY;
  }

  op_directions(a: OpArgs<'directions'>): OpAnswer<'directions'> {
    const sampler = this.prog.samplers[0]!;
    const specs = this.specs(a.names);
    const n = specs.reduce((s, x) => s + x.rows * x.cols, 0);
    const rows = a.streams.map((ids) => {
      const parts = sampler.direction(ids, specs);
      const out = new Float64Array(n);
      let off = 0;
      for (const s of specs) {
        out.set(parts.get(s.name)!, off);
        off += s.rows * s.cols;
      }
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r: n, c: 1 });
    return EMPTY;
  }

  op_move(a: OpArgs<'move'>): OpAnswer<'move'> {
    const base = this.points(a.base);
    const delta = this.values(a.delta).rows;
    const specs = this.specs(a.names, base.domain);
    const rows = base.rows.map((p, i) => {
      const out = new Map(p);
      const d = delta[i]!;
      let off = 0;
      specs.forEach((spec, k) => {
        const x = p.get(spec.name)!;
        const y = x.slice();
        addScaled(y, a.scale[i]! * (a.weights?.[k] ?? 1), d.subarray(off, off + x.length), x.length);
        out.set(spec.name, a.project ? project(y, spec, (root) => this.prog.plan([root]).run(out)[0]!, x) : y);
        off += x.length;
      });
      return out;
    });
    this.store.set(a.out, { kind: 'points', rows, domain: base.domain });
    return EMPTY;
  }

  async op_evaluate(a: OpArgs<'evaluate'>): Promise<OpAnswer<'evaluate'>> {
    const points = this.points(a.points).rows;
    const vectors = a.vectors ? this.values(a.vectors).rows : undefined;
    const rows: Float64Array[] = [];
    let r = 0;
    let c = 0;
    for (let i = 0; i < points.length; i++) {
      const v = this.prog.evaluate(a.quantity, points[i]!, vectors?.[i]);
      rows.push(v.data);
      [r, c] = [v.r, v.c];
      await this.breathe();
    }
    this.store.set(a.out, { kind: 'values', rows, r, c });
    return EMPTY;
  }

  op_linear(a: OpArgs<'linear'>): OpAnswer<'linear'> {
    const terms = a.terms.map((t) => ({ ...this.values(t), coef: t.coef }));
    const { r, c } = terms[0]!;
    const count = Math.max(...terms.map((t) => t.rows.length));
    const size = r * c;
    const rows = Array.from({ length: count }, (_, i) => {
      const out = new Float64Array(size);
      for (const t of terms) {
        const x = t.rows.length === 1 ? t.rows[0]! : t.rows[i]!;
        const k = typeof t.coef === 'number' ? t.coef : t.coef[i]!;
        addScaled(out, k, x, size);
      }
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r, c });
    return EMPTY;
  }

  op_mix(a: OpArgs<'mix'>): OpAnswer<'mix'> {
    const src = this.values({ of: a.of });
    const rows = a.groups.map((group, g) => {
      const out = new Float64Array(src.r * src.c);
      group.forEach((row, j) => {
        const x = src.rows[row]!;
        const k = a.coefs[g]![j]!;
        addScaled(out, k, x, out.length);
      });
      if (a.normalize) {
        const n = euclidean(out);
        if (n > 0) for (let t = 0; t < out.length; t++) out[t]! /= n;
      }
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r: src.r, c: src.c });
    return EMPTY;
  }

  op_normalize(a: OpArgs<'normalize'>): OpAnswer<'normalize'> {
    const src = this.values(a.of);
    const values: number[] = [];
    const rows = src.rows.map((x) => {
      const n = euclidean(x);
      values.push(n);
      const out = new Float64Array(x.length);
      if (n > 0) for (let i = 0; i < x.length; i++) out[i] = x[i]! / n;
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r: src.r, c: src.c });
    return { values };
  }

  op_orthogonalize(a: OpArgs<'orthogonalize'>): OpAnswer<'orthogonalize'> {
    const src = this.values(a.of);
    const basis = a.basis.map((h) => this.values({ of: h }).rows);
    const rows = src.rows.map((x, i) => {
      const w = x.slice();
      // Twice is enough (Kahan–Parlett): one pass leaves rounding-size components behind.
      for (let pass = 0; pass < 2; pass++)
        for (const b of basis) {
          const q = b[i]!;
          let dot = 0;
          for (let t = 0; t < w.length; t++) dot += q[t]! * w[t]!;
          for (let t = 0; t < w.length; t++) w[t]! -= dot * q[t]!;
        }
      return w;
    });
    this.store.set(a.out, { kind: 'values', rows, r: src.r, c: src.c });
    return EMPTY;
  }

  async op_norms(a: OpArgs<'norms'>): Promise<OpAnswer<'norms'>> {
    const src = this.values(a.of);
    const f: Record<NormKind, (x: Float64Array) => number> = {
      norm: euclidean,
      maxAbs,
      minAbs,
      opNorm: (x) => operatorNorm(x, src.r, src.c),
    };
    const values: number[] = [];
    for (const x of src.rows) {
      values.push(f[a.kind](x));
      if (a.kind === 'opNorm') await this.breathe();
    }
    return { values };
  }

  op_distances(a: OpArgs<'distances'>): OpAnswer<'distances'> {
    const pa = this.points(a.a);
    const pb = a.b ? this.points(a.b).rows : undefined;
    const values = pa.rows.map((p, i) => {
      let s = 0;
      for (const name of a.names) {
        const x = p.get(name)!;
        const y = pb?.[i]!.get(name);
        for (let j = 0; j < x.length; j++) s += (x[j]! - (y ? y[j]! : 0)) ** 2;
      }
      return Math.sqrt(s);
    });
    return { values };
  }

  op_exceed(a: OpArgs<'exceed'>): OpAnswer<'exceed'> {
    const x = this.values(a.a).rows;
    const y = this.values(a.b).rows;
    const bound = this.values(a.bound).rows;
    return {
      values: x.map((u, i) => {
        const [v, e] = [y[i]!, bound[i]!];
        let worst = 0;
        for (let j = 0; j < u.length; j++) {
          const gap = Math.abs(u[j]! - v[j]!);
          const r = gap === 0 && e[j] === 0 ? 0 : gap / e[j]!;
          // NaN propagates (a comparison with NaN is false).
          if (!(r <= worst)) worst = r;
        }
        return worst;
      }),
    };
  }

  op_dots(a: OpArgs<'dots'>): OpAnswer<'dots'> {
    const x = this.values(a.a).rows;
    const y = this.values(a.b).rows;
    return {
      values: x.map((u, i) => {
        const v = y[i]!;
        let s = 0;
        for (let j = 0; j < u.length; j++) s += u[j]! * v[j]!;
        return s;
      }),
    };
  }

  async op_quad(a: OpArgs<'quad'>): Promise<OpAnswer<'quad'>> {
    const points = this.points(a.points).rows;
    const vectors = this.values(a.vectors).rows;
    const prog = this.prog;
    const hvp = prog.isFullHessian(a.quantity);
    const values: number[] = [];
    for (let i = 0; i < points.length; i++) {
      const v = vectors[i]!;
      const m = prog.evaluate(hvp ? { kind: 'hvp' } : a.quantity, points[i]!, v);
      let acc = 0;
      if (hvp) for (let t = 0; t < v.length; t++) acc += v[t]! * m.data[t]!;
      else if (m.r === 1 && m.c === 1) acc = m.data[0]! * v.reduce((s, x) => s + x * x, 0);
      else for (let j = 0; j < m.r; j++) for (let t = 0; t < m.r; t++) acc += v[t]! * m.data[t + j * m.r]! * v[j]!;
      values.push(acc);
      await this.breathe();
    }
    return { values };
  }

  op_apply(a: OpArgs<'apply'>): OpAnswer<'apply'> {
    const m = this.values(a.values);
    const v = this.values(a.vectors).rows;
    const rows = m.rows.map((x, i) => {
      const u = v[i]!;
      const out = new Float64Array(m.r);
      for (let j = 0; j < m.c; j++) for (let t = 0; t < m.r; t++) out[t]! += x[t + j * m.r]! * u[j]!;
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r: m.r, c: 1 });
    return EMPTY;
  }

  async op_eigen(a: OpArgs<'eigen'>): Promise<OpAnswer<'eigen'>> {
    const points = this.points(a.points).rows;
    const values: number[] = [];
    const scales: number[] = [];
    const rows: Float64Array[] = [];
    let n = 0;
    for (const p of points) {
      const up = this.prog.evaluate(a.upper, p);
      // A copy: the plan may hand back a cached or input array (a given matrix itself), which must not change.
      const m = a.lower || a.sign === -1 ? up.data.slice() : up.data;
      if (a.lower) {
        const lo = this.prog.evaluate(a.lower, p).data;
        for (let j = 0; j < m.length; j++) m[j]! -= lo[j]!;
      }
      if (a.sign === -1) for (let j = 0; j < m.length; j++) m[j] = -m[j]!;
      n = up.r;
      const scale = maxAbs(m);
      scales.push(scale);
      if (!Number.isFinite(scale)) {
        values.push(NaN);
        rows.push(new Float64Array(n));
      } else {
        // Only the wanted eigenpair: tridiagonalisation, bisection and inverse iteration (kernels).
        if (a.which === 'absmax') {
          const e = dominantEigenpair(m, n);
          values.push(e.value);
          rows.push(canonicalSign(e.vector));
        } else {
          const e = a.which === 'min' ? smallestEigenpairs(m, n, 1) : largestEigenpairs(m, n, 1);
          values.push(e.values[0]!);
          rows.push(canonicalSign(e.vectors.slice(0, n)));
        }
      }
      await this.breathe();
    }
    this.store.set(a.out, { kind: 'values', rows, r: n, c: 1 });
    return { values, scales };
  }

  op_extract(a: OpArgs<'extract'>): OpAnswer<'extract'> {
    const pts = this.points(a.of);
    const specs = this.specs(a.names, pts.domain);
    const n = specs.reduce((s, x) => s + x.rows * x.cols, 0);
    const rows = pts.rows.map((p) => {
      const out = new Float64Array(n);
      let off = 0;
      for (const s of specs) {
        out.set(p.get(s.name)!, off);
        off += s.rows * s.cols;
      }
      return out;
    });
    this.store.set(a.out, { kind: 'values', rows, r: n, c: 1 });
    return EMPTY;
  }

  op_pick(a: OpArgs<'pick'>): OpAnswer<'pick'> {
    return { values: this.values(a.of).rows.map((x, i) => x[a.entries[i]!]!) };
  }

  op_signChange(a: OpArgs<'signChange'>): OpAnswer<'signChange'> {
    const y = this.values(a.b).rows;
    return {
      values: this.values(a.a).rows.map((x, i) => {
        const z = y[i]!;
        for (let j = 0; j < x.length; j++) if ((x[j]! > 0 && z[j]! < 0) || (x[j]! < 0 && z[j]! > 0)) return j;
        return -1;
      }),
    };
  }

  op_fetch(a: OpArgs<'fetch'>): OpAnswer<'fetch'> {
    const s = this.get(a.of);
    if (s.kind === 'points') {
      const p = s.rows[a.row]!;
      return { point: Object.fromEntries([...p].map(([k, v]) => [k, Array.from(v)])) };
    }
    return { value: Array.from(s.rows[a.row]!), rows: s.r, cols: s.c };
  }

  op_release(a: OpArgs<'release'>): OpAnswer<'release'> {
    for (const h of a.handles) this.store.delete(h);
    return EMPTY;
  }

  op_stats(_: OpArgs<'stats'>): OpAnswer<'stats'> {
    return { stats: {} };
  }
}
