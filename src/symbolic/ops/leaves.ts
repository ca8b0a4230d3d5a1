/** Nodes without arguments: inputs, numbers, and the constant matrices I, 1, 0, e_i. */
import type { IndexRef } from '../ir';
import { InternalError } from '../ir';
import { Prec } from '../syntax';
import { LEAF, constantKernel } from './common';
import type { EvalContext, OpDef } from './types';

function pyNumber(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : '-float("inf")';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

export function refValue(ctx: EvalContext, r: IndexRef): number {
  if (r.kind === 'lit') return r.value;
  const v = ctx.indices.get(r.name);
  if (v === undefined) throw new InternalError(`index ${r.name} used outside its sum`);
  return v;
}

const input = <K extends 'var' | 'given'>(kind: K): OpDef<K> => ({
  kind,
  attrs: ['name'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => (ctx) => {
    const v = ctx.inputs.get(n.name);
    if (!v) throw new InternalError(`no value for '${n.name}'`);
    return v;
  },
  print: (n, p) => ({ text: p.syntax.name(n.name), prec: Prec.Atom }),
  numpy: (n, e) => `_as2d(${n.name}, ${e.rows}, ${e.cols})`,
});

export const varOp = input('var');
export const givenOp = input('given');

export const constOp: OpDef<'const'> = {
  kind: 'const',
  attrs: ['name', 'value'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => constantKernel(Float64Array.of(n.value)),
  print: (n, p) => ({ text: p.syntax.name(n.name), prec: Prec.Atom }),
  numpy: (n) => `np.full((1, 1), ${pyNumber(n.value)})`,
};

export const numOp: OpDef<'num'> = {
  kind: 'num',
  attrs: ['value'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => constantKernel(Float64Array.of(n.value)),
  print: (n, p) => {
    const text = p.syntax.num(n.value);
    // A fraction p/q binds like a quotient: (1/3) X.
    return { text, prec: n.value < 0 ? Prec.Neg : !p.syntax.latex && text.includes('/') ? Prec.Neg : Prec.Atom };
  },
  numpy: (n) => `np.full((1, 1), ${pyNumber(n.value)})`,
};

export const identityOp: OpDef<'identity'> = {
  kind: 'identity',
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => {
    const rows = n.shape.rows.value;
    const out = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) out[i + i * rows] = 1;
    return constantKernel(out);
  },
  print: (n, p) => {
    const d = p.syntax.dim(n.shape.rows);
    return { text: p.syntax.latex ? `I_{${d}}` : `I_${d}`, prec: Prec.Atom };
  },
  numpy: (_n, e) => `np.eye(${e.rows})`,
};

const filled = <K extends 'ones' | 'zeros'>(kind: K): OpDef<K> => ({
  kind,
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => constantKernel(new Float64Array(n.shape.rows.value * n.shape.cols.value).fill(kind === 'ones' ? 1 : 0)),
  print: (n, p) => {
    const digit = kind === 'ones' ? '1' : '0';
    const d = p.sizeOf(n);
    const base = p.syntax.latex ? `\\mathbf{${digit}}_{${d}}` : `${digit}_${d}`;
    return n.shape.rows.value === 1 && n.shape.cols.value > 1
      ? { text: p.syntax.transpose(base), prec: Prec.Postfix, superscript: true }
      : { text: base, prec: Prec.Atom };
  },
  numpy: (_n, e) => `np.${kind}((${e.rows}, ${e.cols}))`,
});

export const onesOp = filled('ones');
export const zerosOp = filled('zeros');

export const unitOp: OpDef<'unit'> = {
  kind: 'unit',
  attrs: ['index'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => {
    const rows = n.shape.rows.value;
    return (ctx) => {
      const out = new Float64Array(rows);
      out[refValue(ctx, n.index) - 1] = 1;
      return out;
    };
  },
  print: (n, p) => ({
    text:
      p.syntax.latex && !p.syntax.claims
        ? `e_{${p.ref(n.index)}}`
        : `I_${p.syntax.latex ? `{${p.syntax.dim(n.shape.rows)}}` : p.syntax.dim(n.shape.rows)}[:, ${p.ref(n.index)}]`,
    prec: Prec.Postfix,
  }),
  numpy: (n, e) => `_unit(${e.rows}, ${e.ref(n.index)})`,
  pyHelpers: () => ({ _unit: 'def _unit(n, i):\n    return np.eye(n)[:, i - 1:i]' }),
};

export const indexValueOp: OpDef<'indexValue'> = {
  kind: 'indexValue',
  attrs: ['index'],
  rebuild: (_g, n) => n,
  ...LEAF,
  kernel: (n) => (ctx) => Float64Array.of(refValue(ctx, { kind: 'index', name: n.index })),
  print: (n, p) => ({ text: p.ref({ kind: 'index', name: n.index }), prec: Prec.Atom }),
  numpy: (n) => `np.full((1, 1), float(${n.index}))`,
};
