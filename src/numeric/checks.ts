/**
 * The claim checks. Each returns one verdict with the evidence behind it; a refutation carries the
 * concrete point. NaN/Inf is never agreement: it makes the claim inconclusive, naming where it
 * appeared. Search steps are deterministic given the seed.
 */
import { toJson } from './data';
import { centralColumn, fdJacobian } from './fd';
import { allFinite, euclidean, spectralNorm, symmetricEigen } from '../math/linalg';
import { type Model, type Point, type Value } from './model';
import type { Budget, ClaimResult, Counterexample, JsonValue, Plot, PointJson, Quantity, SamplingSpec, WireClaim } from './protocol';
import { Sampler, project } from './sampling';

export interface BudgetPlan {
  /** Sample points for identities, eigenvalue and inequality searches. */
  points: number;
  /** Local searches started from the worst samples. */
  restarts: number;
  /** Steps per local search. */
  steps: number;
  /** Point pairs for Lipschitz ratios. */
  pairs: number;
}

const MAX_RESTARTS = 16;

export function budgetPlan(b: Budget): BudgetPlan {
  // Local searches grow with the points up to 16: past that, more samples find more than more descents.
  if (typeof b === 'number') return { points: b, restarts: Math.min(MAX_RESTARTS, Math.max(2, Math.ceil(b / 8))), steps: 25, pairs: 2 * b };
  switch (b) {
    case 'quick':
      return { points: 8, restarts: 2, steps: 10, pairs: 16 };
    case 'default':
      return { points: 32, restarts: 4, steps: 25, pairs: 64 };
    case 'thorough':
      return { points: 128, restarts: 8, steps: 60, pairs: 256 };
  }
}

export interface CheckEnv {
  model: Model;
  sampler: Sampler;
  budget: BudgetPlan;
  /** Called as work advances; yields to the event loop now and then (so cancellation arrives) and throws to cancel. */
  tick: (done: number, total: number) => Promise<void>;
  /** ms timestamp after which the claim stops and reports what it has. */
  deadline: number;
}

/** Raised inside a check when its wall-time budget runs out. */
class OutOfTime extends Error {}

/** A non-finite value: where it was seen. */
class NonFinite extends Error {}

const STREAM_SAMPLE = 0;
const STREAM_SEARCH = 1;
const STREAM_PAIR = 2;
const STREAM_PAIR_OTHER = 3;

export function pointJson(model: Model, point: Point, varsOnly = false): PointJson {
  const out: PointJson = {};
  for (const spec of model.params.sampling)
    if (!varsOnly || spec.role === 'var')
      out[spec.name] = toJson(point.get(spec.name)!, {
        rows: { value: spec.rows, factors: {}, coef: spec.rows },
        cols: { value: spec.cols, factors: {}, coef: spec.cols },
      });
  return out;
}

function valueJson(v: Value): JsonValue {
  return toJson(v.data, { rows: { value: v.rows, factors: {}, coef: v.rows }, cols: { value: v.cols, factors: {}, coef: v.cols } });
}

function quantityName(q: Quantity): string {
  return q.kind === 'expr' ? 'expression' : q.kind === 'grad' ? 'gradient' : 'Hessian';
}

function finite(v: Value, what: string, where: string): Value {
  if (!allFinite(v.data)) throw new NonFinite(`${v.data.some(Number.isNaN) ? 'NaN' : 'Inf'} in ${what} at ${where}`);
  return v;
}

/**
 * The loss must be finite wherever a claim is checked: a NaN loss means the sampled domain leaves
 * the function's domain (log of a negative, say), and whatever the claim's own formula gives there
 * says nothing about L.
 */
function requireDefined(model: Model, point: Point, where: string): void {
  const l = model.loss(point);
  if (!Number.isFinite(l))
    throw new NonFinite(`${Number.isNaN(l) ? 'NaN' : 'Inf'} in the loss at ${where}: the domain includes points where L is undefined`);
}

function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** Operator norm of a value: |s| for scalars, ‖v‖₂ for vectors, spectral norm for matrices. */
function operatorNorm(v: Value): number {
  if (v.rows === 1 || v.cols === 1) return euclidean(v.data);
  if (v.rows === v.cols) {
    const vals = symmetricEigen(v.data, v.rows).values;
    const sym = isSymmetric(v);
    if (sym) return Math.max(Math.abs(vals[0]!), Math.abs(vals[vals.length - 1]!));
  }
  return spectralNorm(v.data, v.rows, v.cols);
}

function isSymmetric(v: Value): boolean {
  const n = v.rows;
  let asym = 0;
  let size = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      asym = Math.max(asym, Math.abs(v.data[i + j * n]! - v.data[j + i * n]!));
      size = Math.max(size, Math.abs(v.data[i + j * n]!));
    }
  return asym <= 1e-12 * Math.max(size, 1e-300);
}

function checkTime(env: CheckEnv): void {
  if (Date.now() > env.deadline) throw new OutOfTime();
}

export async function runClaim(env: CheckEnv, claim: WireClaim): Promise<ClaimResult> {
  const partial: Record<string, number | string> = {};
  try {
    switch (claim.kind) {
      case 'identity':
        return await identity(env, claim.index, claim.lhs, claim.rhs, partial);
      case 'definite': {
        const sign = claim.which === 'psd' || claim.which === 'pd' ? 1 : -1;
        const quad = (p: Point, v: Float64Array): number => sign * quadraticForm(env.model, claim.subject, p, v);
        return await eigenBound(
          env,
          claim.index,
          (p) => scaled(env.model.evaluate(claim.subject, p), sign),
          quad,
          claim.which === 'pd' || claim.which === 'nd',
          claim.which,
          partial,
        );
      }
      case 'order': {
        const { lhs, rhs } = claim;
        const upper = claim.op === '<=' ? rhs : lhs;
        const lower = claim.op === '<=' ? lhs : rhs;
        const probe = env.model.evaluate(lower, env.sampler.draw(claim.index, STREAM_SAMPLE, 0));
        if (probe.rows === 1 && probe.cols === 1) return await scalarOrder(env, claim.index, lower, upper, claim.op, partial);
        const quad = (p: Point, v: Float64Array): number => quadraticForm(env.model, upper, p, v) - quadraticForm(env.model, lower, p, v);
        return await eigenBound(
          env,
          claim.index,
          (p) => difference(env.model.evaluate(upper, p), env.model.evaluate(lower, p)),
          quad,
          false,
          claim.op === '>=' ? 'lhs - rhs ⪰ 0' : 'rhs - lhs ⪰ 0',
          partial,
        );
      }
      case 'lipschitz':
        return await lipschitz(env, claim.index, claim.of, claim.bound, partial);
    }
  } catch (e) {
    if (e instanceof OutOfTime) {
      return {
        index: claim.index,
        verdict: 'inconclusive',
        summary: 'cut off by the time budget before the search finished',
        evidence: { ...partial, reason: 'time budget' },
      };
    }
    if (e instanceof NonFinite) {
      return {
        index: claim.index,
        verdict: 'inconclusive',
        summary: `numeric failure: ${e.message}`,
        evidence: { ...partial, reason: e.message },
      };
    }
    throw e;
  }
}

/**
 * vᵀ Q v at a point. For the full Hessian this is vᵀ(∇²L v) from the planned Hessian-vector
 * product, which costs about one gradient; other quantities are evaluated and contracted.
 */
function quadraticForm(model: Model, q: Quantity, point: Point, v: Float64Array): number {
  const all = model.varSpecs.length;
  if (q.kind === 'hess' && q.rows.length === all && q.cols.length === all && q.rows.every((r, i) => r === i && q.cols[i] === i)) {
    const hv = model.hessVec(point, v);
    let acc = 0;
    for (let i = 0; i < v.length; i++) acc += v[i]! * hv[i]!;
    return acc;
  }
  const m = model.evaluate(q, point);
  if (m.rows === 1 && m.cols === 1) return m.data[0]! * v.reduce((s, x) => s + x * x, 0);
  let acc = 0;
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.rows; j++) acc += v[i]! * m.data[i + j * m.rows]! * v[j]!;
  return acc;
}

function scaled(v: Value, s: number): Value {
  return s === 1 ? v : { ...v, data: v.data.map((x) => s * x) };
}

function difference(a: Value, b: Value): Value {
  return { ...a, data: a.data.map((x, i) => x - b.data[i]!) };
}

// ---- identities ------------------------------------------------------------------------------

/** Independent FD estimate of a derivative quantity, from the loss (grad) or the gradient (hess). */
function fdOf(model: Model, q: Quantity, point: Point): { value: Float64Array; error: number } | undefined {
  if (q.kind === 'grad') {
    const all = model.varSpecs.map((_, i) => i);
    if (q.wrt.length !== all.length) return undefined;
    return fdJacobian((x) => Float64Array.of(model.loss(model.withVars(point, x))), model.flatten(point));
  }
  if (q.kind === 'hess') {
    const all = model.varSpecs.map((_, i) => i);
    if (q.rows.length !== all.length || q.cols.length !== all.length) return undefined;
    return fdJacobian((x) => model.grad(model.withVars(point, x)), model.flatten(point));
  }
  return undefined;
}

/** How close (relative to the point's scale) an argument of relu/abs may come to 0 before FD is meaningless. */
const KINK_MARGIN = 1e-2;

/** Is some relu/abs/step/sign argument within the FD step's reach of its kink at 0? */
function nearKink(model: Model, point: Point): boolean {
  const kinks = model.params.kinks;
  if (!kinks || kinks.length === 0) return false;
  const scale = Math.max(1, euclidean(model.flatten(point)));
  for (const root of kinks) {
    const v = model.evaluate({ kind: 'expr', root }, point).data;
    for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) < KINK_MARGIN * scale) return true;
  }
  return false;
}

/**
 * A search step counts as progress only when it beats the current value by more than rounding:
 * otherwise the path would follow floating-point noise, and two workers (or two BLAS builds)
 * would part ways on the same seed. Relative to the matrix entries (eigenvalues), the two sides
 * (inequalities) or the ratio itself (Lipschitz ratios, which divide by small distances).
 */
const SIGNIFICANT = 1e-13;
const SIGNIFICANT_RATIO = 1e-9;

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Rounding tolerance for comparing two float64 evaluations of the same function. */
const ROUNDING_RTOL = 1e-9;

async function identity(
  env: CheckEnv,
  index: number,
  lhs: Quantity,
  rhs: Quantity,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const { model, sampler, budget } = env;
  let worst = 0;
  let worstFd = 0;
  let tolUsed = ROUNDING_RTOL;
  let fdPoints = 0;
  let nearKinks = 0;
  const errors: number[] = [];
  for (let i = 0; i < budget.points; i++) {
    checkTime(env);
    await env.tick(i, budget.points);
    const point = sampler.draw(index, STREAM_SAMPLE, i);
    const where = `sample ${i + 1}`;
    requireDefined(model, point, where);
    if (nearKink(model, point)) {
      nearKinks++;
      continue;
    }
    const L = finite(model.evaluate(lhs, point), `the left side (${quantityName(lhs)})`, where);
    const R = finite(model.evaluate(rhs, point), 'the right side', where);
    const scale = Math.max(euclidean(L.data), euclidean(R.data));
    const gap = diffNorm(L.data, R.data);
    // FD gives a second, independent reference for derivative claims: a claim that disagrees with
    // the symbolic derivative must also disagree with FD beyond its error estimate to be refuted.
    const fd = fdOf(model, lhs, point);
    let tol = ROUNDING_RTOL * scale + 1e-300;
    let fdGap: number | undefined;
    if (fd) {
      if (!allFinite(fd.value)) throw new NonFinite(`NaN/Inf in the finite-difference estimate at ${where}`);
      fdPoints++;
      const fdTol = 10 * fd.error + 1e3 * Number.EPSILON * Math.max(euclidean(fd.value), 1);
      fdGap = diffNorm(fd.value, R.data);
      const engineGap = diffNorm(fd.value, L.data);
      if (engineGap > fdTol && engineGap > tol) {
        return {
          index,
          verdict: 'inconclusive',
          summary: `the symbolic derivative and finite differences disagree at ${where} (gap ${engineGap.toExponential(2)} > FD error estimate ${fdTol.toExponential(2)}); the function may not be smooth there`,
          evidence: { points: i + 1, symbolicVsFd: engineGap, fdErrorEstimate: fd.error },
        };
      }
      tol = Math.max(tol, fdTol);
      worstFd = Math.max(worstFd, fdGap / Math.max(scale, 1e-300));
    }
    const rel = gap / Math.max(scale, 1e-300);
    errors.push(rel);
    tolUsed = Math.max(tolUsed, tol / Math.max(scale, 1e-300));
    worst = Math.max(worst, rel);
    Object.assign(partial, { points: i + 1, maxRelativeError: worst });
    if (gap > tol && (fdGap === undefined || fdGap > tol)) {
      const values: Record<string, JsonValue> = {
        lhs: valueJson(L),
        rhs: valueJson(R),
        relativeError: rel,
        tolerance: tol / Math.max(scale, 1e-300),
      };
      if (fd) values['finiteDifference'] = valueJson({ data: fd.value, rows: L.rows, cols: L.cols });
      return {
        index,
        verdict: 'refuted',
        summary: `the two sides differ at ${where}: relative error ${rel.toExponential(3)} (tolerance ${(tol / Math.max(scale, 1e-300)).toExponential(1)}${fd ? ', confirmed by finite differences' : ''})`,
        evidence: {
          points: i + 1,
          relativeError: rel,
          tolerance: tol / Math.max(scale, 1e-300),
          ...(fd ? { fdRelativeError: (fdGap ?? 0) / Math.max(scale, 1e-300) } : {}),
        },
        counterexample: { point: pointJson(model, point), values },
        plots: fd ? [fdStepPlot(model, lhs, point)] : [],
      };
    }
  }
  const compared = budget.points - nearKinks;
  const kinkNote = nearKinks ? `; ${nearKinks} point${nearKinks === 1 ? '' : 's'} near a kink of relu/abs skipped` : '';
  if (compared === 0) {
    return {
      index,
      verdict: 'inconclusive',
      summary: `every sampled point lies near a kink of relu/abs, where the derivative is undefined`,
      evidence: { points: 0, nearKinks },
    };
  }
  const plots: Plot[] = [
    {
      title: 'Relative error per sample',
      xLabel: 'sample',
      yLabel: 'relative error',
      logY: true,
      series: [{ label: 'lhs vs rhs', x: errors.map((_, i) => i + 1), y: errors.map((e) => Math.max(e, 1e-18)) }],
    },
  ];
  if (fdPoints > 0) plots.push(fdStepPlot(model, lhs, sampler.draw(index, STREAM_SAMPLE, 0)));
  return {
    index,
    verdict: 'holds',
    summary: `equal at ${compared} sampled points (max relative error ${worst.toExponential(2)}, tolerance ${tolUsed.toExponential(1)}${fdPoints ? `; finite differences agree to ${worstFd.toExponential(2)}` : ''}${kinkNote})`,
    evidence: {
      points: compared,
      maxRelativeError: worst,
      tolerance: tolUsed,
      ...(fdPoints ? { fdPoints, fdMaxRelativeError: worstFd } : {}),
      ...(nearKinks ? { nearKinks } : {}),
    },
    plots,
  };
}

/** Error of a plain central difference vs the symbolic derivative as the step shrinks. */
function fdStepPlot(model: Model, q: Quantity, point: Point): Plot {
  const exact = model.evaluate(q, point).data;
  const x = model.flatten(point);
  const f =
    q.kind === 'grad'
      ? (y: Float64Array) => Float64Array.of(model.loss(model.withVars(point, y)))
      : (y: Float64Array) => model.grad(model.withVars(point, y));
  const steps = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7, 1e-8, 1e-9];
  const errs = steps.map((h) => {
    const cols = new Float64Array(exact.length);
    const m = exact.length / x.length;
    for (let j = 0; j < x.length; j++) cols.set(centralColumn(f, x, j, h), j * m);
    return diffNorm(cols, exact) / Math.max(euclidean(exact), 1e-300);
  });
  return {
    title: 'Finite-difference error vs step',
    xLabel: 'step h',
    yLabel: 'relative error',
    logX: true,
    logY: true,
    series: [{ label: 'central difference', x: steps, y: errs.map((e) => Math.max(e, 1e-18)) }],
  };
}

// ---- eigenvalue bounds -------------------------------------------------------------------------

interface EigenAt {
  lambda: number;
  vector: Float64Array;
  value: Value;
}

function minEigen(v: Value, where: string): EigenAt {
  finite(v, 'the matrix', where);
  const e = symmetricEigen(v.data, v.rows);
  return { lambda: e.values[0]!, vector: e.vectors.slice(0, v.rows), value: v };
}

/**
 * min over the domain of λ_min(M(x)) >= 0 (> 0 when strict): random samples, then projected descent
 * on λ_min from the worst ones. The descent direction is the gradient of vᵀM(x)v for the current
 * eigenvector v, estimated by central differences along random directions (no third derivatives).
 */
async function eigenBound(
  env: CheckEnv,
  index: number,
  matrixAt: (p: Point) => Value,
  quadratic: (p: Point, v: Float64Array) => number,
  strict: boolean,
  what: string,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const { model, sampler, budget } = env;
  const total = budget.points + budget.restarts * budget.steps;
  const samples: { point: Point; eig: EigenAt }[] = [];
  const trace: number[] = [];
  for (let i = 0; i < budget.points; i++) {
    checkTime(env);
    await env.tick(i, total);
    const point = sampler.draw(index, STREAM_SAMPLE, i);
    requireDefined(model, point, `sample ${i + 1}`);
    const eig = minEigen(matrixAt(point), `sample ${i + 1}`);
    samples.push({ point, eig });
    trace.push(eig.lambda);
    partial['points'] = i + 1;
    partial['minEigenvalue'] = Math.min(...trace);
  }
  samples.sort((a, b) => a.eig.lambda - b.eig.lambda);
  const searchTraces: { x: number[]; y: number[] }[] = [];
  let best = samples[0]!;
  for (let r = 0; r < Math.min(budget.restarts, samples.length); r++) {
    let cur = samples[r]!;
    const specs = model.searchSpecs;
    let step = 0.1 * Math.max(1, euclidean(model.flatten(cur.point, specs)) / Math.sqrt(specs.length || 1));
    const tr = { x: [0], y: [cur.eig.lambda] };
    for (let s = 0; s < budget.steps && specs.length > 0; s++) {
      checkTime(env);
      await env.tick(budget.points + r * budget.steps + s, total);
      const x = model.flatten(cur.point, specs);
      const v = cur.eig.vector;
      const q = (y: Float64Array): number => quadratic(model.withVars(cur.point, y, specs), v);
      const grad = spsaGradient(q, x, sampler, [index, STREAM_SEARCH, r, s], spsaStep(x), specs);
      let moved = false;
      for (let t = 0; t < 4 && !moved; t++) {
        const cand = projectVars(
          model,
          cur.point,
          x.map((xi, i) => xi - step * grad[i]!),
          specs,
        );
        // Rayleigh: λ_min(M) ≤ vᵀMv, so a lower vᵀMv proves progress without an eigensolve.
        const bar = cur.eig.lambda - SIGNIFICANT * maxAbs(cur.eig.value.data);
        if (quadratic(cand, v) < bar) {
          const eig = minEigen(matrixAt(cand), `search step ${s + 1}`);
          if (eig.lambda < bar) {
            cur = { point: cand, eig };
            moved = true;
          }
        }
        if (!moved) step /= 2;
      }
      if (moved) step *= 1.5;
      tr.x.push(s + 1);
      tr.y.push(cur.eig.lambda);
      if (step < 1e-12) break;
    }
    searchTraces.push(tr);
    if (cur.eig.lambda < best.eig.lambda) best = cur;
    partial['minEigenvalue'] = Math.min(Number(partial['minEigenvalue']), best.eig.lambda);
  }
  const lambda = best.eig.lambda;
  const scaleNorm = Math.max(maxAbs(best.eig.value.data), 1e-300);
  const tol = 1e-9 * scaleNorm * best.eig.value.rows;
  const plots: Plot[] = [
    {
      title: 'λ_min over samples',
      xLabel: 'sample',
      yLabel: 'λ_min',
      series: [{ label: 'random samples', x: trace.map((_, i) => i + 1), y: trace }],
      reference: { label: 'bound 0', y: 0 },
    },
    {
      title: 'λ_min during adversarial descent',
      xLabel: 'step',
      yLabel: 'λ_min',
      series: searchTraces.map((t, i) => ({ label: `restart ${i + 1}`, ...t })),
      reference: { label: 'bound 0', y: 0 },
    },
  ];
  const evidence = { points: budget.points, restarts: searchTraces.length, steps: budget.steps, minEigenvalue: lambda, tolerance: tol };
  const broken = strict ? lambda <= tol : lambda < -tol;
  if (broken) {
    const counterexample: Counterexample = {
      point: pointJson(model, best.point),
      values: { minEigenvalue: lambda },
      eigenvector: canonicalSign(best.eig.vector),
    };
    return {
      index,
      verdict: 'refuted',
      summary: `${what} fails: λ_min = ${lambda.toPrecision(6)} at the counterexample`,
      evidence,
      counterexample,
      plots,
    };
  }
  return {
    index,
    verdict: 'holds',
    summary: `${what}: smallest λ_min found ${lambda.toPrecision(6)} over ${budget.points} samples and ${searchTraces.length} descents`,
    evidence,
    plots,
  };
}

/** Eigenvectors are defined up to sign: report the one whose largest entry is positive (every worker does). */
function canonicalSign(v: Float64Array): number[] {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[k]!)) k = i;
  return Array.from(v, (x) => (v[k]! < 0 ? -x : x));
}

/**
 * The forward-difference step of spsaGradient: fixed relative to the point, not to the search
 * step, so that rounding in q (≈ 1e-16 of its scale) moves the estimated direction by ~1e-12 only.
 */
function spsaStep(x: Float64Array): number {
  return 1e-4 * Math.max(1, euclidean(x));
}

/**
 * ∇q(x) estimated from forward differences along a few seeded random directions (SPSA-style):
 * only a search direction is needed, so one extra evaluation per direction is enough.
 */
function spsaGradient(
  q: (x: Float64Array) => number,
  x: Float64Array,
  sampler: Sampler,
  ids: number[],
  h: number,
  specs: readonly SamplingSpec[],
): Float64Array {
  const n = x.length;
  const k = Math.min(n, 8);
  const g = new Float64Array(n);
  const base = q(x);
  for (let d = 0; d < k; d++) {
    const dir = flatDirection(sampler, [...ids, d], n, specs);
    const slope = (q(x.map((v, i) => v + h * dir[i]!)) - base) / h;
    if (!Number.isFinite(slope)) continue;
    for (let i = 0; i < n; i++) g[i]! += slope * dir[i]!;
  }
  const norm = euclidean(g);
  return norm > 0 ? g.map((v) => v / norm) : g;
}

function flatDirection(sampler: Sampler, ids: number[], n: number, specs?: readonly SamplingSpec[]): Float64Array {
  const parts = sampler.direction(ids, specs);
  const out = new Float64Array(n);
  let off = 0;
  for (const d of parts.values()) {
    out.set(d, off);
    off += d.length;
  }
  return out;
}

function projectVars(model: Model, point: Point, x: Float64Array, specs: readonly SamplingSpec[] = model.varSpecs): Point {
  const p = model.withVars(point, x, specs);
  for (const spec of specs)
    p.set(
      spec.name,
      project(p.get(spec.name)!, spec, (root) => model.evaluate({ kind: 'expr', root }, p).data),
    );
  return p;
}

// ---- scalar inequalities ---------------------------------------------------------------------

async function scalarOrder(
  env: CheckEnv,
  index: number,
  lower: Quantity,
  upper: Quantity,
  op: '<=' | '>=',
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const { model, sampler, budget } = env;
  const total = budget.points + budget.restarts * budget.steps;
  const gapAt = (p: Point, where: string): { gap: number; lo: number; hi: number } => {
    const lo = finite(model.evaluate(lower, p), 'the smaller side', where).data[0]!;
    const hi = finite(model.evaluate(upper, p), 'the larger side', where).data[0]!;
    return { gap: hi - lo, lo, hi };
  };
  const samples: { point: Point; gap: number; lo: number; hi: number }[] = [];
  for (let i = 0; i < budget.points; i++) {
    checkTime(env);
    await env.tick(i, total);
    const point = sampler.draw(index, STREAM_SAMPLE, i);
    requireDefined(model, point, `sample ${i + 1}`);
    samples.push({ point, ...gapAt(point, `sample ${i + 1}`) });
    partial['points'] = i + 1;
  }
  samples.sort((a, b) => a.gap - b.gap);
  let best = samples[0]!;
  const specs = model.searchSpecs;
  for (let r = 0; r < Math.min(budget.restarts, samples.length) && specs.length > 0; r++) {
    let cur = samples[r]!;
    let step = 0.1 * Math.max(1, euclidean(model.flatten(cur.point, specs)) / Math.sqrt(specs.length));
    for (let s = 0; s < budget.steps; s++) {
      checkTime(env);
      await env.tick(budget.points + r * budget.steps + s, total);
      const x = model.flatten(cur.point, specs);
      const grad = spsaGradient(
        (y) => gapAt(model.withVars(cur.point, y, specs), 'search').gap,
        x,
        sampler,
        [index, STREAM_SEARCH, r, s],
        spsaStep(x),
        specs,
      );
      const cand = projectVars(
        model,
        cur.point,
        x.map((xi, i) => xi - step * grad[i]!),
        specs,
      );
      const g = gapAt(cand, `search step ${s + 1}`);
      if (g.gap < cur.gap - SIGNIFICANT * Math.max(Math.abs(cur.lo), Math.abs(cur.hi))) {
        cur = { point: cand, ...g };
        step *= 1.5;
      } else step /= 2;
      if (step < 1e-12) break;
    }
    if (cur.gap < best.gap) best = cur;
  }
  const tol = ROUNDING_RTOL * Math.max(Math.abs(best.lo), Math.abs(best.hi)) + 1e-300;
  const [lhsV, rhsV] = op === '<=' ? [best.lo, best.hi] : [best.hi, best.lo];
  const evidence = { points: budget.points, restarts: budget.restarts, smallestSlack: best.gap, tolerance: tol };
  if (best.gap < -tol) {
    return {
      index,
      verdict: 'refuted',
      summary: `violated: lhs = ${lhsV.toPrecision(8)}, rhs = ${rhsV.toPrecision(8)}`,
      evidence,
      counterexample: { point: pointJson(model, best.point), values: { lhs: lhsV, rhs: rhsV } },
    };
  }
  return {
    index,
    verdict: 'holds',
    summary: `smallest slack found ${best.gap.toPrecision(4)} (lhs ${lhsV.toPrecision(6)}, rhs ${rhsV.toPrecision(6)})`,
    evidence,
  };
}

// ---- Lipschitz constants -----------------------------------------------------------------------

async function lipschitz(
  env: CheckEnv,
  index: number,
  of: Quantity,
  boundQ: Quantity,
  partial: Record<string, number | string>,
): Promise<ClaimResult> {
  const { model, sampler, budget } = env;
  const total = budget.pairs + budget.restarts * budget.steps;
  const first = sampler.draw(index, STREAM_PAIR, 0);
  const bound = finite(model.evaluate(boundQ, first), 'the bound', 'sample 1').data[0]!;
  const valueAt = (p: Point, where: string): Value => finite(model.evaluate(of, p), `the ${quantityName(of)}`, where);
  const ratio = (p: Point, q: Point, where: string): { ratio: number; dist: number } => {
    const dist = diffNorm(model.flatten(p), model.flatten(q));
    if (dist === 0) return { ratio: 0, dist };
    const a = valueAt(p, where);
    const b = valueAt(q, where);
    return { ratio: operatorNorm(difference(a, b)) / dist, dist };
  };
  const pairs: { p: Point; q: Point; ratio: number; dist: number }[] = [];
  for (let i = 0; i < budget.pairs; i++) {
    checkTime(env);
    await env.tick(i, total);
    const p = sampler.draw(index, STREAM_PAIR, i);
    let q: Point;
    if (i % 2 === 0) {
      // Far pair: a second independent draw of the vars, same data.
      const other = sampler.draw(index, STREAM_PAIR_OTHER, i);
      q = model.withVars(p, model.flatten(other));
    } else {
      // Near pair: a small step, from 1e-1 down to 1e-4 of the point's scale.
      const dir = flatDirection(sampler, [index, STREAM_PAIR_OTHER, i], model.dimension);
      const r = 10 ** (-1 - (3 * ((i >> 1) % 7)) / 6) * Math.max(1, euclidean(model.flatten(p)));
      q = projectVars(
        model,
        p,
        model.flatten(p).map((v, k) => v + r * dir[k]!),
      );
    }
    requireDefined(model, p, `pair ${i + 1}`);
    requireDefined(model, q, `pair ${i + 1}`);
    pairs.push({ p, q, ...ratio(p, q, `pair ${i + 1}`) });
    partial['pairs'] = i + 1;
    partial['bestRatio'] = Math.max(...pairs.map((x) => x.ratio));
  }
  const scatter = { x: pairs.map((x) => x.dist), y: pairs.map((x) => x.ratio) };
  pairs.sort((a, b) => b.ratio - a.ratio);
  let best = pairs[0]!;
  for (let r = 0; r < Math.min(budget.restarts, pairs.length); r++) {
    let cur = pairs[r]!;
    let step = 0.1 * Math.max(cur.dist, 1e-6);
    for (let s = 0; s < budget.steps; s++) {
      checkTime(env);
      await env.tick(budget.pairs + r * budget.steps + s, total);
      const dp = flatDirection(sampler, [index, STREAM_SEARCH, r, s, 0], model.dimension);
      const dq = flatDirection(sampler, [index, STREAM_SEARCH, r, s, 1], model.dimension);
      let p = projectVars(
        model,
        cur.p,
        model.flatten(cur.p).map((v, k) => v + step * dp[k]!),
      );
      let q = projectVars(
        model,
        cur.q,
        model.flatten(cur.q).map((v, k) => v + step * dq[k]!),
      );
      const givens = model.searchSpecs.filter((g) => g.role === 'given');
      if (givens.length > 0) {
        // The data moves too, identically for both points of the pair.
        const size = givens.reduce((acc, g) => acc + g.rows * g.cols, 0);
        const dg = flatDirection(sampler, [index, STREAM_SEARCH, r, s, 2], size, givens);
        const data = projectVars(
          model,
          p,
          model.flatten(p, givens).map((v, k) => v + step * dg[k]!),
          givens,
        );
        p = new Map([...p].map(([k, v]) => [k, givens.some((g) => g.name === k) ? data.get(k)! : v]));
        q = new Map([...q].map(([k, v]) => [k, givens.some((g) => g.name === k) ? data.get(k)! : v]));
      }
      const cand = ratio(p, q, `ascent step ${s + 1}`);
      if (cand.ratio > cur.ratio * (1 + SIGNIFICANT_RATIO)) {
        cur = { p, q, ...cand };
        step *= 1.5;
      } else step /= 2;
    }
    if (cur.ratio > best.ratio) best = cur;
  }
  partial['bestRatio'] = best.ratio;
  const slack = bound / best.ratio;
  const evidence = { pairs: budget.pairs, restarts: budget.restarts, bestRatio: best.ratio, bound, slack, distance: best.dist };
  const plots: Plot[] = [
    {
      title: 'Lipschitz ratio vs distance',
      xLabel: '‖x − y‖',
      yLabel: 'ratio',
      logX: true,
      logY: true,
      series: [{ label: 'pairs', ...scatter }],
      reference: { label: `claimed bound ${bound.toPrecision(4)}`, y: bound },
    },
  ];
  if (!Number.isFinite(bound)) return { index, verdict: 'inconclusive', summary: `the bound evaluates to ${bound}`, evidence, plots };
  if (best.ratio > bound * (1 + ROUNDING_RTOL)) {
    return {
      index,
      verdict: 'refuted',
      summary: `ratio ${best.ratio.toPrecision(6)} exceeds the bound ${bound.toPrecision(6)} (by ${(best.ratio / bound).toPrecision(3)}×)`,
      evidence,
      plots,
      counterexample: {
        point: pointJson(model, best.p),
        other: pointJson(model, best.q, true),
        values: { ratio: best.ratio, bound, distance: best.dist },
      },
    };
  }
  return {
    index,
    verdict: 'holds',
    summary: `largest ratio found ${best.ratio.toPrecision(6)} ≤ bound ${bound.toPrecision(6)} (slack ${slack.toPrecision(3)}×)`,
    evidence,
    plots,
  };
}
