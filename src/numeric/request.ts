/** Builds the worker request for a file: the IR of every needed expression, sampling specs, claims. */
import { evaluateConstant } from '../language/typecheck';
import { numel, shapeOf } from '../language/shape';
import type { CheckedProgram, ClaimDomain, Constraint, Declaration, TExpr } from '../language/typed';
import type { ClaimPlan, SymQuantity } from '../symbolic/claims';
import { type Graph, InternalError, type Node, topoOrder } from '../symbolic/ir';
import { ALMOST_EVERYWHERE } from '../symbolic/ops';
import { type Derivatives, type LoweredProgram, Lowering } from '../symbolic/lower';
import { toWire } from '../symbolic/wire';
import { EvaluationPlanner } from './optimize';
import { type SearchGradient, gradientNormGradient, quadraticFormGradient, scalarGradient } from './searchRoots';
import type { Budget, CheckParams, NumericConstraint, Quantity, RoundingBound, SamplingSpec, WireClaim } from './protocol';
import { NoRoundingRule, roundingBounds } from './rounding';

export interface RequestOptions {
  seed: number;
  budget: Budget;
  /** Givens (or vars) fixed from --data, column-major. */
  fixed?: ReadonlyMap<string, Float64Array>;
  timeLimitMs?: number;
  /**
   * Wire index of each plan: the claim's position in its file, so that a claim checked alone draws
   * the samples it draws in a whole-file check (sample streams are keyed on it). Positions by default.
   */
  claimIndices?: readonly number[];
}

/** Where each centre expression of a ball went in the request's IR. */
type CentreRoots = ReadonlyMap<TExpr, number>;

function numericConstraint(c: Constraint, centres: CentreRoots | undefined): NumericConstraint {
  const value = (t: TExpr): number => evaluateConstant(t) ?? NaN;
  switch (c.kind) {
    case 'normBall': {
      if (!c.center || !centres) return { kind: 'normBall', norm: c.norm, radius: value(c.radius) };
      const center = centres.get(c.center);
      if (center === undefined) throw new InternalError('a centred ball whose centre is not in the request');
      return { kind: 'normBall', norm: c.norm, radius: value(c.radius), center };
    }
    case 'lower':
      return { kind: 'lower', bound: value(c.bound) };
    case 'upper':
      return { kind: 'upper', bound: value(c.bound) };
    case 'sum':
      return { kind: 'sum', value: value(c.value) };
    case 'sym':
    case 'psd':
      return { kind: c.kind };
  }
}

/**
 * The sampling specs of the file's givens and vars, with a claim's own domain (`claim … for …`)
 * added to the constraints of the names it narrows. Centred balls take their centre's IR root from
 * `centres` (buildCheckParams); without it they are left uncentred, which is only good for what
 * does not sample (names, shapes, radii).
 */
export function samplingSpecs(
  program: CheckedProgram,
  fixed: ReadonlyMap<string, Float64Array> = new Map(),
  centres?: CentreRoots,
  domain: readonly ClaimDomain[] = [],
): SamplingSpec[] {
  const spec =
    (role: 'given' | 'var') =>
    (d: Declaration): SamplingSpec => {
      const f = fixed.get(d.name);
      const narrowed = domain.find((x) => x.name === d.name)?.constraints ?? [];
      return {
        name: d.name,
        role,
        rows: d.shape.rows.value,
        cols: d.shape.cols.value,
        constraints: [...d.constraints, ...narrowed].map((c) => numericConstraint(c, centres)),
        ...(d.family ? { blocks: d.family.count.value } : {}),
        ...(f ? { fixed: Array.from(f) } : {}),
      };
    };
  return [...program.givens.map(spec('given')), ...program.vars.map(spec('var'))];
}

/** Every centre expression of a ball, in the declarations and in the claims' own domains. */
function centreExpressions(program: CheckedProgram, plans: readonly ClaimPlan[]): TExpr[] {
  const of = (cs: readonly Constraint[]): TExpr[] => cs.flatMap((c) => (c.kind === 'normBall' && c.center ? [c.center] : []));
  return [
    ...[...program.givens, ...program.vars].flatMap((d) => of(d.constraints)),
    ...plans.flatMap((p) => (p.claim.domain ?? []).flatMap((d) => of(d.constraints))),
  ];
}

/**
 * The request for the claims that need numbers (not proved, not unsupported); `claimIndex[k]` is
 * the plan index of the k-th wire claim.
 */
export function buildCheckParams(
  program: CheckedProgram,
  lowered: LoweredProgram,
  derivatives: Derivatives,
  plans: readonly ClaimPlan[],
  options: RequestOptions,
): CheckParams {
  const extra: Node[] = [];
  const slot = (n: Node): number => {
    extra.push(n);
    return extra.length - 1;
  };
  type Pending = { kind: 'expr'; slot: number } | Exclude<Quantity, { kind: 'expr' }>;
  type Fix = { quantity: (p: Pending) => Quantity; root: (slot: number) => number };
  const q = (s: SymQuantity): Pending => (s.kind === 'expr' ? { kind: 'expr', slot: slot(s.node) } : s);
  const pendingClaims: { index: number; build: (fix: Fix) => WireClaim }[] = [];
  // What searches move (vars and unfixed givens) and their scales; ball centres are not needed for that.
  const searchable = samplingSpecs(program, options.fixed).filter((s) => s.role === 'var' || !s.fixed);
  // Exact search directions (gradients over vars and unfixed givens) where the claim has one.
  const search = (g: SearchGradient | undefined): ((fix: Fix) => WireClaim['search']) => {
    if (!g) return () => undefined;
    const at = g.roots.map(slot);
    return (fix) => ({ roots: at.map(fix.root), inputs: g.inputs, names: searchable.map((s) => s.name) });
  };
  const withSearch = (claim: WireClaim, s: WireClaim['search']): WireClaim => (s ? { ...claim, search: s } : claim);
  /** Sides of identity claims: they are compared against their rounding-error bounds. */
  const bounded: Pending[] = [];
  plans.forEach((p, position) => {
    const index = options.claimIndices?.[position] ?? position;
    switch (p.kind) {
      case 'identity': {
        if (p.proved) return;
        const [lhs, rhs] = [q(p.lhs), q(p.rhs)];
        bounded.push(lhs, rhs);
        pendingClaims.push({ index, build: (fix) => ({ index, kind: 'identity', lhs: fix.quantity(lhs), rhs: fix.quantity(rhs) }) });
        return;
      }
      case 'order': {
        const [lhs, rhs] = [q(p.lhs), q(p.rhs)];
        const [upper, lower] = p.op === '<=' ? [p.rhs, p.lhs] : [p.lhs, p.rhs];
        const scalar = lower.kind === 'expr' && lower.node.shape.rows.value === 1 && lower.node.shape.cols.value === 1;
        const s = search(
          scalar
            ? scalarGradient(lowered, derivatives, upper, lower, searchable)
            : quadraticFormGradient(lowered, derivatives, upper, lower, searchable),
        );
        pendingClaims.push({
          index,
          build: (fix) => withSearch({ index, kind: 'order', op: p.op, lhs: fix.quantity(lhs), rhs: fix.quantity(rhs) }, s(fix)),
        });
        return;
      }
      case 'definite': {
        const subject = q(p.subject);
        const s = search(quadraticFormGradient(lowered, derivatives, p.subject, undefined, searchable));
        pendingClaims.push({
          index,
          build: (fix) => withSearch({ index, kind: 'definite', which: p.which, subject: fix.quantity(subject) }, s(fix)),
        });
        return;
      }
      case 'lipschitz': {
        const [of, bound] = [q(p.of), q(p.bound)];
        const vars = lowered.vars.map((_, i) => i);
        const full = (xs: number[]): boolean => xs.length === vars.length && xs.every((x, i) => x === i);
        const g =
          p.of.kind === 'grad' && full(p.of.wrt)
            ? quadraticFormGradient(lowered, derivatives, { kind: 'hess', rows: vars, cols: vars }, undefined, searchable)
            : p.of.kind === 'expr' && p.of.node === lowered.loss
              ? gradientNormGradient(lowered, derivatives, searchable)
              : undefined;
        const s = search(g);
        pendingClaims.push({
          index,
          build: (fix) => withSearch({ index, kind: 'lipschitz', of: fix.quantity(of), bound: fix.quantity(bound) }, s(fix)),
        });
        return;
      }
      case 'unsupported':
        return;
    }
  });
  const centreExprs = centreExpressions(program, plans);
  const lowering = new Lowering(lowered.graph, lowered.defs, lowered.vars);
  const centreSlots = new Map(centreExprs.map((t) => [t, slot(lowering.lower(t))]));
  const base = [lowered.loss, ...derivatives.grads, ...derivatives.hess.flat(), ...extra];
  const hvp = hessianVectorProducts(lowered, derivatives);
  const kinkArgs = [...new Set(topoOrder(base).flatMap((n) => (n.kind === 'fn' && ALMOST_EVERYWHERE.has(n.fn) ? [n.args[0]!] : [])))];
  // Planned here, once, so every worker (Node or Python) executes the same re-associated IR.
  const roots = new EvaluationPlanner(lowered.graph).optimize([...base, ...kinkArgs, ...hvp]);
  const k = derivatives.grads.length;
  const offset = 1 + k + k * k;
  const planned = (p: Pending): Node[] =>
    p.kind === 'expr'
      ? [roots[offset + p.slot]!]
      : p.kind === 'grad'
        ? p.wrt.map((w) => roots[1 + w]!)
        : p.rows.flatMap((a) => p.cols.map((b) => roots[1 + k + a * k + b]!));
  // The loss and the gradients too: their bounds size the rounding noise of finite differences.
  const bounds = sideBounds(lowered.graph, [...bounded.flatMap(planned), ...(bounded.length ? roots.slice(0, 1 + k) : [])]);
  const boundNodes = bounds.flatMap((b) => (b.bound ? [b.bound] : []));
  const { graph, positions } = toWire([...roots, ...bounds.map((b) => b.of), ...boundNodes]);
  const at = new Map([...bounds.map((b) => b.of), ...boundNodes].map((n, i) => [n.id, positions[roots.length + i]!]));
  const root = (slot: number): number => positions[offset + slot]!;
  const fix: Fix = { quantity: (p) => (p.kind === 'expr' ? { kind: 'expr', root: root(p.slot) } : p), root };
  const centres = new Map([...centreSlots].map(([t, at]) => [t, root(at)]));
  // A claim with its own domain carries the whole sampling list, narrowed for it.
  const domainOf = new Map(plans.map((p, position) => [options.claimIndices?.[position] ?? position, p.claim.domain]));
  return {
    ir: graph,
    loss: positions[0]!,
    grads: positions.slice(1, 1 + k),
    hess: Array.from({ length: k }, (_, a) => positions.slice(1 + k + a * k, 1 + k + (a + 1) * k)),
    claims: pendingClaims.map((c) => {
      const claim = c.build(fix);
      const domain = domainOf.get(c.index);
      return domain ? { ...claim, sampling: samplingSpecs(program, options.fixed, centres, domain) } : claim;
    }),
    ...(kinkArgs.length ? { kinks: positions.slice(base.length, base.length + kinkArgs.length) } : {}),
    hvp: positions.slice(base.length + kinkArgs.length, roots.length),
    ...(bounds.length
      ? {
          bounds: bounds.map((b): RoundingBound =>
            b.bound ? { of: at.get(b.of.id)!, bound: at.get(b.bound.id)! } : { of: at.get(b.of.id)!, missing: b.missing! },
          ),
        }
      : {}),
    sampling: samplingSpecs(program, options.fixed, centres),
    seed: options.seed,
    budget: options.budget,
    ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}),
  };
}

/** The rounding-error bound of each planned node (once each), or why it has none. */
function sideBounds(g: Graph, nodes: readonly Node[]): { of: Node; bound?: Node; missing?: string }[] {
  const unique = [...new Map(nodes.map((n) => [n.id, n])).values()];
  return unique.map((of) => {
    try {
      return { of, bound: roundingBounds(g, [of])[0]! };
    } catch (e) {
      if (e instanceof NoRoundingRule) return { of, missing: e.message };
      throw e;
    }
  });
}

/** Name of the input holding var k's part of the direction v in Hessian-vector products. */
export function directionInput(k: number): string {
  // '$' cannot start a DSL name, so this never collides with a user's declaration.
  return `$v${k}`;
}

/**
 * (∇²L v) per var, with v supplied as the inputs directionInput(k): the planner re-associates
 * each H_ab v_b right to left, so vᵀHv (descent directions) and Lanczos cost about a gradient
 * instead of a Hessian.
 */
function hessianVectorProducts(lowered: LoweredProgram, derivatives: Derivatives): Node[] {
  const g = lowered.graph;
  const parts = derivatives.grads.map((grad, k) => g.given(directionInput(k), shapeOf(numel(grad.shape))));
  return derivatives.hess.map((row) => row.map((h, b) => g.matmul(h, parts[b]!)).reduce((acc, t) => g.add(acc, t)));
}

/** Default peak-memory budget of one check. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 4 * 2 ** 30;

/**
 * Peak float64 memory of a check, estimated before anything is allocated: every IR value of one
 * evaluation is cached at once, plus the assembled Hessian and an eigen-decomposition's copies of it,
 * plus the sampled data and a second point for pairs and searches.
 */
export function estimateBytes(params: CheckParams): number {
  const numel = params.ir.nodes.reduce((s, n) => s + n.rows.value * n.cols.value, 0);
  const vars = params.sampling.filter((s) => s.role === 'var').reduce((s, v) => s + v.rows * v.cols, 0);
  const data = params.sampling.reduce((s, v) => s + v.rows * v.cols, 0);
  return 8 * (2 * numel + 4 * vars * vars + 4 * data);
}

export function formatBytes(b: number): string {
  return b >= 2 ** 30
    ? `${(b / 2 ** 30).toFixed(1)} GiB`
    : b >= 2 ** 20
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : `${(b / 1024).toFixed(0)} KiB`;
}
