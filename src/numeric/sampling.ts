/**
 * Draws givens and vars from their declared constraints, and projects search iterates back onto
 * the feasible set. Every draw is a pure function of (seed, stream ids), so `--seed` reproduces it.
 * python/derivlens/sampling.py is a port of this file: same streams, same order of draws.
 */
import { Graph, InternalError } from '../symbolic/ir';
import { type WireGraph, fromWire } from '../symbolic/wire';
import { type CompiledPlan, compile } from './evaluate';
import { euclidean, gramMatrix, spectralNorm, symmetricEigen } from './linalg';
import {
  applyReflectors,
  spectralNorm as lanczosSpectralNorm,
  tridiagonalCountBelow,
  tridiagonalEigenvalues,
  tridiagonalEigenvectors,
  largestEigenpairs,
  tridiagonalize,
} from './kernels';
import type { NumericConstraint, SamplingSpec } from './protocol';
import { Stream, streamKey } from './rng';

export type SamplingFailure = 'simplex' | 'tries';

/** The domain of a spec cannot be sampled; the message is worded once here for every evaluator. */
export class SamplingError extends Error {
  constructor(
    readonly spec: SamplingSpec,
    readonly reason: SamplingFailure,
  ) {
    super(samplingFailure(spec, reason));
  }
}

export function samplingFailure(spec: SamplingSpec, reason: SamplingFailure): string {
  if (reason === 'simplex') {
    const sum = spec.constraints.find((c) => c.kind === 'sum');
    const lower = spec.constraints.filter((c) => c.kind === 'lower').map((c) => c.bound);
    return `${spec.name}: sum(${spec.name}) = ${sum?.value} is impossible with ${spec.name} >= ${Math.max(...lower)}`;
  }
  return `could not draw ${spec.name} satisfying ${spec.constraints.map((c) => describeConstraint(c, spec.name)).join(', ')} (50 tries)`;
}

/**
 * The value (column-major) of IR root `root` — the centre of a ball — at a point of which only
 * the givens drawn so far are present (a centre depends on givens only).
 */
export type CentreFn = (root: number, point: ReadonlyMap<string, Float64Array>) => Float64Array;

/** Centres evaluated from a request's IR by the TypeScript evaluator (a plan per root, compiled once). */
export function irCentre(ir: WireGraph): CentreFn {
  const nodes = fromWire(new Graph(), ir);
  const plans = new Map<number, CompiledPlan>();
  return (root, point) => {
    let plan = plans.get(root);
    if (!plan) plans.set(root, (plan = compile([nodes[root]!])));
    return plan.run(point)[0]!;
  };
}

/** Fraction of ball samples placed exactly on the boundary, where bounds are usually tight. */
const BOUNDARY_FRACTION = 0.25;
const FEASIBILITY_TOL = 1e-9;

interface Parsed {
  ball?: { norm: '2' | 'F' | 'spectral' | '1'; radius: number; center?: number };
  lower?: number;
  upper?: number;
  sum?: number;
  /** Symmetric or PSD members. */
  matrix?: 'sym' | 'psd';
}

function parse(constraints: NumericConstraint[]): Parsed {
  const p: Parsed = {};
  for (const c of constraints) {
    if (c.kind === 'normBall')
      p.ball =
        p.ball && p.ball.radius <= c.radius
          ? p.ball
          : { norm: c.norm, radius: c.radius, ...(c.center !== undefined ? { center: c.center } : {}) };
    else if (c.kind === 'lower') p.lower = Math.max(p.lower ?? -Infinity, c.bound);
    else if (c.kind === 'upper') p.upper = Math.min(p.upper ?? Infinity, c.bound);
    else if (c.kind === 'sum') p.sum = c.value;
    else p.matrix = c.kind === 'psd' || p.matrix === 'psd' ? 'psd' : 'sym';
  }
  return p;
}

export function describeConstraint(c: NumericConstraint, name: string): string {
  switch (c.kind) {
    case 'normBall':
      return `||${c.center === undefined ? name : `${name} - centre`}||_${c.norm === 'spectral' ? '2' : c.norm} <= ${c.radius}`;
    case 'sym':
    case 'psd':
      return `${name} ${c.kind}`;
    case 'lower':
      return `${name} >= ${c.bound}`;
    case 'upper':
      return `${name} <= ${c.bound}`;
    case 'sum':
      return `sum(${name}) = ${c.value}`;
  }
}

/**
 * Matrices whose smaller side is at most this are handled through their full Gram eigensystem (exact
 * to rounding, like the Python sampler's SVD; on the CPU a WebAssembly Gram matrix and one bisection
 * beat Lanczos up to about this side); larger ones by Lanczos on AᵀA products (O(m·n) per step, to
 * 1e-14) and, in projections, radial scaling. Both samplers use this same rule.
 */
export const EXACT_SPECTRAL_SIDE = 256;

/** The last top singular vector per spec: a start for matrices with none of their own. */
const warmStarts = new WeakMap<SamplingSpec, Float64Array>();
/**
 * The top singular vector of a drawn or projected matrix, keyed by its array: a search moves a
 * point a little, so the vector of the point it moved from starts Lanczos a few products from done.
 */
const topVectors = new WeakMap<Float64Array, Float64Array>();

/** Above this smaller side a warm-started Lanczos (a few O(m·n) products) beats a Gram eigensystem. */
const WARM_LANCZOS_SIDE = 64;

function spectralNormOf(x: Float64Array, spec: SamplingSpec, near?: Float64Array): number {
  const { rows, cols } = spec;
  if (rows === 1 || cols === 1) return euclidean(x);
  const k = Math.min(rows, cols);
  if (k <= WARM_LANCZOS_SIDE) return spectralNorm(x, rows, cols);
  const start = near && topVectors.get(near);
  if (k <= EXACT_SPECTRAL_SIDE && !start) {
    // The top singular vector too: it starts Lanczos when this matrix is moved.
    const { values, vectors } = largestEigenpairs(gramMatrix(x, rows, cols), k, 1);
    topVectors.set(x, vectors);
    return Math.sqrt(Math.max(0, values[0]!));
  }
  const from = start ?? warmStarts.get(spec);
  const result = lanczosSpectralNorm(x, rows, cols, { tolerance: 1e-14, ...(from ? { start: from } : {}) });
  warmStarts.set(spec, result.vector);
  topVectors.set(x, result.vector);
  return result.norm;
}

function norm(x: Float64Array, spec: SamplingSpec, kind: '2' | 'F' | 'spectral' | '1', near?: Float64Array): number {
  if (kind === '1') return x.reduce((s, v) => s + Math.abs(v), 0);
  if (kind === 'spectral') return spectralNormOf(x, spec, near);
  return euclidean(x);
}

/** A member's spec: a family's member (rows/blocks × cols), or the spec itself. */
function memberSpec(spec: SamplingSpec): SamplingSpec {
  const blocks = spec.blocks ?? 1;
  return blocks === 1 ? spec : { ...spec, rows: spec.rows / blocks, blocks: 1 };
}

/** Member i of a family stacked by rows (column-major storage). */
function getMember(x: Float64Array, spec: SamplingSpec, i: number): Float64Array {
  const blocks = spec.blocks ?? 1;
  if (blocks === 1) return x;
  const r = spec.rows / blocks;
  const out = new Float64Array(r * spec.cols);
  for (let j = 0; j < spec.cols; j++) for (let k = 0; k < r; k++) out[k + j * r] = x[i * r + k + j * spec.rows]!;
  return out;
}

function setMember(x: Float64Array, spec: SamplingSpec, i: number, m: Float64Array): void {
  const blocks = spec.blocks ?? 1;
  if (blocks === 1) {
    x.set(m);
    return;
  }
  const r = spec.rows / blocks;
  for (let j = 0; j < spec.cols; j++) for (let k = 0; k < r; k++) x[i * r + k + j * spec.rows] = m[k + j * r]!;
}

function minus(x: Float64Array, c: Float64Array | undefined): Float64Array {
  return c ? x.map((v, i) => v - c[i]!) : x;
}

/** Largest |M − Mᵀ| entry of a square n×n matrix. */
function asymmetry(x: Float64Array, n: number): number {
  let worst = 0;
  for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) worst = Math.max(worst, Math.abs(x[i + j * n]! - x[j + i * n]!));
  return worst;
}

/** Σx, in order (as `reduce` would add). */
function sum(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** Every entry ≥ bound (a NaN entry is not). */
function allAtLeast(x: Float64Array, bound: number): boolean {
  for (let i = 0; i < x.length; i++) if (!(x[i]! >= bound)) return false;
  return true;
}

/** Every entry ≤ bound (a NaN entry is not). */
function allAtMost(x: Float64Array, bound: number): boolean {
  for (let i = 0; i < x.length; i++) if (!(x[i]! <= bound)) return false;
  return true;
}

function scaleOf(x: Float64Array): number {
  return x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/**
 * Does x satisfy every constraint (up to rounding)? Returns the first violated one's text.
 * `centre(root)` gives the centre of a centred ball (required when the spec has one). `scaledInto`
 * is a ball x was just scaled into (by `intoBall`): that ball, and any no tighter in the same norm,
 * hold by construction, to far within the tolerance, so their norms are not computed again.
 */
export function violation(
  x: Float64Array,
  spec: SamplingSpec,
  centre?: (root: number) => Float64Array,
  scaledInto?: Parsed['ball'],
): string | undefined {
  const member = memberSpec(spec);
  for (let b = 0; b < (spec.blocks ?? 1); b++) {
    const m = getMember(x, spec, b);
    for (const c of spec.constraints) {
      if (
        c.kind === 'normBall' &&
        scaledInto &&
        c.norm === scaledInto.norm &&
        c.center === scaledInto.center &&
        c.radius >= scaledInto.radius
      )
        continue;
      let ok: boolean;
      if (c.kind === 'normBall') {
        const dev = minus(m, c.center === undefined ? undefined : centreValue(centre, c.center));
        ok = norm(dev, member, c.norm) <= c.radius * (1 + FEASIBILITY_TOL) + FEASIBILITY_TOL;
      } else if (c.kind === 'lower') ok = allAtLeast(m, c.bound - FEASIBILITY_TOL);
      else if (c.kind === 'upper') ok = allAtMost(m, c.bound + FEASIBILITY_TOL);
      else if (c.kind === 'sum') ok = Math.abs(sum(m) - c.value) <= FEASIBILITY_TOL * Math.max(1, Math.abs(c.value)) * m.length;
      else {
        const n = member.rows;
        const tol = FEASIBILITY_TOL * Math.max(1, scaleOf(m));
        ok = asymmetry(m, n) <= tol && (c.kind === 'sym' || symmetricEigen(m, n, true).values[0]! >= -tol * n);
      }
      if (!ok) return describeConstraint(c, spec.name);
    }
  }
  return undefined;
}

function centreValue(centre: ((root: number) => Float64Array) | undefined, root: number): Float64Array {
  if (!centre) throw new InternalError(`a centred ball (centre: IR root ${root}) needs the centre's value`);
  return centre(root);
}

/** A random symmetric (G + Gᵀ)/2 or PSD G Gᵀ/n matrix, G with standard normal entries. */
function drawStructured(kind: 'sym' | 'psd', n: number, rng: Stream): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) g[i] = rng.normal();
  const x = new Float64Array(n * n);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      if (kind === 'sym') x[i + j * n] = (g[i + j * n]! + g[j + i * n]!) / 2;
      else {
        let s = 0;
        for (let k = 0; k < n; k++) s += g[i + k * n]! * g[j + k * n]!;
        x[i + j * n] = s / n;
      }
    }
  return x;
}

/** Rescales x (a draw centred at 0) into the ball: a quarter on the boundary, a quarter uniform in radius, half uniform in volume. */
function intoBall(x: Float64Array, spec: SamplingSpec, ball: NonNullable<Parsed['ball']>, rng: Stream): void {
  const { norm: kind, radius } = ball;
  const mode = rng.uniform();
  const dims = kind === 'spectral' ? Math.min(spec.rows, spec.cols) : x.length;
  const t = mode < BOUNDARY_FRACTION ? 1 : mode < 2 * BOUNDARY_FRACTION ? rng.uniform() : rng.uniform() ** (1 / dims);
  const current = norm(x, spec, kind);
  const scale = current > 0 ? (radius * t) / current : 0;
  for (let i = 0; i < x.length; i++) x[i]! *= scale;
}

/** One member-shaped draw; `centre` is the ball's centre value when it has one. */
function drawOnce(spec: SamplingSpec, p: Parsed, rng: Stream, centre?: Float64Array): Float64Array {
  const x = drawDeviation(spec, p, rng);
  if (centre) for (let i = 0; i < x.length; i++) x[i]! += centre[i]!;
  return x;
}

function drawDeviation(spec: SamplingSpec, p: Parsed, rng: Stream): Float64Array {
  const size = spec.rows * spec.cols;
  const x = new Float64Array(size);
  if (p.sum !== undefined) {
    if (p.lower !== undefined) {
      // Uniform on the simplex {x >= lo, Σx = s}: lo + (s − n·lo)·Dirichlet(1).
      const mass = p.sum - size * p.lower;
      if (mass < 0) throw new SamplingError(spec, 'simplex');
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
  if (p.matrix) {
    // Scaling keeps symmetry and semidefiniteness, so a ball is reached by rescaling too.
    const m = drawStructured(p.matrix, spec.rows, rng);
    if (p.ball) intoBall(m, spec, p.ball, rng);
    return m;
  }
  if (p.ball) {
    const kind = p.ball.norm;
    for (let i = 0; i < size; i++) x[i] = kind === '1' ? rng.exponential() * (rng.uniform() < 0.5 ? -1 : 1) : rng.normal();
    intoBall(x, spec, p.ball, rng);
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

/**
 * Projection (or a feasible retraction) onto the constraint set, used by local searches; per member
 * for a family. `centre(root)` gives the centre of a centred ball (required when the spec has one).
 */
export function project(
  x: Float64Array,
  spec: SamplingSpec,
  centre?: (root: number) => Float64Array,
  /** The value x was moved from, when it is one (a warm start for its spectral norm). */
  near?: Float64Array,
): Float64Array {
  const p = parse(spec.constraints);
  const blocks = spec.blocks ?? 1;
  if (blocks === 1) return projectMember(x, spec, p, centre, near);
  const member = memberSpec(spec);
  const out = x.slice();
  for (let b = 0; b < blocks; b++) setMember(out, spec, b, projectMember(getMember(x, spec, b), member, p, centre));
  return out;
}

function projectMember(
  x: Float64Array,
  spec: SamplingSpec,
  p: Parsed,
  centre?: (root: number) => Float64Array,
  near?: Float64Array,
): Float64Array {
  if (p.sum !== undefined && p.lower !== undefined) return projectSimplex(x, p.sum, p.lower);
  // The steps below work in place, on a copy: x may be a stored point's own value.
  const inPlace = p.sum !== undefined || p.lower !== undefined || p.upper !== undefined || p.matrix !== undefined;
  const y = inPlace ? x.slice() : x;
  if (p.sum !== undefined) {
    const shift = (p.sum - sum(y)) / y.length;
    for (let i = 0; i < y.length; i++) y[i]! += shift;
  }
  if (p.lower !== undefined || p.upper !== undefined) {
    for (let i = 0; i < y.length; i++) y[i] = Math.min(p.upper ?? Infinity, Math.max(p.lower ?? -Infinity, y[i]!));
  }
  if (p.matrix) projectStructured(y, spec.rows, p.matrix);
  if (p.ball) {
    // Around a centre c: project x − c onto the ball at 0, then add c back.
    if (p.ball.center === undefined) return projectBall(y, spec, p.ball.norm, p.ball.radius, near);
    const c = centreValue(centre, p.ball.center);
    const dev = projectBall(minus(y, c), spec, p.ball.norm, p.ball.radius);
    return dev.map((v, i) => c[i]! + v);
  }
  return y;
}

/** In place: the symmetric part, and for PSD its negative eigenvalues set to 0 (the nearest PSD matrix in ‖·‖_F). */
function projectStructured(y: Float64Array, n: number, kind: 'sym' | 'psd'): void {
  for (let j = 0; j < n; j++)
    for (let i = 0; i < j; i++) {
      const v = (y[i + j * n]! + y[j + i * n]!) / 2;
      y[i + j * n] = v;
      y[j + i * n] = v;
    }
  if (kind === 'sym') return;
  const { values, vectors } = symmetricEigen(y, n);
  if (values[0]! >= 0) return;
  y.fill(0);
  for (let k = 0; k < n; k++) {
    const lam = values[k]!;
    if (lam <= 0) continue;
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) y[i + j * n]! += lam * vectors[i + k * n]! * vectors[j + k * n]!;
  }
}

/**
 * Euclidean projection onto a norm ball, so that searches follow the ball's geometry: radial
 * scaling for the 2 and Frobenius norms, clipping the singular values at r for the spectral norm
 * (A ← A V diag(min(1, r/σ)) Vᵀ, from the eigenpairs of the smaller Gram matrix), and soft
 * thresholding for the 1-norm.
 */
function projectBall(
  y: Float64Array,
  spec: SamplingSpec,
  kind: '2' | 'F' | 'spectral' | '1',
  radius: number,
  near?: Float64Array,
): Float64Array {
  const { rows, cols } = spec;
  if (kind !== 'spectral' || rows === 1 || cols === 1 || Math.min(rows, cols) > EXACT_SPECTRAL_SIDE) {
    const current = norm(y, spec, kind, near);
    if (!(current > radius)) return y;
    if (kind === '1') return projectL1(y, radius);
    const scaled = y.map((v) => (v * radius) / current);
    // Scaling keeps the singular vectors.
    const top = topVectors.get(y);
    if (top) topVectors.set(scaled, top);
    return scaled;
  }
  // Feasible already (the common case in a search): a warm-started norm, and no eigensystem, suffices.
  if (Math.min(rows, cols) > WARM_LANCZOS_SIDE && !(norm(y, spec, kind, near) > radius)) return y;
  // Only the singular values above r change: A ← A − Σ_{σ>r} (1 − r/σ)·A v vᵀ (v on the smaller side).
  const k = Math.min(rows, cols);
  const onCols = cols <= rows;
  const gram = gramMatrix(y, rows, cols);
  const t = tridiagonalize(gram, k);
  // Only the eigenvalues of the Gram matrix above r² are needed; a Sturm count says how many.
  const from = tridiagonalCountBelow(t, radius * radius);
  if (from >= k || !t.d.every(Number.isFinite)) return y;
  const values = tridiagonalEigenvalues(t, from, k);
  const m = values.length;
  const v = applyReflectors(t, tridiagonalEigenvectors(t, values), m);
  // W = A V (onCols) or Aᵀ V: rows×m or cols×m; then A −= W diag(1 − r/σ) Vᵀ (or its transpose).
  const out = y.slice();
  const long = onCols ? rows : cols;
  const w = new Float64Array(long * m);
  for (let t = 0; t < m; t++)
    for (let j = 0; j < k; j++) {
      const vj = v[j + t * k]!;
      if (vj === 0) continue;
      for (let i = 0; i < long; i++) w[i + t * long]! += (onCols ? y[i + j * rows]! : y[j + i * rows]!) * vj;
    }
  for (let t = 0; t < m; t++) {
    const shrink = 1 - radius / Math.sqrt(values[t]!);
    for (let j = 0; j < k; j++) {
      const c = shrink * v[j + t * k]!;
      for (let i = 0; i < long; i++) {
        const delta = c * w[i + t * long]!;
        if (onCols) out[i + j * rows]! -= delta;
        else out[j + i * rows]! -= delta;
      }
    }
  }
  return out;
}

/** Euclidean projection onto {‖x‖₁ ≤ r}: soft thresholding at the θ that makes ‖x‖₁ = r (sort-based). */
function projectL1(y: Float64Array, r: number): Float64Array {
  const a = Array.from(y, Math.abs).sort((p, q) => q - p);
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < a.length; k++) {
    cum += a[k]!;
    const t = (cum - r) / (k + 1);
    if (a[k]! - t > 0) theta = t;
  }
  return y.map((v) => Math.sign(v) * Math.max(0, Math.abs(v) - theta));
}

/** Euclidean projection onto {x >= lo, Σx = s} (sort-based). */
function projectSimplex(y: Float64Array, s: number, lo: number): Float64Array {
  const n = y.length;
  const mass = s - n * lo;
  // Ascending (a typed array sorts numerically without a comparator), read from the top.
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = y[i]! - lo;
  v.sort();
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < n; k++) {
    const top = v[n - 1 - k]!;
    cum += top;
    const t = (cum - mass) / (k + 1);
    if (top - t > 0) theta = t;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.max(0, y[i]! - lo - theta);
  return out;
}

export class Sampler {
  private readonly parsed: Parsed[];

  constructor(
    readonly specs: readonly SamplingSpec[],
    private readonly seed: number,
    /** Evaluates the centres of centred balls (not needed when no spec has one). */
    private readonly centre?: CentreFn,
  ) {
    this.parsed = specs.map((s) => parse(s.constraints));
  }

  /** The centres of centred balls at a point: `centreAt(point)(root)`. */
  centreAt(point: ReadonlyMap<string, Float64Array>): (root: number) => Float64Array {
    return (root) => centreValue(this.centre && ((r) => this.centre!(r, point)), root);
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
      const p = this.parsed[k]!;
      const centres = this.centreAt(out);
      const centre = p.ball?.center === undefined ? undefined : centres(p.ball.center);
      const member = memberSpec(spec);
      const x = new Float64Array(spec.rows * spec.cols);
      // Members of a family are drawn one after the other from the same stream.
      for (let b = 0; b < (spec.blocks ?? 1); b++) {
        let ok = false;
        for (let attempt = 0; attempt < 50 && !ok; attempt++) {
          const m = drawOnce(member, p, rng, centre);
          // drawDeviation scales every draw into the ball, except on a hyperplane (Σx = s), which it
          // keeps; a centred ball is checked again, since adding the centre back rounds.
          const scaledInto = p.sum === undefined && p.ball?.center === undefined ? p.ball : undefined;
          if (violation(m, member, centres, scaledInto) === undefined) {
            setMember(x, spec, b, m);
            ok = true;
          }
        }
        if (!ok) throw new SamplingError(spec, 'tries');
      }
      out.set(spec.name, x);
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
      total += d.length; // the squared norm: every entry is ±1
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
