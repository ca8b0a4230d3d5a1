/**
 * Draws givens and vars from their declared constraints, and projects search iterates back onto
 * the feasible set. Every draw is a pure function of (seed, stream ids), so `--seed` reproduces it.
 */
import { euclidean, spectralNorm } from '../math/linalg';
import type { NumericConstraint, SamplingSpec } from './protocol';
import { Stream, streamKey } from './rng';

export class SamplingError extends Error {}

/** Fraction of ball samples placed exactly on the boundary, where bounds are usually tight. */
const BOUNDARY_FRACTION = 0.25;
const FEASIBILITY_TOL = 1e-9;

interface Parsed {
  ball?: { norm: '2' | 'F' | 'spectral' | '1'; radius: number };
  lower?: number;
  upper?: number;
  sum?: number;
}

function parse(constraints: NumericConstraint[]): Parsed {
  const p: Parsed = {};
  for (const c of constraints) {
    if (c.kind === 'normBall') p.ball = p.ball && p.ball.radius <= c.radius ? p.ball : { norm: c.norm, radius: c.radius };
    else if (c.kind === 'lower') p.lower = Math.max(p.lower ?? -Infinity, c.bound);
    else if (c.kind === 'upper') p.upper = Math.min(p.upper ?? Infinity, c.bound);
    else p.sum = c.value;
  }
  return p;
}

export function describeConstraint(c: NumericConstraint, name: string): string {
  switch (c.kind) {
    case 'normBall':
      return `||${name}||_${c.norm === 'spectral' ? '2' : c.norm} <= ${c.radius}`;
    case 'lower':
      return `${name} >= ${c.bound}`;
    case 'upper':
      return `${name} <= ${c.bound}`;
    case 'sum':
      return `sum(${name}) = ${c.value}`;
  }
}

function norm(x: Float64Array, spec: SamplingSpec, kind: '2' | 'F' | 'spectral' | '1'): number {
  if (kind === '1') return x.reduce((s, v) => s + Math.abs(v), 0);
  if (kind === 'spectral') return spectralNorm(x, spec.rows, spec.cols);
  return euclidean(x);
}

/** Does x satisfy every constraint (up to rounding)? Returns the first violated one's text. */
export function violation(x: Float64Array, spec: SamplingSpec): string | undefined {
  for (const c of spec.constraints) {
    const ok =
      c.kind === 'normBall'
        ? norm(x, spec, c.norm) <= c.radius * (1 + FEASIBILITY_TOL) + FEASIBILITY_TOL
        : c.kind === 'lower'
          ? x.every((v) => v >= c.bound - FEASIBILITY_TOL)
          : c.kind === 'upper'
            ? x.every((v) => v <= c.bound + FEASIBILITY_TOL)
            : Math.abs(x.reduce((s, v) => s + v, 0) - c.value) <= FEASIBILITY_TOL * Math.max(1, Math.abs(c.value)) * x.length;
    if (!ok) return describeConstraint(c, spec.name);
  }
  return undefined;
}

function drawOnce(spec: SamplingSpec, p: Parsed, rng: Stream): Float64Array {
  const size = spec.rows * spec.cols;
  const x = new Float64Array(size);
  if (p.sum !== undefined) {
    if (p.lower !== undefined) {
      // Uniform on the simplex {x >= lo, Σx = s}: lo + (s − n·lo)·Dirichlet(1).
      const mass = p.sum - size * p.lower;
      if (mass < 0) throw new SamplingError(`${spec.name}: sum(${spec.name}) = ${p.sum} is impossible with ${spec.name} >= ${p.lower}`);
      let total = 0;
      for (let i = 0; i < size; i++) total += x[i] = rng.exponential();
      for (let i = 0; i < size; i++) x[i] = p.lower + (mass * x[i]!) / total;
      return x;
    }
    let total = 0;
    for (let i = 0; i < size; i++) total += x[i] = rng.normal();
    for (let i = 0; i < size; i++) x[i]! += (p.sum - total) / size;
    return x;
  }
  if (p.ball) {
    const { norm: kind, radius } = p.ball;
    for (let i = 0; i < size; i++) x[i] = kind === '1' ? rng.exponential() * (rng.uniform() < 0.5 ? -1 : 1) : rng.normal();
    // A quarter on the boundary, a quarter uniform in radius (small data too), half uniform in volume.
    const mode = rng.uniform();
    const dims = kind === 'spectral' ? Math.min(spec.rows, spec.cols) : size;
    const t = mode < BOUNDARY_FRACTION ? 1 : mode < 2 * BOUNDARY_FRACTION ? rng.uniform() : rng.uniform() ** (1 / dims);
    const current = norm(x, spec, kind);
    const scale = current > 0 ? (radius * t) / current : 0;
    for (let i = 0; i < size; i++) x[i]! *= scale;
    return x;
  }
  for (let i = 0; i < size; i++) {
    if (p.lower !== undefined && p.upper !== undefined) x[i] = p.lower + (p.upper - p.lower) * rng.uniform();
    else if (p.lower !== undefined) x[i] = p.lower + rng.exponential();
    else if (p.upper !== undefined) x[i] = p.upper - rng.exponential();
    else x[i] = rng.normal();
  }
  return x;
}

/** Projection (or a feasible retraction) onto the constraint set, used by local searches. */
export function project(x: Float64Array, spec: SamplingSpec): Float64Array {
  const p = parse(spec.constraints);
  const y = Float64Array.from(x);
  if (p.sum !== undefined && p.lower !== undefined) return projectSimplex(y, p.sum, p.lower);
  if (p.sum !== undefined) {
    const shift = (p.sum - y.reduce((s, v) => s + v, 0)) / y.length;
    for (let i = 0; i < y.length; i++) y[i]! += shift;
  }
  if (p.lower !== undefined || p.upper !== undefined) {
    for (let i = 0; i < y.length; i++) y[i] = Math.min(p.upper ?? Infinity, Math.max(p.lower ?? -Infinity, y[i]!));
  }
  if (p.ball) {
    const current = norm(y, spec, p.ball.norm);
    if (current > p.ball.radius) for (let i = 0; i < y.length; i++) y[i]! *= p.ball.radius / current;
  }
  return y;
}

/** Euclidean projection onto {x >= lo, Σx = s} (sort-based). */
function projectSimplex(y: Float64Array, s: number, lo: number): Float64Array {
  const n = y.length;
  const mass = s - n * lo;
  const v = Array.from(y, (t) => t - lo).sort((a, b) => b - a);
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < n; k++) {
    cum += v[k]!;
    const t = (cum - mass) / (k + 1);
    if (v[k]! - t > 0) theta = t;
  }
  return y.map((t) => lo + Math.max(0, t - lo - theta));
}

export class Sampler {
  private readonly parsed: Parsed[];

  constructor(
    readonly specs: readonly SamplingSpec[],
    private readonly seed: number,
  ) {
    this.parsed = specs.map((s) => parse(s.constraints));
  }

  /** One full point (givens and vars), for the stream identified by ids. */
  draw(...ids: number[]): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    this.specs.forEach((spec, k) => {
      if (spec.fixed) {
        out.set(spec.name, Float64Array.from(spec.fixed));
        return;
      }
      const rng = new Stream(streamKey(this.seed, ...ids, k));
      for (let attempt = 0; attempt < 50; attempt++) {
        const x = drawOnce(spec, this.parsed[k]!, rng);
        if (violation(x, spec) === undefined) {
          out.set(spec.name, x);
          return;
        }
      }
      throw new SamplingError(
        `could not draw ${spec.name} satisfying ${spec.constraints.map((c) => describeConstraint(c, spec.name)).join(', ')} (50 tries)`,
      );
    });
    return out;
  }

  /** A random ±1 direction over the given specs (the vars by default), scaled to unit total norm. */
  direction(ids: number[], specs: readonly SamplingSpec[] = this.vars): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    let total = 0;
    this.specs.forEach((spec, k) => {
      if (!specs.includes(spec)) return;
      // Rademacher (±1) entries, 32 per draw: searches over data move thousands of coordinates.
      const rng = new Stream(streamKey(this.seed, ...ids, k));
      const d = new Float64Array(spec.rows * spec.cols);
      for (let i = 0; i < d.length; i += 32) {
        const b = rng.bits();
        for (let j = 0; j < 32 && i + j < d.length; j++) d[i + j] = (b >>> j) & 1 ? 1 : -1;
      }
      total += d.reduce((s, v) => s + v * v, 0);
      out.set(spec.name, d);
    });
    const scale = total > 0 ? 1 / Math.sqrt(total) : 0;
    for (const d of out.values()) for (let i = 0; i < d.length; i++) d[i]! *= scale;
    return out;
  }

  get vars(): SamplingSpec[] {
    return this.specs.filter((s) => s.role === 'var');
  }
}
