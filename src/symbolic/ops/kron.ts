/** The Kronecker product A ⊗ B, with variables on either side. */
import { dimMul, literalDim, shapeOf } from '../../language/shape';
import type { Node } from '../ir';
import { Prec } from '../syntax';
import { addAll, times } from './common';
import type { FunctionDef, OpDef } from './types';

export const kronOp: OpDef<'kron'> = {
  kind: 'kron',
  rebuild: (g, _n, [a, b]) => g.kron(a!, b!),
  /**
   * For A ∈ R^{m×n}, B ∈ R^{p×q} and G the cotangent of A ⊗ B: the (i, j) entry of Ā is ⟨G's
   * (i, j) block, B⟩, i.e. Ā = (I_m ⊗ 1_pᵀ)(G ∘ (1_{m×n} ⊗ B))(I_n ⊗ 1_q), and likewise
   * B̄ = (1_mᵀ ⊗ I_p)(G ∘ (A ⊗ 1_{p×q}))(1_n ⊗ I_q).
   */
  vjp: (g, n, G) => {
    const [a, b] = n.args as [Node, Node];
    const [m, nn, p, q] = [a.shape.rows, a.shape.cols, b.shape.rows, b.shape.cols];
    const one = literalDim(1);
    const ones = (r: typeof m, c: typeof m) => g.ones(shapeOf(r, c));
    const ga =
      a.vars.size === 0
        ? null
        : g.matmul(
            g.matmul(g.kron(g.identity(m), ones(one, p)), g.hadamard(G, g.kron(ones(m, nn), b))),
            g.kron(g.identity(nn), ones(q, one)),
          );
    const gb =
      b.vars.size === 0
        ? null
        : g.matmul(
            g.matmul(g.kron(ones(one, m), g.identity(p)), g.hadamard(G, g.kron(a, ones(p, q)))),
            g.kron(ones(nn, one), g.identity(q)),
          );
    return [ga, gb];
  },
  /** Magnus–Neudecker: vec(A ⊗ B) = (I_n ⊗ K_{q,m} ⊗ I_p)(vec A ⊗ vec B). */
  jac: (g, n, [ja, jb]) => {
    const [a, b] = n.args as [Node, Node];
    const [m, nn, p, q] = [a.shape.rows, a.shape.cols, b.shape.rows, b.shape.cols];
    const perm = g.kron(g.kron(g.identity(nn), g.commutation(q, m)), g.identity(p));
    return addAll(g, [
      times(g, g.matmul(perm, g.kron(g.identity(dimMul(m, nn)), g.vec(b))), ja!),
      times(g, g.matmul(perm, g.kron(g.vec(a), g.identity(dimMul(p, q)))), jb!),
    ]);
  },
  kernel: (n, k) => {
    const [a, b] = [k.arg(0), k.arg(1)];
    const [ar, ac] = [n.args[0]!.shape.rows.value, n.args[0]!.shape.cols.value];
    const [br, bc] = [n.args[1]!.shape.rows.value, n.args[1]!.shape.cols.value];
    const rows = n.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      const y = b(ctx);
      const out = new Float64Array(rows * n.shape.cols.value);
      for (let ja = 0; ja < ac; ja++)
        for (let ia = 0; ia < ar; ia++) {
          const s = x[ia + ja * ar]!;
          if (s === 0) continue;
          for (let jb = 0; jb < bc; jb++) for (let ib = 0; ib < br; ib++) out[ia * br + ib + (ja * bc + jb) * rows] = s * y[ib + jb * br]!;
        }
      return out;
    };
  },
  print: (_n, p) => {
    if (!p.syntax.latex) return { text: p.syntax.call('kron', [p.arg(0).text, p.arg(1).text]), prec: Prec.Atom };
    const [a, b] = [p.wrap(p.arg(0), Prec.Postfix), p.wrap(p.arg(1), Prec.Postfix)];
    return { text: `${a} \\otimes ${b}`, prec: Prec.Hadamard };
  },
  numpy: (_n, e) => `np.kron(${e.arg(0)}, ${e.arg(1)})`,
};

export const KRON_FUNCTIONS: [string, FunctionDef][] = [
  [
    'kron',
    {
      arity: 2,
      shape: ([a, b]) => shapeOf(dimMul(a!.rows, b!.rows), dimMul(a!.cols, b!.cols)),
      lower: (g, [a, b]) => g.kron(a!, b!),
      doc: { params: ['A', 'B'], summary: 'Kronecker product A ⊗ B (variables on either side)' },
    },
  ],
];
