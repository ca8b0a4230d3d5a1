/**
 * What every claim algorithm works with: typed calls into the evaluator under fresh handles, the
 * claim's specs and budget, progress and the time limit, and the two ways a claim ends early.
 */
import { toJson } from '../data';
import type { EvalQuantity, Evaluator, Handle, NormKind, OpAnswer, OpArgs, OpName, Quantity, RowRef } from '../evaluator/api';
import type { ClaimResult, JsonValue, PointJson, SamplingSpec } from '../protocol';
import type { BudgetPlan } from './budget';

/** Raised inside a claim when its wall-time budget runs out. */
export class OutOfTime extends Error {}

/** A non-finite value: where it was seen (the claim is inconclusive, never decided by it). */
export class NonFinite extends Error {}

/** Stream ids under a claim's index: what each random draw is for. */
export const STREAM = { sample: 0, search: 1, pair: 2, pairOther: 3, fd: 4, local: 5, kink: 6 } as const;

export function nonFiniteWord(x: number): string {
  return Number.isNaN(x) ? 'NaN' : 'Inf';
}

function shape(rows: number, cols: number) {
  return { rows: { value: rows, factors: {}, coef: rows }, cols: { value: cols, factors: {}, coef: cols } };
}

/** Typed, handle-allocating access to an evaluator; every handle made is released by `releaseAll`. */
export class Arrays {
  private next = 1;
  private readonly owned: Handle[] = [];

  constructor(readonly evaluator: Evaluator) {}

  private fresh(): Handle {
    const h = this.next++;
    this.owned.push(h);
    return h;
  }

  private call<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpAnswer<K>> {
    return this.evaluator.run(op, args);
  }

  private async make<K extends OpName>(op: K, args: Omit<OpArgs<K>, 'out'>): Promise<Handle> {
    const out = this.fresh();
    await this.call(op, { ...args, out } as OpArgs<K>);
    return out;
  }

  sample(streams: number[][], domain?: number): Promise<Handle> {
    return this.make('sample', { streams, ...(domain ? { domain } : {}) });
  }
  fill(count: number, r: number, c: number, value: number): Promise<Handle> {
    return this.make('fill', { count, r, c, value });
  }
  gather(parts: RowRef[]): Promise<Handle> {
    return this.make('gather', { parts });
  }
  assign(base: RowRef, from: RowRef, names: string[]): Promise<Handle> {
    return this.make('assign', { base, from, names });
  }
  directions(streams: number[][], names: string[]): Promise<Handle> {
    return this.make('directions', { streams, names });
  }
  move(base: RowRef, delta: RowRef, scale: number[], names: string[], project: boolean, weights?: number[]): Promise<Handle> {
    return this.make('move', { base, delta, scale, names, project, ...(weights ? { weights } : {}) });
  }
  evaluate(points: RowRef, quantity: EvalQuantity, vectors?: RowRef): Promise<Handle> {
    return this.make('evaluate', { points, quantity, ...(vectors ? { vectors } : {}) });
  }
  linear(terms: (RowRef & { coef: number | number[] })[]): Promise<Handle> {
    return this.make('linear', { terms });
  }
  mix(of: Handle, groups: number[][], coefs: number[][], normalize = false): Promise<Handle> {
    return this.make('mix', { of, groups, coefs, normalize });
  }
  orthogonalize(of: RowRef, basis: Handle[]): Promise<Handle> {
    return this.make('orthogonalize', { of, basis });
  }
  apply(values: RowRef, vectors: RowRef): Promise<Handle> {
    return this.make('apply', { values, vectors });
  }
  async normalize(of: RowRef): Promise<{ out: Handle; norms: number[] }> {
    const out = this.fresh();
    const r = await this.call('normalize', { out, of });
    return { out, norms: r.values };
  }
  async eigen(points: RowRef, upper: Quantity, lower: Quantity | undefined, sign: 1 | -1, which: 'min' | 'max' | 'absmax') {
    const out = this.fresh();
    const r = await this.call('eigen', { out, points, upper, ...(lower ? { lower } : {}), sign, which });
    return { vectors: out, values: r.values, scales: r.scales };
  }
  extract(of: RowRef, names: string[]): Promise<Handle> {
    return this.make('extract', { of, names });
  }
  async pick(of: RowRef, entries: number[]): Promise<number[]> {
    return (await this.call('pick', { of, entries })).values;
  }
  async signChange(a: RowRef, b: RowRef): Promise<number[]> {
    return (await this.call('signChange', { a, b })).values;
  }
  async scalars(of: RowRef): Promise<number[]> {
    return (await this.call('scalars', { of })).values;
  }
  async norms(of: RowRef, kind: NormKind): Promise<number[]> {
    return (await this.call('norms', { of, kind })).values;
  }
  async distances(a: RowRef, b: RowRef | undefined, names: string[]): Promise<number[]> {
    return (await this.call('distances', { a, ...(b ? { b } : {}), names })).values;
  }
  /** Per row: max |a − b| / bound over the entries. */
  async exceed(a: RowRef, b: RowRef, bound: RowRef): Promise<number[]> {
    return (await this.call('exceed', { a, b, bound })).values;
  }
  async dots(a: RowRef, b: RowRef): Promise<number[]> {
    return (await this.call('dots', { a, b })).values;
  }
  async quad(points: RowRef, quantity: Quantity, vectors: RowRef): Promise<number[]> {
    return (await this.call('quad', { points, quantity, vectors })).values;
  }
  /** A scalar quantity at each point. */
  async values(points: RowRef, quantity: EvalQuantity): Promise<number[]> {
    const h = await this.evaluate(points, quantity);
    const v = await this.scalars({ of: h });
    await this.release([h]);
    return v;
  }
  async fetchPoint(of: Handle, row: number): Promise<Record<string, Float64Array>> {
    const r = await this.call('fetch', { of, row });
    return Object.fromEntries(Object.entries(r.point ?? {}).map(([k, v]) => [k, Float64Array.from(v)]));
  }
  async fetchValue(of: Handle, row: number): Promise<{ data: Float64Array; rows: number; cols: number }> {
    const r = await this.call('fetch', { of, row });
    return { data: Float64Array.from(r.value ?? []), rows: r.rows ?? 0, cols: r.cols ?? 0 };
  }
  async release(handles: Handle[]): Promise<void> {
    if (handles.length) await this.call('release', { handles });
  }
  async releaseAll(): Promise<void> {
    const all = this.owned.splice(0);
    await this.release(all);
  }
}

/**
 * Samples that cannot decide anything: a NaN or ±Infinity in the loss, a side, a matrix or a bound
 * there. They are counted and the first reason kept. A refutation may come from any usable sample,
 * but a claim with fewer than half its samples usable is inconclusive, saying where and why: most
 * of its domain is outside the function's.
 */
export class Unusable {
  count = 0;
  first?: string;

  add(why: string): void {
    this.count++;
    this.first ??= why;
  }

  evidence(): Record<string, number | string> {
    return this.count ? { unusable: this.count, firstUnusable: this.first! } : {};
  }

  /** For a summary: how many samples were set aside, and the first reason. */
  note(): string {
    return this.count ? `; ${this.count} sample${this.count === 1 ? '' : 's'} unusable (${this.first})` : '';
  }

  /** Too few usable samples to say "holds" (fewer than half of them). */
  tooMany(total: number): boolean {
    return 2 * this.count > total;
  }

  inconclusive(env: ClaimEnv, partial: Record<string, number | string>, total: number): ClaimResult {
    const more = this.count > 1 ? ` (and ${this.count - 1} more)` : '';
    const usable = total - this.count;
    return {
      index: env.index,
      verdict: 'inconclusive',
      summary: `${usable === 0 ? 'no usable sample' : `only ${usable} of ${total} samples usable`}: ${this.first}${more}`,
      evidence: { ...partial, reason: this.first ?? 'no samples', unusable: this.count, seed: env.seed },
    };
  }
}

/** Everything one claim's algorithm needs. */
export class ClaimEnv {
  readonly varNames: string[];
  /** What adversarial searches may move: the vars and every given not fixed by --data. */
  readonly searchNames: string[];
  readonly searchGivens: string[];
  readonly dimension: number;
  readonly searchSize: number;

  constructor(
    readonly arrays: Arrays,
    readonly index: number,
    readonly specs: readonly SamplingSpec[],
    /** Index of the claim's own domain in the evaluator's program (0: the file's). */
    readonly domain: number,
    readonly budget: BudgetPlan,
    /** Called as work advances; yields now and then (so cancellation arrives) and throws to cancel. */
    private readonly progress: (done: number, total: number) => Promise<void>,
    private readonly deadline: number,
    readonly options: { lanczosMinDimension: number },
    readonly seed: number,
  ) {
    const size = (s: SamplingSpec): number => s.rows * s.cols;
    const vars = specs.filter((s) => s.role === 'var');
    const search = specs.filter((s) => s.role === 'var' || !s.fixed);
    this.varNames = vars.map((s) => s.name);
    this.searchNames = search.map((s) => s.name);
    this.searchGivens = search.filter((s) => s.role === 'given').map((s) => s.name);
    this.dimension = vars.reduce((a, s) => a + size(s), 0);
    this.searchSize = search.reduce((a, s) => a + size(s), 0);
  }

  /** Checks the time limit and reports progress. */
  async tick(done: number, total: number): Promise<void> {
    if (Date.now() > this.deadline) throw new OutOfTime();
    await this.progress(done, total);
  }

  sample(stream: number, count: number, offset = 0): Promise<Handle> {
    return this.arrays.sample(
      Array.from({ length: count }, (_, i) => [this.index, stream, offset + i]),
      this.domain,
    );
  }

  /** A point as JSON (vectors lists, matrices row-major rows), ready for `derivlens eval --data/--at`. */
  async pointJson(of: Handle, row: number, varsOnly = false): Promise<PointJson> {
    const p = await this.arrays.fetchPoint(of, row);
    const out: PointJson = {};
    for (const s of this.specs) if (!varsOnly || s.role === 'var') out[s.name] = toJson(p[s.name]!, shape(s.rows, s.cols));
    return out;
  }

  /**
   * Both sides of an identity at one point, in one orientation: a side stacked as a vector (a
   * gradient quantity of a matrix var is vec(∇)) takes the other side's matrix shape, so entries
   * compare side by side; `shape` is that common shape [rows, cols].
   */
  async sidesJson(lhs: Handle, rhs: Handle, row: number): Promise<{ lhs: JsonValue; rhs: JsonValue; shape: [number, number] }> {
    const [l, r] = [await this.arrays.fetchValue(lhs, row), await this.arrays.fetchValue(rhs, row)];
    const isMatrix = (v: { rows: number; cols: number }): boolean => v.rows > 1 && v.cols > 1;
    const target = isMatrix(r) ? r : l;
    const as = (v: { data: Float64Array; rows: number; cols: number }): JsonValue =>
      v.data.length === target.rows * target.cols ? toJson(v.data, shape(target.rows, target.cols)) : toJson(v.data, shape(v.rows, v.cols));
    return { lhs: as(l), rhs: as(r), shape: [target.rows, target.cols] };
  }
}

/**
 * Indices sorted by key, NaN last. Keys within `tolerance` of each other count as equal and keep
 * their order, so rounding-level differences between evaluators never reorder restarts.
 */
export function argsort(keys: readonly number[], descending = false, tolerance = 0): number[] {
  const key = (i: number): number => {
    const k = keys[i]!;
    return Number.isNaN(k) ? Infinity : descending ? -k : k;
  };
  return keys
    .map((_, i) => i)
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return Math.abs(ka - kb) <= tolerance || ka === kb ? a - b : ka - kb;
    });
}

/** Eigenvectors are defined up to sign: report the one whose largest entry is positive. */
export function canonicalSign(v: Float64Array): number[] {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[k]!)) k = i;
  return Array.from(v, (x) => (v[k]! < 0 ? -x : x));
}

export function quantityName(q: Quantity): string {
  return q.kind === 'expr' ? 'expression' : q.kind === 'grad' ? 'gradient' : 'Hessian';
}
