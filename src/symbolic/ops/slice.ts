/** Indexing: X[i, j], X[:, j], X[i, :], a member P[i] of a family of matrices, and index sums. */
import { dimDiv, isColumn } from '../../language/shape';
import { type Graph, InternalError, type NodeOf } from '../ir';
import { Prec } from '../syntax';
import { refValue } from './leaves';
import type { OpDef } from './types';

function sliceUnits(g: Graph, node: NodeOf<'slice'>) {
  const x = node.args[0]!;
  return {
    rowUnit: node.row ? g.unit(x.shape.rows, node.row) : null,
    colUnit: node.col ? g.unit(x.shape.cols, node.col) : null,
  };
}

export const sliceOp: OpDef<'slice'> = {
  kind: 'slice',
  attrs: ['row', 'col'],
  rebuild: (g, n, [a]) => g.slice(a!, n.row, n.col),
  vjp: (g, n, G) => {
    const { rowUnit, colUnit } = sliceUnits(g, n);
    let placed = G;
    if (rowUnit) placed = g.matmul(rowUnit, placed);
    if (colUnit) placed = g.matmul(placed, g.transpose(colUnit));
    return [placed];
  },
  jac: (g, n, [ja]) => {
    if (!ja) return null;
    const x = n.args[0]!;
    const { rowUnit, colUnit } = sliceUnits(g, n);
    const rowSel = rowUnit ? g.transpose(rowUnit) : g.identity(x.shape.rows);
    const colSel = colUnit ? g.transpose(colUnit) : g.identity(x.shape.cols);
    // vec(Eᵢᵀ X Eⱼ) = (Eⱼᵀ ⊗ Eᵢᵀ) vec X
    return g.matmul(g.kron(colSel, rowSel), ja);
  },
  kernel: (n, k) => {
    const a = k.arg(0);
    const { row, col } = n;
    const rows = n.shape.rows.value;
    const cols = n.shape.cols.value;
    const srcRows = n.args[0]!.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      const r0 = row ? refValue(ctx, row) - 1 : 0;
      const c0 = col ? refValue(ctx, col) - 1 : 0;
      const out = new Float64Array(rows * cols);
      for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = x[r0 + i + (c0 + j) * srcRows]!;
      return out;
    };
  },
  print: (n, p) => {
    const x = n.args[0]!;
    const r = n.row ? p.ref(n.row) : null;
    const c = isColumn(x.shape) ? undefined : n.col ? p.ref(n.col) : null;
    // A column of the identity is the unit vector e_j (the language reads it as I_n[:, j]).
    if (p.syntax.latex && !p.syntax.claims && x.kind === 'identity' && r === null && c) return { text: `e_{${c}}`, prec: Prec.Postfix };
    const base = p.wrap(p.arg(0), Prec.Atom);
    const text = p.syntax.latex
      ? `${base.includes('_') ? `{${base}}` : base}_{${r ?? '*'}${c === undefined ? '' : `,${c ?? '*'}`}}`
      : `${base}[${r ?? ':'}${c === undefined ? '' : `, ${c ?? ':'}`}]`;
    return { text, prec: Prec.Postfix };
  },
  numpy: (n, e) => {
    const rows = n.row ? `${e.ref(n.row)} - 1:${e.ref(n.row)}` : ':';
    const cols = n.col ? `${e.ref(n.col)} - 1:${e.ref(n.col)}` : ':';
    return `${e.arg(0)}[${rows}, ${cols}]`;
  },
};

export const rowBlockOp: OpDef<'rowBlock'> = {
  kind: 'rowBlock',
  attrs: ['index', 'size'],
  rebuild: (g, n, [a]) => g.rowBlock(a!, n.index, n.shape.rows),
  /** The cotangent placed in block i: (e_i ⊗ I_b) G. */
  vjp: (g, n, G) => {
    const x = n.args[0]!;
    const count = dimDiv(x.shape.rows, n.shape.rows);
    return [g.matmul(g.kron(g.unit(count, n.index), g.identity(n.shape.rows)), G)];
  },
  /** vec(E X) = (I ⊗ E) vec X with E = e_iᵀ ⊗ I_b. */
  jac: (g, n, [ja]) => {
    if (!ja) return null;
    const x = n.args[0]!;
    const count = dimDiv(x.shape.rows, n.shape.rows);
    const select = g.kron(g.transpose(g.unit(count, n.index)), g.identity(n.shape.rows));
    return g.matmul(g.kron(g.identity(x.shape.cols), select), ja);
  },
  kernel: (n, k) => {
    const a = k.arg(0);
    const rows = n.shape.rows.value;
    const cols = n.shape.cols.value;
    const srcRows = n.args[0]!.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      const r0 = (refValue(ctx, n.index) - 1) * rows;
      const out = new Float64Array(rows * cols);
      for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = x[r0 + i + j * srcRows]!;
      return out;
    };
  },
  print: (n, p) => {
    const base = p.wrap(p.arg(0), Prec.Atom);
    const i = p.ref(n.index);
    return { text: p.syntax.latex ? `${base.includes('_') ? `{${base}}` : base}_{${i}}` : `${base}[${i}]`, prec: Prec.Postfix };
  },
  numpy: (n, e) => `${e.arg(0)}[(${e.ref(n.index)} - 1) * ${n.size}:${e.ref(n.index)} * ${n.size}, :]`,
};

export const indexSumOp: OpDef<'indexSum'> = {
  kind: 'indexSum',
  attrs: ['index', 'lower', 'upper'],
  rebuild: (g, n, [a]) => g.indexSum(n.index, n.lower, n.upper, a!),
  vjp: () => {
    throw new InternalError('index sums are differentiated by the driver (diff.ts), not by a local rule');
  },
  jac: (g, n, [jb]) => (jb ? g.indexSum(n.index, n.lower, n.upper, jb) : null),
  kernel: (n, k) => {
    const body = k.arg(0);
    const { index, lower, upper } = n;
    const size = n.shape.rows.value * n.shape.cols.value;
    return (ctx) => {
      const out = new Float64Array(size);
      const saved = ctx.indices.get(index);
      for (let j = lower; j <= upper; j++) {
        ctx.indices.set(index, j);
        const v = body(ctx);
        for (let i = 0; i < size; i++) out[i]! += v[i]!;
      }
      if (saved === undefined) ctx.indices.delete(index);
      else ctx.indices.set(index, saved);
      return out;
    };
  },
  print: (n, p) =>
    p.bind(n.index, (i) => {
      const body = p.wrap(p.arg(0), Prec.Product);
      const upper = n.upperName === undefined ? String(n.upper) : p.syntax.name(n.upperName);
      const text = p.syntax.latex ? `\\sum_{${i}=${n.lower}}^{${upper}} ${body}` : `sum_{${i}=${n.lower}}^{${upper}} ${body}`;
      return { text, prec: Prec.Neg };
    }),
  numpy: () => {
    throw new InternalError('index sums are emitted as loops');
  },
};
