/** The IR op `fn`: one elementwise function (a row of ELEMENTWISE) applied to every entry. */
import { Prec } from '../syntax';
import { diagTimes, sameShape, unaryKernel } from './common';
import { ELEMENTWISE, type ElementwiseDef } from './elementwise';
import type { FunctionDef, OpDef } from './types';

function def(fn: string): ElementwiseDef {
  return ELEMENTWISE[fn]!;
}

export const fnOp: OpDef<'fn'> = {
  kind: 'fn',
  attrs: ['fn'],
  rebuild: (g, n, [a]) => g.fn(n.fn, a!),
  vjp: (g, n, G) => [g.hadamard(G, def(n.fn).derivative(g, n.args[0]!, n))],
  jac: (g, n, [ja]) => diagTimes(g, def(n.fn).derivative(g, n.args[0]!, n), ja!),
  kernel: (n, k) => unaryKernel(k.arg(0), n.shape.rows.value * n.shape.cols.value, def(n.fn).scalar),
  print: (n, p) => {
    const a = p.arg(0).text;
    if (!p.syntax.latex) return { text: `${n.fn}(${a})`, prec: Prec.Atom };
    const latex = def(n.fn).latex;
    return { text: latex === '\\sqrt' ? `\\sqrt{${a}}` : `${latex}\\left(${a}\\right)`, prec: Prec.Atom };
  },
  numpy: (n, e) => `${def(n.fn).numpy}(${e.arg(0)})`,
  pyHelpers: (n) => {
    const d = def(n.fn);
    return d.pyHelper ? { [d.numpy]: d.pyHelper } : {};
  },
};

/** `exp(x)`, `softplus(x)`, …: the same shape out as in. */
export function elementwiseFunctions(): [string, FunctionDef][] {
  return Object.entries(ELEMENTWISE).map(([name, d]) => [
    name,
    {
      arity: 1,
      elementwise: true,
      shape: sameShape,
      constant: ([x]) => d.scalar(x!),
      lower: (g, [a]) => g.fn(name, a!),
      doc: { params: ['v'], summary: d.summary },
    },
  ]);
}
