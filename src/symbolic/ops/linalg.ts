/**
 * Determinant, log-determinant and inverse of square matrices of the variables and data. Where
 * the matrix is singular the kernels give non-finite values (never an exception), so the sample is
 * unusable and gives no verdict.
 */
import { SCALAR } from '../../language/shape';
import { Prec } from '../syntax';
import { requireSquare, times } from './common';
import type { FunctionDef, Kernel, OpDef } from './types';

function squareKernel(n: number, a: Kernel, f: (x: Float64Array, n: number) => number): Kernel {
  return (ctx) => Float64Array.of(f(a(ctx), n));
}

/** d det M = det M · tr(M⁻¹ dM): ∇ = det(M) M⁻ᵀ. */
export const detOp: OpDef<'det'> = {
  kind: 'det',
  rebuild: (g, _n, [a]) => g.det(a!),
  vjp: (g, n, G) => [g.scale(g.mulScalars(G, n), g.transpose(g.inv(n.args[0]!)))],
  jac: (g, n, [ja]) => times(g, g.scale(n, g.transpose(g.vec(g.transpose(g.inv(n.args[0]!))))), ja!),
  kernel: (n, k) => squareKernel(n.args[0]!.shape.rows.value, k.arg(0), k.la.determinant),
  print: (_n, p) => ({ text: p.syntax.call('det', [p.arg(0).text]), prec: Prec.Atom }),
  numpy: (_n, e) => `np.linalg.det(${e.arg(0)}).reshape(1, 1)`,
};

/** d log det M = tr(M⁻¹ dM): ∇ = M⁻ᵀ. */
export const logdetOp: OpDef<'logdet'> = {
  kind: 'logdet',
  rebuild: (g, _n, [a]) => g.logdet(a!),
  vjp: (g, n, G) => [g.scale(G, g.transpose(g.inv(n.args[0]!)))],
  jac: (g, n, [ja]) => times(g, g.transpose(g.vec(g.transpose(g.inv(n.args[0]!)))), ja!),
  kernel: (n, k) => squareKernel(n.args[0]!.shape.rows.value, k.arg(0), k.la.logDeterminant),
  print: (_n, p) => ({
    text: p.syntax.latex ? `\\log\\det\\left(${p.arg(0).text}\\right)` : `logdet(${p.arg(0).text})`,
    prec: Prec.Atom,
  }),
  numpy: (_n, e) => `_logdet(${e.arg(0)})`,
  pyHelpers: () => ({
    _logdet:
      'def _logdet(m):\n    s, l = np.linalg.slogdet(m)\n    return np.where(s > 0, l, np.where(s == 0, -np.inf, np.nan)).reshape(1, 1)',
  }),
};

/** d M⁻¹ = −M⁻¹ dM M⁻¹: cotangent −M⁻ᵀ G M⁻ᵀ, Jacobian −(M⁻ᵀ ⊗ M⁻¹). */
export const invOp: OpDef<'inv'> = {
  kind: 'inv',
  rebuild: (g, _n, [a]) => g.inv(a!),
  vjp: (g, n, G) => {
    const t = g.transpose(n);
    return [g.neg(g.matmul(g.matmul(t, G), t))];
  },
  jac: (g, n, [ja]) => times(g, g.neg(g.kron(g.transpose(n), n)), ja!),
  kernel: (n, k) => {
    const a = k.arg(0);
    const size = n.shape.rows.value;
    return (ctx) => k.la.inverse(a(ctx), size);
  },
  print: (_n, p) => ({ text: p.syntax.pow(p.base(p.arg(0)), '-1'), prec: Prec.Postfix, superscript: true }),
  numpy: (_n, e) => `np.linalg.inv(${e.arg(0)})`,
};

export const LINALG_FUNCTIONS: [string, FunctionDef][] = [
  [
    'det',
    {
      arity: 1,
      shape: ([s], [t]) => requireSquare('det', s!, t!) ?? SCALAR,
      lower: (g, [a]) => g.det(a!),
      doc: { params: ['M'], summary: 'determinant of a square matrix (NaN/Inf where the sample is singular)' },
    },
  ],
  [
    'logdet',
    {
      arity: 1,
      shape: ([s], [t]) => requireSquare('logdet', s!, t!) ?? SCALAR,
      lower: (g, [a]) => g.logdet(a!),
      doc: { params: ['M'], summary: 'log det M (also log det(M), \\log\\det); its gradient is M^{-T}' },
    },
  ],
  [
    'inv',
    {
      arity: 1,
      shape: ([s], [t]) => requireSquare('inv', s!, t!) ?? s!,
      lower: (g, [a]) => g.inv(a!),
      doc: { params: ['M'], summary: 'the inverse of a square matrix, also written M^{-1}' },
    },
  ],
];
