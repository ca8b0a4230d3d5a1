/**
 * Readability pass for derived results: in every sum, terms that share a leading or trailing
 * matrix factor are grouped, so Aᵀ X A + Aᵀ Y A prints as Aᵀ (X + Y) A — the matrix form a paper
 * prints. Only exact node identity is used, so the pass never changes a value.
 */
import { isScalarShape } from '../language/shape';
import { type Graph, type Node, topoOrder } from './ir';
import { opDef } from './ops';

interface Term {
  /** Scalar coefficient (null = 1). */
  coef: Node | null;
  chain: Node[];
}

function chainOf(g: Graph, n: Node): Node[] {
  if (n.kind === 'matmul' && !g.names.has(n.id)) return [...chainOf(g, n.args[0]!), ...chainOf(g, n.args[1]!)];
  return [n];
}

function termOf(g: Graph, n: Node): Term {
  if (n.kind === 'scale' && !isScalarShape(n.shape)) {
    const inner = termOf(g, n.args[1]!);
    return { coef: inner.coef ? g.mulScalars(n.args[0]!, inner.coef) : n.args[0]!, chain: inner.chain };
  }
  return { coef: null, chain: chainOf(g, n) };
}

function product(g: Graph, chain: Node[]): Node {
  return chain.reduce((acc, f) => g.matmul(acc, f));
}

/** Terms of a sum, with numeric coefficients distributed over inner sums: −(a + b) → −a, −b. */
function termsOf(g: Graph, n: Node): Node[] {
  if (n.kind === 'add') return [...termsOf(g, n.args[0]!), ...termsOf(g, n.args[1]!)];
  const [c, rest] = g.splitCoefficient(n);
  if (c !== 1 && rest.kind === 'add') return termsOf(g, rest).map((t) => g.scale(g.num(c), t));
  return [n];
}

function rebuild(g: Graph, t: Term): Node {
  const p = product(g, t.chain);
  return t.coef ? g.scale(t.coef, p) : p;
}

/** Group terms by a shared first (side = 'left') or last factor; returns the new list of terms. */
function groupBy(g: Graph, terms: Term[], side: 'left' | 'right'): Term[] {
  // A one-factor term joins a group too (t·S with S shared becomes t·I inside the bracket), but
  // only structural factors are worth pulling out, not a lone vector or scalar.
  const pick = (t: Term): Node | undefined => {
    const f = side === 'left' ? t.chain[0] : t.chain[t.chain.length - 1];
    if (!f || (t.chain.length === 1 && (isScalarShape(f.shape) || f.shape.cols.value === 1 || f.shape.rows.value === 1))) return undefined;
    return f;
  };
  const groups = new Map<number, Term[]>();
  const out: (Term | number)[] = [];
  for (const t of terms) {
    const f = pick(t);
    if (!f) {
      out.push(t);
      continue;
    }
    const list = groups.get(f.id);
    if (list) list.push(t);
    else {
      groups.set(f.id, [t]);
      out.push(f.id);
    }
  }
  return out.map((entry) => {
    if (typeof entry !== 'number') return entry;
    const list = groups.get(entry)!;
    if (list.length === 1) return list[0]!;
    if (list.every((t) => t.chain.length === 1)) {
      // s₁ M + s₂ M → (s₁ + s₂) M
      const coef = list.map((t) => t.coef ?? g.num(1)).reduce((acc, c) => g.add(acc, c));
      return { coef, chain: list[0]!.chain };
    }
    const shared = side === 'left' ? list[0]!.chain[0]! : list[0]!.chain[list[0]!.chain.length - 1]!;
    const unit = g.identity(side === 'left' ? shared.shape.cols : shared.shape.rows);
    const rests = list.map((t) => {
      const chain = side === 'left' ? t.chain.slice(1) : t.chain.slice(0, -1);
      return rebuild(g, { coef: t.coef, chain: chain.length > 0 ? chain : [unit] });
    });
    const inner = factorSum(g, rests);
    return { coef: null, chain: side === 'left' ? [shared, ...chainOf(g, inner)] : [...chainOf(g, inner), shared] };
  });
}

/**
 * Terms sharing a symbolic scalar coefficient: α⁻¹ t₁ + α⁻¹ t₂ → α⁻¹ (t₁ + t₂), and
 * α⁻¹ t₁ − 2 α⁻¹ t₂ → α⁻¹ (t₁ − 2 t₂) (numbers stay with their terms).
 */
function groupByCoefficient(g: Graph, terms: Term[]): Term[] {
  const groups = new Map<number, { coef: Node; parts: Node[] }>();
  const out: (Term | number)[] = [];
  for (const t of terms) {
    const [c, symbolic] = t.coef ? g.splitCoefficient(t.coef) : [1, undefined];
    if (!symbolic || symbolic.kind === 'num') {
      out.push(t);
      continue;
    }
    const part = g.scale(g.num(c), product(g, t.chain));
    const group = groups.get(symbolic.id);
    if (group) group.parts.push(part);
    else {
      groups.set(symbolic.id, { coef: symbolic, parts: [part] });
      out.push(symbolic.id);
    }
  }
  return out.map((entry) => {
    if (typeof entry !== 'number') return entry;
    const { coef, parts } = groups.get(entry)!;
    if (parts.length === 1) return termOf(g, g.scale(coef, parts[0]!));
    return { coef, chain: chainOf(g, factorSum(g, parts)) };
  });
}

/** Like terms: 0.5 X + 0.5 X → X. */
function combineLikeTerms(g: Graph, nodes: Node[]): Node[] {
  const coefs = new Map<number, { node: Node; coef: number }>();
  for (const n of nodes) {
    const [c, rest] = g.splitCoefficient(n);
    const entry = coefs.get(rest.id);
    if (entry) entry.coef += c;
    else coefs.set(rest.id, { node: rest, coef: c });
  }
  return [...coefs.values()].filter((e) => e.coef !== 0).map((e) => g.scale(g.num(e.coef), e.node));
}

function factorSum(g: Graph, nodes: Node[]): Node {
  // Terms that cancel leave a zero of the sum's shape (a scalar 0 would change the shape of a product it sits in).
  const shape = nodes[0]!.shape;
  nodes = combineLikeTerms(
    g,
    nodes.flatMap((n) => termsOf(g, n)),
  );
  if (nodes.length === 0) return g.zeros(shape);
  let terms = nodes.map((n) => termOf(g, n));
  if (terms.length > 1) {
    terms = groupByCoefficient(g, terms);
    terms = groupBy(g, terms, 'left');
    terms = groupBy(g, terms, 'right');
  }
  return terms.map((t) => rebuild(g, t)).reduce((acc, t) => g.add(acc, t));
}

/**
 * Past this many nodes an expression is left as derived: factoring is for reading, and its cost
 * grows faster than the expression (deep chains of lets would take seconds per keystroke).
 */
export const MAX_FACTOR_NODES = 1500;

/** Factor every sum in the expression, bottom-up. */
export function factorCommon(g: Graph, root: Node): Node {
  const order = topoOrder([root]);
  if (order.length > MAX_FACTOR_NODES) return root;
  // Regrouping creates nodes; if it creates many times more than the expression has, give up.
  const start = g.size;
  const budget = 8 * order.length + 2000;
  const memo = new Map<number, Node>();
  for (const n of order) {
    if (g.size - start > budget) return root;
    const args = n.args.map((a) => memo.get(a.id)!);
    let out = args.every((a, i) => a === n.args[i]) ? n : rebuildWithArgs(g, n, args);
    if (out.kind === 'add') out = factorSum(g, [out]);
    if (g.names.has(n.id) && out !== n && !g.names.has(out.id)) g.names.set(out.id, g.names.get(n.id)!);
    memo.set(n.id, out);
  }
  return memo.get(root.id)!;
}

/** The same operation applied to new arguments, through the smart constructors. */
export function rebuildWithArgs(g: Graph, n: Node, args: Node[]): Node {
  return opDef(n).rebuild(g, n, args);
}
