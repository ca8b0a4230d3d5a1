/**
 * Constants computed from data at each sample, for the bounds of claims: ‖A‖₂ (σ_max), σ_min,
 * λ_max and λ_min (of the symmetric part), ‖v‖_∞, and entrywise max/min. They have no derivative:
 * differentiating through one is an error naming it.
 */
import { SCALAR, isColumn, isRow, shapeEq, shapeText } from '../../language/shape';
import { Prec } from '../syntax';
import { allFinite, binaryKernel, noDerivative, requireSquare, shapeError } from './common';
import type { FunctionDef, Kernel, LinearAlgebra, OpDef, PrintContext } from './types';

type DataKind = 'sigmaMax' | 'sigmaMin' | 'lambdaMax' | 'lambdaMin' | 'normInf';

const RULES = (surface: string) =>
  noDerivative(
    surface,
    `${surface} is a constant from data, evaluated at each sample; it may appear in claims but has no derivative (do not differentiate through it)`,
  );

function scalarOf(a: Kernel, f: (x: Float64Array) => number): Kernel {
  // A non-finite input (a singular matrix upstream, say) gives NaN rather than an eigensolve of garbage.
  return (ctx) => {
    const x = a(ctx);
    return Float64Array.of(allFinite(x) ? f(x) : NaN);
  };
}

function named(latex: string, ascii: string) {
  return (p: PrintContext) => ({
    text: p.syntax.latex ? `${latex}\\left(${p.arg(0).text}\\right)` : `${ascii}(${p.arg(0).text})`,
    prec: Prec.Atom,
  });
}

function dataOp<K extends DataKind>(
  kind: K,
  surface: string,
  value: (la: LinearAlgebra, x: Float64Array, rows: number, cols: number) => number,
  print: (p: PrintContext, isVector: boolean) => { text: string; prec: Prec },
  numpy: (a: string) => string,
): OpDef<K> {
  return {
    kind,
    rebuild: (g, n, [a]) => g.dataConstant(n.kind as DataKind, a!),
    ...RULES(surface),
    kernel: (n, k) => {
      const [r, c] = [n.args[0]!.shape.rows.value, n.args[0]!.shape.cols.value];
      return scalarOf(k.arg(0), (x) => value(k.la, x, r, c));
    },
    print: (n, p) => print(p, isColumn(n.args[0]!.shape) || isRow(n.args[0]!.shape)),
    numpy: (_n, e) => `np.asarray(${numpy(e.arg(0))}).reshape(1, 1)`,
  } as OpDef<K>;
}

export const sigmaMaxOp = dataOp(
  'sigmaMax',
  'sigma_max',
  (la, x, r, c) => la.singularValues(x, r, c)[Math.min(r, c) - 1]!,
  // ‖A‖₂ of a matrix is how papers write it; the checker reads it back as σ_max.
  (p, isVector) => (isVector ? named('\\sigma_{\\max}', 'sigma_max')(p) : { text: p.syntax.norm(p.arg(0).text, '2'), prec: Prec.Atom }),
  (a) => `np.linalg.norm(${a}, 2)`,
);
export const sigmaMinOp = dataOp(
  'sigmaMin',
  'sigma_min',
  (la, x, r, c) => la.singularValues(x, r, c)[0]!,
  (p) => named('\\sigma_{\\min}', 'sigma_min')(p),
  (a) => `np.linalg.svd(${a}, compute_uv=False)[-1]`,
);
export const lambdaMaxOp = dataOp(
  'lambdaMax',
  'lambda_max',
  (la, x, r) => la.symmetricEigenvalues(x, r)[r - 1]!,
  (p) => named('\\lambda_{\\max}', 'lambda_max')(p),
  (a) => `np.linalg.eigvalsh(0.5 * (${a} + ${a}.T))[-1]`,
);
export const lambdaMinOp = dataOp(
  'lambdaMin',
  'lambda_min',
  (la, x, r) => la.symmetricEigenvalues(x, r)[0]!,
  (p) => named('\\lambda_{\\min}', 'lambda_min')(p),
  (a) => `np.linalg.eigvalsh(0.5 * (${a} + ${a}.T))[0]`,
);
export const normInfOp = dataOp(
  'normInf',
  '||.||_inf',
  (_la, x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
  (p) => ({ text: p.syntax.norm(p.arg(0).text, 'inf'), prec: Prec.Atom }),
  (a) => `np.max(np.abs(${a}))`,
);

function extremumOp<K extends 'max' | 'min'>(kind: K): OpDef<K> {
  return {
    kind,
    rebuild: (g, _n, [a, b]) => g.extremum(kind, a!, b!),
    ...RULES(kind),
    kernel: (n, k) => binaryKernel(k.arg(0), k.arg(1), n.shape.rows.value * n.shape.cols.value, kind === 'max' ? Math.max : Math.min),
    print: (_n, p) => ({ text: p.syntax.call(kind, [p.arg(0).text, p.arg(1).text]), prec: Prec.Atom }),
    numpy: (_n, e) => `np.${kind === 'max' ? 'maximum' : 'minimum'}(${e.arg(0)}, ${e.arg(1)})`,
  } as OpDef<K>;
}

export const maxOp = extremumOp('max');
export const minOp = extremumOp('min');

const data = (kind: DataKind, square: boolean, summary: string): FunctionDef => ({
  arity: 1,
  doc: { params: [square ? 'M' : 'A'], summary: `${summary}: a constant from data at each sample (no derivative)` },
  shape: ([s], [t]) => (square ? (requireSquare(kind === 'lambdaMax' ? 'lambda_max' : 'lambda_min', s!, t!) ?? SCALAR) : SCALAR),
  lower: (g, [a]) => g.dataConstant(kind, a!),
});

const extremum = (kind: 'max' | 'min'): FunctionDef => ({
  arity: 2,
  doc: { params: ['a', 'b'], summary: `entrywise ${kind} (also ${kind}_{i=1}^{k} …): a constant from data (no derivative)` },
  elementwise: true,
  shape: ([a, b], [ta, tb]) =>
    shapeEq(a!, b!) ? a! : shapeError(`${kind}(${ta}, ${tb}): ${ta} is ${shapeText(a!)} but ${tb} is ${shapeText(b!)}`),
  constant: ([a, b]) => (kind === 'max' ? Math.max(a!, b!) : Math.min(a!, b!)),
  lower: (g, [a, b]) => g.extremum(kind, a!, b!),
});

export const CONSTANT_FUNCTIONS: [string, FunctionDef][] = [
  ['sigma_max', data('sigmaMax', false, 'the largest singular value, ||A||_2')],
  ['sigma_min', data('sigmaMin', false, 'the smallest singular value')],
  ['lambda_max', data('lambdaMax', true, 'the largest eigenvalue of the symmetric part')],
  ['lambda_min', data('lambdaMin', true, 'the smallest eigenvalue of the symmetric part')],
  ['max', extremum('max')],
  ['min', extremum('min')],
];
