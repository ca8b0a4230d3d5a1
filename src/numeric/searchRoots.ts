/**
 * Exact search directions, built symbolically for the driver's local searches: the gradient of a
 * scalar φ(θ) with respect to everything a search may move — the vars and every given not fixed by
 * --data — so eigenvalue and Lipschitz searches climb with derivatives rather than random probes.
 *
 * φ is a quadratic form vᵀM(θ)v (M a Hessian block or a matrix expression, v an input supplied per
 * point) or ½‖∇L‖². Givens are differentiated by copying the IR into a scratch graph where they are
 * vars (transplant), and the result is copied back. Each block of the gradient is multiplied by its
 * spec's size (`specScale`), so the stacked result is the gradient in the coordinates z = θ / size in
 * which one search step is the same fraction of every block's domain.
 */
import { numel, shapeOf } from '../language/shape';
import type { SymQuantity } from '../symbolic/claims';
import { gradient } from '../symbolic/diff';
import { Graph, type Node, UnsupportedError } from '../symbolic/ir';
import type { Derivatives, LoweredProgram } from '../symbolic/lower';
import { transplant } from '../symbolic/transplant';
import type { SamplingSpec } from './protocol';

export interface SearchGradient {
  /** One root per search spec, in spec order, each in its spec's shape. */
  roots: Node[];
  /** How the per-point vector v is split into named inputs (empty for ½‖∇L‖²). */
  inputs: { name: string; size: number }[];
}

/** The typical size of one block of a search: what a step of 1 in z-coordinates moves it by. */
export function specScale(spec: SamplingSpec): number {
  const m = spec.rows * spec.cols;
  let lower: number | undefined;
  let upper: number | undefined;
  for (const c of spec.constraints) {
    if (c.kind === 'normBall') return c.radius;
    if (c.kind === 'sum') return Math.max(Math.abs(c.value), 1e-3);
    if (c.kind === 'lower') lower = Math.max(lower ?? -Infinity, c.bound);
    if (c.kind === 'upper') upper = Math.min(upper ?? Infinity, c.bound);
  }
  const entry = lower !== undefined && upper !== undefined ? upper - lower : Math.max(1, Math.abs(lower ?? upper ?? 1));
  return Math.max(entry, 1e-3) * Math.sqrt(m);
}

type MatrixSide = SymQuantity;

/** The name of the input holding var k's part of v (shared with the Hessian-vector products). */
const partInput = (k: number): string => `$v${k}`;
const WHOLE = '$w';

/**
 * ∇_θ [vᵀ (upper − lower) v] over the search specs, or undefined when the two sides do not share
 * one vector space the inputs can describe (a Hessian block next to a matrix over several vars).
 */
export function quadraticFormGradient(
  lowered: LoweredProgram,
  derivatives: Derivatives,
  upper: MatrixSide,
  lower: MatrixSide | undefined,
  search: readonly SamplingSpec[],
): SearchGradient | undefined {
  const sides = lower ? [upper, lower] : [upper];
  if (sides.some((q) => q.kind === 'grad')) return undefined;
  const blockRows = sides.flatMap((q) => (q.kind === 'hess' ? [q.rows] : []));
  if (blockRows.some((r) => r.join() !== blockRows[0]!.join())) return undefined;
  const rows = blockRows[0];
  if (rows && rows.length > 1 && sides.some((q) => q.kind === 'expr')) return undefined;
  const sizes = lowered.vars.map((v) => numel(v.shape).value);
  const inputs = rows
    ? rows.map((k) => ({ name: partInput(k), size: sizes[k]! }))
    : [{ name: WHOLE, size: (upper as { node: Node }).node.shape.rows.value }];
  const roots = differentiate(lowered, derivatives, search, (g, m) => {
    const form = (q: MatrixSide): Node => {
      if (q.kind === 'hess') {
        // Σ_a Σ_b ⟨v_a, H_ab v_b⟩ over the block's vars.
        const part = (k: number): Node => g.given(partInput(k), shapeOf(numel(m.grads[k]!.shape)));
        return q.rows.flatMap((a) => q.cols.map((b) => g.inner(part(a), g.matmul(m.hess[a]![b]!, part(b))))).reduce((x, y) => g.add(x, y));
      }
      const node = m.node((q as { node: Node }).node);
      const v = g.given(inputs[0]!.name, shapeOf(node.shape.rows));
      return g.inner(v, g.matmul(node, v));
    };
    return lower ? g.sub(form(upper), form(lower)) : form(upper);
  });
  return roots && { roots, inputs };
}

/** ∇_θ (upper − lower) for a scalar inequality: the direction in which its slack shrinks fastest is minus this. */
export function scalarGradient(
  lowered: LoweredProgram,
  derivatives: Derivatives,
  upper: MatrixSide,
  lower: MatrixSide,
  search: readonly SamplingSpec[],
): SearchGradient | undefined {
  if (upper.kind !== 'expr' || lower.kind !== 'expr') return undefined;
  const roots = differentiate(lowered, derivatives, search, (g, m) => g.sub(m.node(upper.node), m.node(lower.node)));
  return roots && { roots, inputs: [] };
}

/** ∇_θ ½‖∇L‖² over the search specs (for Lipschitz claims on L itself). */
export function gradientNormGradient(
  lowered: LoweredProgram,
  derivatives: Derivatives,
  search: readonly SamplingSpec[],
): SearchGradient | undefined {
  const roots = differentiate(lowered, derivatives, search, (g, m) =>
    g.scale(
      g.num(0.5),
      m.grads.map((gr) => g.inner(gr, gr)).reduce((x, y) => g.add(x, y)),
    ),
  );
  return roots && { roots, inputs: [] };
}

interface Moved {
  grads: Node[];
  hess: Node[][];
  node(n: Node): Node;
}

/** The scaled gradient of phi over the search specs, as nodes of the lowered program's graph. */
function differentiate(
  lowered: LoweredProgram,
  derivatives: Derivatives,
  search: readonly SamplingSpec[],
  phiOf: (g: Graph, moved: Moved) => Node,
): Node[] | undefined {
  if (!search.length) return undefined;
  const names = new Set(search.map((s) => s.name));
  const scratch = new Graph();
  const toScratch = (roots: readonly Node[]): Node[] =>
    transplant(roots, scratch, (leaf, into) =>
      leaf.kind === 'var' || names.has(leaf.name) ? into.variable(leaf.name, leaf.shape) : into.given(leaf.name, leaf.shape),
    );
  const k = derivatives.grads.length;
  const moved = toScratch([...derivatives.grads, ...derivatives.hess.flat()]);
  const m: Moved = {
    grads: moved.slice(0, k),
    hess: derivatives.hess.map((_, a) => moved.slice(k + a * k, k + (a + 1) * k)),
    node: (n) => toScratch([n])[0]!,
  };
  let phi: Node;
  let grads: Node[];
  const declared = [...lowered.vars, ...lowered.givens] as (Node & { name: string })[];
  const leaves = search.map((s) => {
    const d = declared.find((n) => n.name === s.name)!;
    return scratch.variable(s.name, d.shape);
  });
  try {
    phi = phiOf(scratch, m);
    grads = gradient(scratch, phi, leaves).map((gr, i) => scratch.scale(scratch.num(specScale(search[i]!)), gr));
  } catch (e) {
    // An op without a rule for what became a variable here (kron with data, say): the search
    // falls back to random-direction (SPSA) estimates.
    if (e instanceof UnsupportedError) return undefined;
    throw e;
  }
  const givens = new Set(search.filter((s) => s.role === 'given').map((s) => s.name));
  return transplant(grads, lowered.graph, (leaf, into) =>
    leaf.kind === 'var' && !givens.has(leaf.name) ? into.variable(leaf.name, leaf.shape) : into.given(leaf.name, leaf.shape),
  );
}
