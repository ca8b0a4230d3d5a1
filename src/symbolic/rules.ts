/**
 * Differentiation rules, one entry per IR op, in the style of jax's `primitive_jvps` /
 * `primitive_transposes` tables:
 * - `vjp`: reverse mode. Given the cotangent G (same shape as the node) it returns each argument's
 *   cotangent contribution; this yields gradients in matrix form (Aᵀ G, G Bᵀ, f ∘ G − <f, G> f).
 * - `jac`: forward mode on Jacobians of vec(·) with respect to one variable of size N
 *   (Magnus–Neudecker: d vec(AXB) = (Bᵀ ⊗ A) d vec X). Given the arguments' Jacobians (null = zero)
 *   it returns the node's, an expression of shape numel(node) × N; used to differentiate gradients
 *   into Hessians such as Aᵀ B(x) A.
 * A missing rule throws UnsupportedError naming the op; the elaborator turns it into a diagnostic.
 */
import { type ElementwiseFn, type Graph, type Kind, type Node, type NodeOf, UnsupportedError, assertKind } from './ir';
import { isColumn, isRow, isScalarShape, literalDim, numel, shapeOf } from '../language/shape';

export type VjpRule = (g: Graph, node: Node, cotangent: Node) => (Node | null)[];
export type JacRule = (g: Graph, node: Node, argJacobians: (Node | null)[]) => Node | null;

interface Rule {
  vjp: VjpRule;
  jac: JacRule;
}

/** Sum of possibly-zero (null) terms. */
export function addAll(g: Graph, terms: (Node | null)[]): Node | null {
  let acc: Node | null = null;
  for (const t of terms) if (t) acc = acc ? g.add(acc, t) : t;
  return acc;
}

/** M · J, or null when J is zero. */
function times(g: Graph, m: Node, j: Node | null): Node | null {
  return j ? g.matmul(m, j) : null;
}

/** diag(vec d) · J, kept as a Hadamard scaling for scalars. */
function diagTimes(g: Graph, d: Node, j: Node | null): Node | null {
  if (!j) return null;
  if (isScalarShape(d.shape)) return g.scale(d, j);
  return g.matmul(g.diag(g.vec(d)), j);
}

const leaf: Rule = { vjp: () => [], jac: () => null };

function unsupported(op: string, what: string): Rule {
  const fail = (): never => {
    throw new UnsupportedError(op, `Differentiation rule for '${op}' not implemented: ${what}`);
  };
  return { vjp: fail, jac: fail };
}

/** f'(a) for the elementwise functions, as an IR node of a's shape. */
export function elementwiseDerivative(g: Graph, fn: ElementwiseFn, a: Node, fa: Node): Node {
  const ones = g.ones(a.shape);
  switch (fn) {
    case 'exp':
      return fa;
    case 'log':
      return g.divide(ones, a);
    case 'cosh':
      return g.fn('sinh', a);
    case 'sinh':
      return g.fn('cosh', a);
    case 'tanh':
      return g.sub(ones, g.hadamard(fa, fa));
    case 'sigmoid':
      return g.hadamard(fa, g.sub(ones, fa));
    case 'sqrt':
      return g.divide(g.scale(g.num(0.5), ones), fa);
    case 'relu':
      return g.fn('step', a);
    case 'abs':
      return g.fn('sign', a);
    case 'step':
    case 'sign':
      return g.zeros(a.shape);
  }
}

/** Functions whose derivative holds only almost everywhere (kinks at 0). */
export const ALMOST_EVERYWHERE: ReadonlySet<ElementwiseFn> = new Set(['relu', 'abs', 'step', 'sign']);

function sliceUnits(g: Graph, node: NodeOf<'slice'>): { rowUnit: Node | null; colUnit: Node | null } {
  const x = node.args[0]!;
  return {
    rowUnit: node.row ? g.unit(x.shape.rows, node.row) : null,
    colUnit: node.col ? g.unit(x.shape.cols, node.col) : null,
  };
}

export const RULES: Record<Kind, Rule> = {
  var: leaf,
  given: leaf,
  const: leaf,
  num: leaf,
  identity: leaf,
  ones: leaf,
  zeros: leaf,
  unit: leaf,
  indexValue: leaf,
  commutation: leaf,

  add: {
    vjp: (_g, _n, G) => [G, G],
    jac: (g, _n, [ja, jb]) => addAll(g, [ja!, jb!]),
  },

  scale: {
    vjp: (g, n, G) => {
      const [s, m] = n.args as [Node, Node];
      return [g.inner(G, m), g.scale(s, G)];
    },
    jac: (g, n, [js, jm]) => {
      const [s, m] = n.args as [Node, Node];
      return addAll(g, [js ? g.matmul(g.vec(m), js) : null, jm ? g.scale(s, jm) : null]);
    },
  },

  matmul: {
    vjp: (g, n, G) => {
      const [a, b] = n.args as [Node, Node];
      return [g.matmul(G, g.transpose(b)), g.matmul(g.transpose(a), G)];
    },
    jac: (g, n, [ja, jb]) => {
      const [a, b] = n.args as [Node, Node];
      const m = a.shape.rows;
      const p = b.shape.cols;
      return addAll(g, [times(g, g.kron(g.transpose(b), g.identity(m)), ja!), times(g, g.kron(g.identity(p), a), jb!)]);
    },
  },

  hadamard: {
    vjp: (g, n, G) => {
      const [a, b] = n.args as [Node, Node];
      return [g.hadamard(G, b), g.hadamard(G, a)];
    },
    jac: (g, n, [ja, jb]) => {
      const [a, b] = n.args as [Node, Node];
      return addAll(g, [diagTimes(g, b, ja!), diagTimes(g, a, jb!)]);
    },
  },

  divide: {
    vjp: (g, n, G) => {
      const [a, b] = n.args as [Node, Node];
      return [g.divide(G, b), g.neg(g.hadamard(G, g.divide(a, g.hadamard(b, b))))];
    },
    jac: (g, n, [ja, jb]) => {
      const [a, b] = n.args as [Node, Node];
      return addAll(g, [
        diagTimes(g, g.divide(g.ones(b.shape), b), ja!),
        jb ? g.neg(diagTimes(g, g.divide(a, g.hadamard(b, b)), jb)!) : null,
      ]);
    },
  },

  transpose: {
    vjp: (g, _n, G) => [g.transpose(G)],
    jac: (g, n, [ja]) => {
      const a = n.args[0]!;
      if (!ja || isColumn(a.shape) || isRow(a.shape)) return ja!;
      return g.matmul(g.commutation(a.shape.rows, a.shape.cols), ja);
    },
  },

  kron: unsupported('kron', 'kron(A, B) may only involve data (givens, constants), not the variables'),

  fn: {
    vjp: (g, n, G) => {
      const f = assertKind(n, 'fn');
      return [g.hadamard(G, elementwiseDerivative(g, f.fn, f.args[0]!, n))];
    },
    jac: (g, n, [ja]) => {
      const f = assertKind(n, 'fn');
      return diagTimes(g, elementwiseDerivative(g, f.fn, f.args[0]!, n), ja!);
    },
  },

  pow: {
    vjp: (g, n, G) => {
      const [b, e] = n.args as [Node, Node];
      const db = g.scale(e, g.pow(b, g.sub(e, g.num(1))));
      return [g.mulScalars(G, db), e.vars.size > 0 ? g.mulScalars(G, g.mulScalars(g.fn('log', b), n)) : null];
    },
    jac: (g, n, [jb, je]) => {
      const [b, e] = n.args as [Node, Node];
      const db = g.scale(e, g.pow(b, g.sub(e, g.num(1))));
      return addAll(g, [jb ? g.scale(db, jb) : null, je ? g.scale(g.mulScalars(g.fn('log', b), n), je) : null]);
    },
  },

  inner: {
    vjp: (g, n, G) => {
      const [a, b] = n.args as [Node, Node];
      return [g.scale(G, b), g.scale(G, a)];
    },
    jac: (g, n, [ja, jb]) => {
      const [a, b] = n.args as [Node, Node];
      return addAll(g, [times(g, g.transpose(g.vec(b)), ja!), times(g, g.transpose(g.vec(a)), jb!)]);
    },
  },

  sum: {
    vjp: (g, n, G) => [g.scale(G, g.ones(n.args[0]!.shape))],
    jac: (g, n, [ja]) => times(g, g.ones(shapeOf(literalDim(1), numel(n.args[0]!.shape))), ja!),
  },

  trace: {
    vjp: (g, n, G) => [g.scale(G, g.identity(n.args[0]!.shape.rows))],
    jac: (g, n, [ja]) => times(g, g.transpose(g.vec(g.identity(n.args[0]!.shape.rows))), ja!),
  },

  diag: {
    vjp: (g, _n, G) => [g.diagvec(G)],
    jac: () => {
      throw new UnsupportedError(
        'diag',
        "Differentiation rule for 'diag' not implemented: the Hessian through diag(v) with v depending on the variable; write v ∘ (…) instead of diag(v) (…)",
      );
    },
  },

  diagvec: unsupported('diagvec', 'the diagonal of a matrix that depends on the variable'),

  vec: {
    vjp: (g, n, G) => [g.unvec(G, n.args[0]!.shape)],
    jac: (_g, _n, [ja]) => ja!,
  },

  unvec: {
    vjp: (g, _n, G) => [g.vec(G)],
    jac: (_g, _n, [ja]) => ja!,
  },

  norm: {
    vjp: (g, n, G) => {
      const a = n.args[0]!;
      return [g.scale(g.mulScalars(G, g.pow(n, g.num(-1))), a)];
    },
    jac: (g, n, [ja]) => {
      const a = n.args[0]!;
      return ja ? g.scale(g.pow(n, g.num(-1)), g.matmul(g.transpose(g.vec(a)), ja)) : null;
    },
  },

  slice: {
    vjp: (g, n, G) => {
      const s = assertKind(n, 'slice');
      const { rowUnit, colUnit } = sliceUnits(g, s);
      let placed = G;
      if (rowUnit) placed = g.matmul(rowUnit, placed);
      if (colUnit) placed = g.matmul(placed, g.transpose(colUnit));
      return [placed];
    },
    jac: (g, n, [ja]) => {
      if (!ja) return null;
      const s = assertKind(n, 'slice');
      const x = s.args[0]!;
      const { rowUnit, colUnit } = sliceUnits(g, s);
      const rowSel = rowUnit ? g.transpose(rowUnit) : g.identity(x.shape.rows);
      const colSel = colUnit ? g.transpose(colUnit) : g.identity(x.shape.cols);
      // vec(Eᵢᵀ X Eⱼ) = (Eⱼᵀ ⊗ Eᵢᵀ) vec X
      return g.matmul(g.kron(colSel, rowSel), ja);
    },
  },

  indexSum: {
    vjp: () => {
      throw new UnsupportedError('indexSum', 'index sums are differentiated by the driver, not by a local rule');
    },
    jac: (g, n, [jb]) => {
      const s = assertKind(n, 'indexSum');
      return jb ? g.indexSum(s.index, s.lower, s.upper, jb) : null;
    },
  },

  softmax: {
    vjp: (g, n, G) => [g.sub(g.hadamard(n, G), g.scale(g.inner(n, G), n))],
    jac: (g, n, [jz]) => (jz ? g.matmul(g.sub(g.diag(n), g.matmul(n, g.transpose(n))), jz) : null),
  },

  normalize: {
    vjp: (g, n, G) => {
      const u = n.args[0]!;
      const invSum = g.pow(g.inner(u, g.ones(u.shape)), g.num(-1));
      return [g.scale(invSum, g.sub(G, g.scale(g.inner(n, G), g.ones(u.shape))))];
    },
    jac: (g, n, [ju]) => {
      if (!ju) return null;
      const u = n.args[0]!;
      const invSum = g.pow(g.inner(u, g.ones(u.shape)), g.num(-1));
      const proj = g.sub(g.identity(u.shape.rows), g.matmul(n, g.transpose(g.ones(u.shape))));
      return g.scale(invSum, g.matmul(proj, ju));
    },
  },
};
