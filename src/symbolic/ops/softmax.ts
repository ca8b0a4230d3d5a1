/** softmax(z) and the normalisation <u, 1>⁻¹ u of a vector (of exp(z) it is softmax(z)). */
import { Prec } from '../syntax';
import { requireVector } from './common';
import type { FunctionDef, OpDef } from './types';

export const softmaxOp: OpDef<'softmax'> = {
  kind: 'softmax',
  rebuild: (g, _n, [a]) => g.softmax(a!),
  vjp: (g, n, G) => [g.sub(g.hadamard(n, G), g.scale(g.inner(n, G), n))],
  jac: (g, n, [jz]) => (jz ? g.matmul(g.sub(g.diag(n), g.matmul(n, g.transpose(n))), jz) : null),
  kernel: (n, k) => {
    const a = k.arg(0);
    const size = n.shape.rows.value * n.shape.cols.value;
    return (ctx) => {
      const z = a(ctx);
      let max = -Infinity;
      for (let i = 0; i < size; i++) max = Math.max(max, z[i]!);
      const out = new Float64Array(size);
      let s = 0;
      for (let i = 0; i < size; i++) s += out[i] = Math.exp(z[i]! - max);
      for (let i = 0; i < size; i++) out[i]! /= s;
      return out;
    };
  },
  print: (_n, p) => ({ text: p.syntax.call('softmax', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `_softmax(${e.arg(0)})`,
  pyHelpers: () => ({ _softmax: 'def _softmax(z):\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e)' }),
};

export const normalizeOp: OpDef<'normalize'> = {
  kind: 'normalize',
  rebuild: (g, _n, [a]) => g.normalize(a!),
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
  kernel: (n, k) => {
    const a = k.arg(0);
    const size = n.shape.rows.value * n.shape.cols.value;
    return (ctx) => {
      const u = a(ctx);
      let s = 0;
      for (let i = 0; i < size; i++) s += u[i]!;
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) out[i] = u[i]! / s;
      return out;
    };
  },
  print: (n, p) => {
    const S = p.syntax;
    const u = n.args[0]!;
    const ones = S.latex ? `\\mathbf{1}_{${S.dim(u.shape.rows)}}` : `1_${S.dim(u.shape.rows)}`;
    return { text: `${S.pow(S.inner(p.arg(0).text, ones), '-1')} ${p.wrap(p.arg(0), Prec.Postfix)}`, prec: Prec.Product };
  },
  numpy: (_n, e) => `${e.arg(0)} / np.sum(${e.arg(0)})`,
};

export const SOFTMAX_FUNCTIONS: [string, FunctionDef][] = [
  [
    'softmax',
    {
      arity: 1,
      shape: ([s], [t]) => requireVector('softmax', s!, t!) ?? s!,
      lower: (g, [a]) => g.softmax(a!),
      doc: { params: ['v'], summary: 'softmax of a vector: exp(v) / <exp(v), 1_n>' },
    },
  ],
];
