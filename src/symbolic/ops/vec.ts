/**
 * vec (column-major), its inverse unvec, and the commutation matrix K_{m,n} with
 * vec(Xᵀ) = K_{m,n} vec(X) for X ∈ R^{m×n}. The row-major vec_r(X) is vec(Xᵀ), a derived op.
 */
import { isColumn, isRow, numel, shapeOf } from '../../language/shape';
import { Prec } from '../syntax';
import { LEAF, constantKernel } from './common';
import type { FunctionDef, OpDef } from './types';

export const vecOp: OpDef<'vec'> = {
  kind: 'vec',
  rebuild: (g, _n, [a]) => g.vec(a!),
  vjp: (g, n, G) => [g.unvec(G, n.args[0]!.shape)],
  jac: (_g, _n, [ja]) => ja!,
  // Column-major storage: vec and its inverse are the same numbers.
  kernel: (_n, k) => k.arg(0),
  print: (n, p) => {
    const a = n.args[0]!;
    // vec(Xᵀ) is how the tensor-trick papers' row-major vec_r(X) is stored.
    if (a.kind === 'transpose' && !isColumn(a.shape) && !isRow(a.shape))
      return {
        text: p.syntax.latex ? `\\mathrm{vec}_r\\left(${p.print(a.args[0]!).text}\\right)` : `vec_r(${p.print(a.args[0]!).text})`,
        prec: Prec.Atom,
      };
    return { text: p.syntax.call('vec', [p.arg(0).text]), prec: Prec.Atom };
  },
  numpy: (_n, e) => `${e.arg(0)}.reshape(-1, 1, order="F")`,
};

export const unvecOp: OpDef<'unvec'> = {
  kind: 'unvec',
  rebuild: (g, n, [a]) => g.unvec(a!, n.shape),
  vjp: (g, _n, G) => [g.vec(G)],
  jac: (_g, _n, [ja]) => ja!,
  kernel: (_n, k) => k.arg(0),
  print: (n, p) => {
    const S = p.syntax;
    const [r, c] = [S.dim(n.shape.rows), S.dim(n.shape.cols)];
    if (S.latex && !S.claims) return { text: `\\mathrm{vec}^{-1}_{${r}\\times ${c}}\\left(${p.arg(0).text}\\right)`, prec: Prec.Atom };
    // The language has no unvec: column j of the matrix is block j of v, kron(e_jᵀ, I_r) v.
    return p.bind('$column', (j) => {
      const v = p.wrap(p.arg(0), Prec.Product);
      if (S.latex) {
        const unit = S.transpose(`I_{${c}}[:, ${j}]`);
        return { text: `\\sum_{${j}=1}^{${c}} \\left(${unit} \\otimes I_{${r}}\\right) ${v} ${unit}`, prec: Prec.Neg };
      }
      return { text: `sum_{${j}=1}^{${c}} kron(I_${c}[:, ${j}]^T, I_${r}) ${v} I_${c}[:, ${j}]^T`, prec: Prec.Neg };
    });
  },
  numpy: (_n, e) => `${e.arg(0)}.reshape(${e.rows}, ${e.cols}, order="F")`,
};

export const commutationOp: OpDef<'commutation'> = {
  kind: 'commutation',
  attrs: ['m', 'n'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (node) => {
    const { m, n } = node;
    const rows = node.shape.rows.value;
    const out = new Float64Array(rows * rows);
    for (let i = 0; i < m.value; i++) for (let j = 0; j < n.value; j++) out[j + i * n.value + (i + j * m.value) * rows] = 1;
    return constantKernel(out);
  },
  print: (n, p) => ({ text: `K_{${p.syntax.dim(n.m)},${p.syntax.dim(n.n)}}`, prec: Prec.Atom }),
  numpy: (n) => `_commutation(${n.m.value}, ${n.n.value})`,
  pyHelpers: (_n, flavor) => ({
    _commutation: `def _commutation(m, n):
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k = ${flavor === 'jax' ? 'k.at[j + i * n, i + j * m].set(1.0)' : '_set(k, j + i * n, i + j * m)'}
    return k`,
    ...(flavor === 'numpy' ? { _set: 'def _set(k, i, j):\n    k[i, j] = 1.0\n    return k' } : {}),
  }),
};

export const VEC_FUNCTIONS: [string, FunctionDef][] = [
  [
    'vec',
    {
      arity: 1,
      shape: ([s]) => shapeOf(numel(s!)),
      lower: (g, [a]) => g.vec(a!),
      doc: { params: ['X'], summary: 'the columns of X stacked into one vector (column-major)' },
    },
  ],
  [
    'vec_r',
    {
      arity: 1,
      shape: ([s]) => shapeOf(numel(s!)),
      lower: (g, [a]) => g.vec(g.transpose(a!)),
      doc: { params: ['X'], summary: 'the rows of X stacked into one vector (row-major): vec(X^T) = K_{m,n} vec(X)' },
    },
  ],
];
