/**
 * Gradients by reverse mode over the IR (matrix-form cotangents) and Hessians by forward-mode
 * Jacobians of the gradient, block by block for several variables.
 */
import { type Graph, type Node, InternalError, UnsupportedError, assertKind, topoOrder } from './ir';
import { opDef } from './ops';
import { numel } from '../language/shape';

/** Runs a rule; a rule that cannot differentiate is reported at its node. */
function located<T>(node: Node, rule: () => T): T {
  try {
    return rule();
  } catch (e) {
    if (e instanceof UnsupportedError && !e.node) e.node = node;
    throw e;
  }
}

/**
 * Cotangents of every node that `root` depends on through differentiable paths, seeded with
 * `seed` at the root. Nodes for which `isBoundary` holds are not descended into; their cotangent is
 * reported instead (used for index-sum bodies, whose boundary is everything free of the index).
 */
function backprop(g: Graph, root: Node, seed: Node, isBoundary: (n: Node) => boolean): Map<Node, Node> {
  const order = topoOrder([root], (n) => n.vars.size > 0 && !(n !== root && isBoundary(n)));
  const adjoint = new Map<Node, Node>([[root, seed]]);
  const accumulate = (n: Node, contribution: Node | null): void => {
    if (!contribution || n.vars.size === 0) return;
    const prev = adjoint.get(n);
    adjoint.set(n, prev ? g.add(prev, contribution) : contribution);
  };
  const stops = (n: Node): boolean => n.kind === 'var' || (n !== root && isBoundary(n));
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const G = adjoint.get(node);
    if (!G || node.vars.size === 0 || stops(node)) continue;
    if (node.kind === 'indexSum') {
      const sum = assertKind(node, 'indexSum');
      const body = sum.args[0]!;
      const inner = backprop(g, body, G, (n) => !n.freeIndices.has(sum.index));
      for (const [b, Gb] of inner) accumulate(b, g.indexSum(sum.index, sum.lower, sum.upper, Gb));
      continue;
    }
    const contributions = located(node, () => opDef(node).vjp(g, node, G));
    node.args.forEach((arg, i) => accumulate(arg, contributions[i] ?? null));
  }
  // Boundary nodes may be reached only through a nested index sum, so collect them from the
  // finished adjoints rather than from the traversal.
  const boundary = new Map<Node, Node>();
  for (const [node, G] of adjoint) if (stops(node)) boundary.set(node, G);
  return boundary;
}

/** ∇_v L for each variable v, in v's own shape (a matrix variable gets a matrix gradient). */
export function gradient(g: Graph, loss: Node, vars: readonly Node[]): Node[] {
  const adj = backprop(g, loss, g.num(1), (n) => n.kind === 'var');
  return vars.map((v) => adj.get(v) ?? g.zeros(v.shape));
}

/** Jacobian of vec(expr) with respect to vec(variable): numel(expr) × numel(variable). */
export function jacobian(g: Graph, expr: Node, variable: Node): Node {
  const name = assertKind(variable, 'var').name;
  const memo = new Map<Node, Node | null>();
  const order = topoOrder([expr], (n) => n.vars.has(name));
  for (const node of order) {
    if (!node.vars.has(name)) {
      memo.set(node, null);
      continue;
    }
    if (node === variable) {
      memo.set(node, g.identity(numel(variable.shape)));
      continue;
    }
    const argJ = node.args.map((a) => {
      const j = memo.get(a);
      if (j === undefined) throw new InternalError(`jacobian: argument of ${node.kind} visited out of order`);
      return j;
    });
    memo.set(
      node,
      located(node, () => opDef(node).jac(g, node, argJ)),
    );
  }
  return memo.get(expr) ?? g.zeros({ rows: numel(expr.shape), cols: numel(variable.shape) });
}

/** Hessian blocks H[a][b] = ∂ vec(∇_a L) / ∂ vec(b). */
export function hessian(g: Graph, grads: readonly Node[], vars: readonly Node[]): Node[][] {
  return grads.map((ga) => vars.map((vb) => jacobian(g, g.vec(ga), vb)));
}
