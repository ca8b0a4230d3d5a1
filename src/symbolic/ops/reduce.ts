/** Reductions to a scalar: inner products, sums, traces, 2- and Frobenius norms, log-sum-exp, means. */
import { SCALAR, isColumn, isRow, numel, shapeOf, literalDim } from '../../language/shape';
import type { Node, NodeOf } from '../ir';
import { Prec } from '../syntax';
import { addAll, requireSquare, requireVector, times } from './common';
import type { FunctionDef, OpDef } from './types';

export const innerOp: OpDef<'inner'> = {
  kind: 'inner',
  rebuild: (g, _n, [a, b]) => g.inner(a!, b!),
  vjp: (g, n, G) => {
    const [a, b] = n.args as [Node, Node];
    return [g.scale(G, b), g.scale(G, a)];
  },
  jac: (g, n, [ja, jb]) => {
    const [a, b] = n.args as [Node, Node];
    return addAll(g, [times(g, g.transpose(g.vec(b)), ja!), times(g, g.transpose(g.vec(a)), jb!)]);
  },
  kernel: (n, k) => {
    const [a, b] = [k.arg(0), k.arg(1)];
    const size = n.args[0]!.shape.rows.value * n.args[0]!.shape.cols.value;
    return (ctx) => {
      const x = a(ctx);
      const y = b(ctx);
      let s = 0;
      for (let i = 0; i < size; i++) s += x[i]! * y[i]!;
      return Float64Array.of(s);
    };
  },
  print: (n, p) => {
    const [a, b] = n.args as [Node, Node];
    const S = p.syntax;
    if (a === b)
      return {
        text: S.pow(S.norm(p.arg(0).text, isColumn(a.shape) || isRow(a.shape) ? '2' : 'F'), '2'),
        prec: Prec.Postfix,
        superscript: true,
      };
    // <v, e_i> is the entry v_i, as papers write it.
    const unit = (u: Node): Node | undefined =>
      u.kind === 'unit' || (u.kind === 'slice' && u.args[0]!.kind === 'identity' && !u.row && u.col) ? u : undefined;
    const [vector, e] = unit(b) ? [a, b] : unit(a) ? [b, a] : [undefined, undefined];
    if (vector && e && isColumn(vector.shape)) {
      const i = e.kind === 'unit' ? p.ref(e.index) : p.ref((e as NodeOf<'slice'>).col!);
      const base = p.wrap(p.print(vector), Prec.Atom);
      return { text: S.latex ? `${base.includes('_') ? `{${base}}` : base}_{${i}}` : `${base}[${i}]`, prec: Prec.Postfix };
    }
    return { text: S.inner(p.arg(0).text, p.print(b).text), prec: Prec.Atom };
  },
  numpy: (_n, e) => `np.sum(${e.arg(0)} * ${e.arg(1)}).reshape(1, 1)`,
};

export const sumOp: OpDef<'sum'> = {
  kind: 'sum',
  rebuild: (g, _n, [a]) => g.sum(a!),
  vjp: (g, n, G) => [g.scale(G, g.ones(n.args[0]!.shape))],
  jac: (g, n, [ja]) => times(g, g.ones(shapeOf(literalDim(1), numel(n.args[0]!.shape))), ja!),
  kernel: (_n, k) => {
    const a = k.arg(0);
    return (ctx) => Float64Array.of(a(ctx).reduce((s, v) => s + v, 0));
  },
  print: (_n, p) => ({ text: p.syntax.call('sum', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `np.sum(${e.arg(0)}).reshape(1, 1)`,
};

export const traceOp: OpDef<'trace'> = {
  kind: 'trace',
  rebuild: (g, _n, [a]) => g.trace(a!),
  vjp: (g, n, G) => [g.scale(G, g.identity(n.args[0]!.shape.rows))],
  jac: (g, n, [ja]) => times(g, g.transpose(g.vec(g.identity(n.args[0]!.shape.rows))), ja!),
  kernel: (n, k) => {
    const a = k.arg(0);
    const size = n.args[0]!.shape.rows.value;
    return (ctx) => {
      const x = a(ctx);
      let s = 0;
      for (let i = 0; i < size; i++) s += x[i + i * size]!;
      return Float64Array.of(s);
    };
  },
  print: (_n, p) => ({ text: p.syntax.call('tr', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `np.trace(${e.arg(0)}).reshape(1, 1)`,
};

/** ‖v‖₂ of a vector, ‖M‖_F of a matrix (p = 'F'); the spectral norm is sigmaMax. */
export const normOp: OpDef<'norm'> = {
  kind: 'norm',
  attrs: ['p'],
  rebuild: (g, n, [a]) => g.norm(a!, n.p),
  vjp: (g, n, G) => [g.scale(g.mulScalars(G, g.pow(n, g.num(-1))), n.args[0]!)],
  jac: (g, n, [ja]) => (ja ? g.scale(g.pow(n, g.num(-1)), g.matmul(g.transpose(g.vec(n.args[0]!)), ja)) : null),
  kernel: (_n, k) => {
    const a = k.arg(0);
    return (ctx) => {
      const x = a(ctx);
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
      return Float64Array.of(Math.sqrt(s));
    };
  },
  print: (n, p) => ({ text: p.syntax.norm(p.arg(0).text, n.p), prec: Prec.Atom }),
  numpy: (_n, e) => `np.sqrt(np.sum(${e.arg(0)} * ${e.arg(0)})).reshape(1, 1)`,
};

export const logsumexpOp: OpDef<'logsumexp'> = {
  kind: 'logsumexp',
  rebuild: (g, _n, [a]) => g.logsumexp(a!),
  vjp: (g, n, G) => [g.scale(G, g.softmax(n.args[0]!))],
  jac: (g, n, [ja]) => times(g, g.transpose(g.softmax(n.args[0]!)), ja!),
  kernel: (_n, k) => {
    const a = k.arg(0);
    return (ctx) => {
      const z = a(ctx);
      let max = -Infinity;
      for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]!);
      if (!Number.isFinite(max)) return Float64Array.of(max);
      let s = 0;
      for (let i = 0; i < z.length; i++) s += Math.exp(z[i]! - max);
      return Float64Array.of(max + Math.log(s));
    };
  },
  print: (_n, p) => ({ text: p.syntax.call('logsumexp', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `_logsumexp(${e.arg(0)})`,
  pyHelpers: () => ({
    _logsumexp: 'def _logsumexp(z):\n    m = np.max(z)\n    return (m + np.log(np.sum(np.exp(z - m)))).reshape(1, 1)',
  }),
};

export const REDUCE_FUNCTIONS: [string, FunctionDef][] = [
  [
    'sum',
    {
      arity: 1,
      shape: () => SCALAR,
      lower: (g, [a]) => g.sum(a!),
      doc: { params: ['v'], summary: 'sum of all entries (an index sum is written sum_{j=1}^{n} …)' },
    },
  ],
  [
    'tr',
    {
      arity: 1,
      shape: ([s], [t]) => requireSquare('tr', s!, t!) ?? SCALAR,
      lower: (g, [a]) => g.trace(a!),
      doc: { params: ['M'], summary: 'trace of a square matrix' },
    },
  ],
  [
    'mean',
    {
      arity: 1,
      shape: () => SCALAR,
      // The average of the entries: a sum scaled by 1/numel (a derived op, no rules of its own).
      lower: (g, [a]) => g.scale(g.num(1 / (a!.shape.rows.value * a!.shape.cols.value)), g.sum(a!)),
      doc: { params: ['v'], summary: 'the mean of all entries, sum(v) / numel(v)' },
    },
  ],
  [
    'logsumexp',
    {
      arity: 1,
      shape: ([s], [t]) => requireVector('logsumexp', s!, t!) ?? SCALAR,
      lower: (g, [a]) => g.logsumexp(a!),
      doc: { params: ['v'], summary: 'log Σ exp(v_i) of a vector, evaluated stably; its gradient is softmax(v)' },
    },
  ],
];
