/** diag(v) (the diagonal matrix of a vector) and its inverse op diagvec(M) (the diagonal of a matrix). */
import { type Dim, dimEq, isColumn, shapeOf, shapeText } from '../../language/shape';
import type { Graph, Node } from '../ir';
import { Prec } from '../syntax';
import { shapeError, times } from './common';
import type { FunctionDef, OpDef } from './types';

/** D_n with vec(diag(v)) = D_n v: the n²×n matrix (I_n ⊗ 1_n) ∘ (1_n ⊗ I_n). */
function diagEmbedding(g: Graph, n: Dim): Node {
  const ones = g.ones(shapeOf(n));
  return g.hadamard(g.kron(g.identity(n), ones), g.kron(ones, g.identity(n)));
}

export const diagOp: OpDef<'diag'> = {
  kind: 'diag',
  rebuild: (g, _n, [a]) => g.diag(a!),
  vjp: (g, _n, G) => [g.diagvec(G)],
  jac: (g, n, [ja]) => times(g, diagEmbedding(g, n.shape.rows), ja!),
  kernel: (n, k) => {
    const a = k.arg(0);
    const rows = n.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      const out = new Float64Array(rows * rows);
      for (let i = 0; i < rows; i++) out[i + i * rows] = x[i]!;
      return out;
    };
  },
  print: (_n, p) => ({ text: p.syntax.call('diag', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `np.diag(${e.arg(0)}[:, 0])`,
};

export const diagvecOp: OpDef<'diagvec'> = {
  kind: 'diagvec',
  rebuild: (g, _n, [a]) => g.diagvec(a!),
  vjp: (g, _n, G) => [g.diag(G)],
  jac: (g, n, [ja]) => times(g, g.transpose(diagEmbedding(g, n.shape.rows)), ja!),
  kernel: (n, k) => {
    const a = k.arg(0);
    const rows = n.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      const out = new Float64Array(rows);
      for (let i = 0; i < rows; i++) out[i] = x[i + i * rows]!;
      return out;
    };
  },
  // Papers write diag(M) for the diagonal of a matrix too; the checker reads it back that way.
  print: (_n, p) => ({ text: p.syntax.call('diag', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `np.diag(${e.arg(0)}).reshape(-1, 1)`,
};

export const DIAG_FUNCTIONS: [string, FunctionDef][] = [
  [
    'diag',
    {
      arity: 1,
      shape: ([s], [t]) => {
        if (isColumn(s!)) return shapeOf(s!.rows, s!.rows);
        if (dimEq(s!.rows, s!.cols)) return shapeOf(s!.rows);
        return shapeError(
          `diag expects a vector (diag(v) is the diagonal matrix of v) or a square matrix (diag(M) is its diagonal), but ${t} is ${shapeText(s!)}`,
        );
      },
      lower: (g, [a]) => (isColumn(a!.shape) ? g.diag(a!) : g.diagvec(a!)),
      doc: { params: ['v'], summary: 'diag(v): the diagonal matrix of a vector; diag(M): the diagonal of a square matrix, as a vector' },
    },
  ],
];
