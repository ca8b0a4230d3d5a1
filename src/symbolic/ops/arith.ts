/** Sums, scalings, products (matrix and Hadamard), elementwise division, transposes, scalar powers. */
import { isColumn, isRow } from '../../language/shape';
import type { Node } from '../ir';
import { Prec } from '../syntax';
import { addAll, diagTimes, productKernel, quotientKernel, sumKernel, times } from './common';
import type { OpDef } from './types';

function flattenAdd(n: Node): Node[] {
  if (n.kind !== 'add') return [n];
  return [...flattenAdd(n.args[0]!), ...flattenAdd(n.args[1]!)];
}

export const addOp: OpDef<'add'> = {
  kind: 'add',
  rebuild: (g, _n, [a, b]) => g.add(a!, b!),
  vjp: (_g, _n, G) => [G, G],
  jac: (g, _n, [ja, jb]) => addAll(g, [ja!, jb!]),
  kernel: (n, k) => sumKernel(n, k, n.shape.rows.value * n.shape.cols.value),
  print: (n, p) => {
    let text = '';
    flattenAdd(n).forEach((t, i) => {
      const negative = t.kind === 'scale' && t.args[0]!.kind === 'num' && t.args[0]!.value < 0;
      if (i === 0) {
        text = p.wrap(p.print(t), Prec.Sum);
      } else if (negative) {
        const c = -(t.args[0] as Node & { value: number }).value;
        const rest = p.print(t.args[1]!);
        text += ` - ${c === 1 ? p.wrap(rest, Prec.Hadamard) : `${p.syntax.num(c)} ${p.wrap(rest, Prec.Product)}`}`;
      } else {
        text += ` + ${p.wrap(p.print(t), Prec.Hadamard)}`;
      }
    });
    return { text, prec: Prec.Sum };
  },
  numpy: (_n, e) => `${e.arg(0)} + ${e.arg(1)}`,
};

export const scaleOp: OpDef<'scale'> = {
  kind: 'scale',
  rebuild: (g, _n, [a, b]) => g.scale(a!, b!),
  vjp: (g, n, G) => {
    const [s, m] = n.args as [Node, Node];
    return [g.inner(G, m), g.scale(s, G)];
  },
  jac: (g, n, [js, jm]) => {
    const [s, m] = n.args as [Node, Node];
    return addAll(g, [js ? g.matmul(g.vec(m), js) : null, jm ? g.scale(s, jm) : null]);
  },
  kernel: (n, k) => {
    const [s, m] = [k.arg(0), k.arg(1)];
    const size = n.shape.rows.value * n.shape.cols.value;
    return (ctx) => {
      const c = s(ctx)[0]!;
      const x = m(ctx);
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[i] = c * x[i]!;
      return out;
    };
  },
  print: (n, p) => {
    const [s, m] = n.args as [Node, Node];
    if (s.kind === 'num' && s.value === -1) return { text: `-${p.wrap(p.arg(1), Prec.Product)}`, prec: Prec.Neg };
    const left = s.kind === 'num' ? p.syntax.num(s.value) : p.wrap(p.arg(0), Prec.Postfix);
    return { text: `${left} ${p.wrap(p.print(m), Prec.Product)}`, prec: s.kind === 'num' && s.value < 0 ? Prec.Neg : Prec.Product };
  },
  numpy: (_n, e) => `${e.arg(0)} * ${e.arg(1)}`,
};

export const matmulOp: OpDef<'matmul'> = {
  kind: 'matmul',
  rebuild: (g, _n, [a, b]) => g.matmul(a!, b!),
  vjp: (g, n, G) => {
    const [a, b] = n.args as [Node, Node];
    return [g.matmul(G, g.transpose(b)), g.matmul(g.transpose(a), G)];
  },
  jac: (g, n, [ja, jb]) => {
    const [a, b] = n.args as [Node, Node];
    return addAll(g, [times(g, g.kron(g.transpose(b), g.identity(a.shape.rows)), ja!), times(g, g.kron(g.identity(b.shape.cols), a), jb!)]);
  },
  kernel: (n, k) => {
    const [left, right] = n.args as [Node, Node];
    const rows = n.shape.rows.value;
    const cols = n.shape.cols.value;
    const size = rows * cols;
    // diag(v)·X and X·diag(v) scale rows / columns: O(size), no dense diagonal matrix.
    if (left.kind === 'diag') {
      const v = k.of(left.args[0]!);
      const x = k.arg(1);
      return (ctx) => {
        const d = v(ctx);
        const m = x(ctx);
        const out = new Float64Array(size);
        for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = d[i]! * m[i + j * rows]!;
        return out;
      };
    }
    if (right.kind === 'diag') {
      const v = k.of(right.args[0]!);
      const x = k.arg(0);
      return (ctx) => {
        const d = v(ctx);
        const m = x(ctx);
        const out = new Float64Array(size);
        for (let j = 0; j < cols; j++) {
          const s = d[j]!;
          for (let i = 0; i < rows; i++) out[i + j * rows] = s * m[i + j * rows]!;
        }
        return out;
      };
    }
    const inner = left.shape.cols.value;
    const b = k.arg(1);
    // Aᵀ·B straight from A (a given's transpose would otherwise be copied at every point).
    if (left.kind === 'transpose' && left.args[0]!.kind !== 'diag') {
      const a = k.of(left.args[0]!);
      return (ctx) => k.la.matmulTransposedLeft(a(ctx), b(ctx), rows, inner, cols);
    }
    const a = k.arg(0);
    return (ctx) => k.la.matmul(a(ctx), b(ctx), rows, inner, cols);
  },
  // The product is associative: Aᵀ (B A) prints as Aᵀ B A, as papers write it.
  print: (n, p) => {
    const right = p.arg(1);
    const bare = n.args[1]!.kind === 'matmul' && right.prec === Prec.Product;
    return { text: `${p.wrap(p.arg(0), Prec.Product)} ${bare ? right.text : p.wrap(right, Prec.Postfix)}`, prec: Prec.Product };
  },
  numpy: (_n, e) => `${e.arg(0)} @ ${e.arg(1)}`,
};

export const hadamardOp: OpDef<'hadamard'> = {
  kind: 'hadamard',
  rebuild: (g, _n, [a, b]) => g.hadamard(a!, b!),
  vjp: (g, n, G) => {
    const [a, b] = n.args as [Node, Node];
    return [g.hadamard(G, b), g.hadamard(G, a)];
  },
  jac: (g, n, [ja, jb]) => {
    const [a, b] = n.args as [Node, Node];
    return addAll(g, [diagTimes(g, b, ja!), diagTimes(g, a, jb!)]);
  },
  kernel: (n, k) => productKernel(k.arg(0), k.arg(1), n.shape.rows.value * n.shape.cols.value),
  print: (_n, p) => ({
    text: `${p.wrap(p.arg(0), Prec.Hadamard)}${p.syntax.latex ? ' \\circ ' : ' .* '}${p.wrap(p.arg(1), Prec.Postfix)}`,
    prec: Prec.Hadamard,
  }),
  numpy: (_n, e) => `${e.arg(0)} * ${e.arg(1)}`,
};

export const divideOp: OpDef<'divide'> = {
  kind: 'divide',
  rebuild: (g, _n, [a, b]) => g.divide(a!, b!),
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
  kernel: (n, k) => quotientKernel(k.arg(0), k.arg(1), n.shape.rows.value * n.shape.cols.value),
  print: (_n, p) => ({
    text: `${p.wrap(p.arg(0), Prec.Hadamard)}${p.syntax.latex ? ' \\oslash ' : ' ./ '}${p.wrap(p.arg(1), Prec.Postfix)}`,
    prec: Prec.Hadamard,
  }),
  numpy: (_n, e) => `${e.arg(0)} / ${e.arg(1)}`,
};

export const transposeOp: OpDef<'transpose'> = {
  kind: 'transpose',
  rebuild: (g, _n, [a]) => g.transpose(a!),
  vjp: (g, _n, G) => [g.transpose(G)],
  jac: (g, n, [ja]) => {
    const a = n.args[0]!;
    if (!ja || isColumn(a.shape) || isRow(a.shape)) return ja!;
    return g.matmul(g.commutation(a.shape.rows, a.shape.cols), ja);
  },
  kernel: (n, k) => {
    const a = k.arg(0);
    const rows = n.shape.rows.value;
    const cols = n.shape.cols.value;
    return (ctx) => {
      const x = a(ctx);
      const out = new Float64Array(rows * cols);
      // Input is cols×rows; out[i, j] = x[j, i].
      for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i + j * rows] = x[j + i * cols]!;
      return out;
    };
  },
  print: (_n, p) => ({ text: p.syntax.transpose(p.base(p.arg(0))), prec: Prec.Postfix, superscript: true }),
  numpy: (_n, e) => `${e.arg(0)}.T`,
};

export const powOp: OpDef<'pow'> = {
  kind: 'pow',
  rebuild: (g, _n, [a, b]) => g.pow(a!, b!),
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
  kernel: (_n, k) => {
    const [b, e] = [k.arg(0), k.arg(1)];
    return (ctx) => Float64Array.of(b(ctx)[0]! ** e(ctx)[0]!);
  },
  print: (_n, p) => ({ text: p.syntax.pow(p.base(p.arg(0)), p.arg(1).text), prec: Prec.Postfix, superscript: true }),
  numpy: (_n, e) => `${e.arg(0)} ** ${e.arg(1)}`,
};
