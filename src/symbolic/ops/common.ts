/** Pieces several op definitions share: rule helpers, kernel helpers, shape-rule helpers. */
import type { SignatureError } from '../../language/functions';
import { type Shape, dimEq, isColumn, isScalarShape, shapeText } from '../../language/shape';
import { type Graph, type Node, UnsupportedError } from '../ir';
import type { JacRule, Kernel, VjpRule } from './types';

// ---- derivative rules ----------------------------------------------------------------------------

/** Sum of possibly-zero (null) terms. */
export function addAll(g: Graph, terms: (Node | null)[]): Node | null {
  let acc: Node | null = null;
  for (const t of terms) if (t) acc = acc ? g.add(acc, t) : t;
  return acc;
}

/** M · J, or null when J is zero. */
export function times(g: Graph, m: Node, j: Node | null): Node | null {
  return j ? g.matmul(m, j) : null;
}

/** diag(vec d) · J, kept as a Hadamard scaling for scalars. */
export function diagTimes(g: Graph, d: Node, j: Node | null): Node | null {
  if (!j) return null;
  if (isScalarShape(d.shape)) return g.scale(d, j);
  return g.matmul(g.diag(g.vec(d)), j);
}

/** Rules of a node without arguments that depend on a variable (everything but `var` is constant). */
export const LEAF: { vjp: VjpRule; jac: JacRule } = { vjp: () => [], jac: () => null };

/** Rules that fail with jax's message naming the op. */
export function noDerivative(op: string, what: string): { vjp: VjpRule; jac: JacRule } {
  const fail = (): never => {
    throw new UnsupportedError(op, `Differentiation rule for '${op}' not implemented: ${what}`);
  };
  return { vjp: fail, jac: fail };
}

// ---- kernels -------------------------------------------------------------------------------------

export function constantKernel(out: Float64Array): Kernel {
  return () => out;
}

export function unaryKernel(a: Kernel, size: number, f: (x: number) => number): Kernel {
  return (ctx) => {
    const x = a(ctx);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = f(x[i]!);
    return out;
  };
}

export function binaryKernel(a: Kernel, b: Kernel, size: number, f: (x: number, y: number) => number): Kernel {
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = f(x[i]!, y[i]!);
    return out;
  };
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

// ---- shape rules ---------------------------------------------------------------------------------

export function shapeError(message: string, code: SignatureError['code'] = 'shape-mismatch'): SignatureError {
  return { code, message };
}

export function sameShape(args: readonly Shape[]): Shape {
  return args[0]!;
}

export function requireVector(fn: string, s: Shape, text: string): SignatureError | undefined {
  return isColumn(s) && !isScalarShape(s) ? undefined : shapeError(`${fn} expects a vector, but ${text} is ${shapeText(s)}`);
}

export function requireSquare(fn: string, s: Shape, text: string): SignatureError | undefined {
  return dimEq(s.rows, s.cols) ? undefined : shapeError(`${fn} expects a square matrix, but ${text} is ${shapeText(s)}`, 'not-square');
}
