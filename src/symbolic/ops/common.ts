/** Pieces several op definitions share: rule helpers, kernel helpers, shape-rule helpers. */
import type { SignatureError } from '../../language/functions';
import { type Shape, dimEq, isColumn, isScalarShape, shapeText } from '../../language/shape';
import { type Graph, type Node, UnsupportedError } from '../ir';
import type { JacRule, Kernel, KernelInputs, VjpRule } from './types';

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

/**
 * An entrywise kernel calling `f` per entry. Its loop is shared by every op that uses it, so the
 * call is megamorphic: hot ops (sums, products, quotients) have loops of their own below.
 */
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

/** x ∘ y. */
export function productKernel(a: Kernel, b: Kernel, size: number): Kernel {
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = x[i]! * y[i]!;
    return out;
  };
}

/** x ⊘ y. */
export function quotientKernel(a: Kernel, b: Kernel, size: number): Kernel {
  return (ctx) => {
    const x = a(ctx);
    const y = b(ctx);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) out[i] = x[i]! / y[i]!;
    return out;
  };
}

/** One term of a fused sum: `coef` (a 1×1 value) times `value`, or `value` alone. */
interface SumTerm {
  value: Kernel;
  coef?: Kernel;
}

/**
 * ((t₁ + t₂) + t₃) + … in one output array: a left-deep chain of sums, and scalings c·x among its
 * terms, that nothing else reads are accumulated in place instead of each allocating its own
 * array. The additions happen in the chain's order and c·x is rounded before it is added, so the
 * bits are those of the unfused nodes.
 */
export function sumKernel(n: Node, k: KernelInputs, size: number): Kernel {
  const terms: SumTerm[] = [];
  const term = (t: Node): SumTerm =>
    t.kind === 'scale' && !k.shared(t) ? { value: k.of(t.args[1]!), coef: k.of(t.args[0]!) } : { value: k.of(t) };
  const collect = (s: Node): void => {
    const [left, right] = s.args as [Node, Node];
    if (left.kind === 'add' && !k.shared(left)) collect(left);
    else terms.push(term(left));
    terms.push(term(right));
  };
  collect(n);
  return (ctx) => {
    const out = new Float64Array(size);
    for (let t = 0; t < terms.length; t++) {
      const { value, coef } = terms[t]!;
      const x = value(ctx);
      if (coef) {
        const c = coef(ctx)[0]!;
        if (t === 0) for (let i = 0; i < size; i++) out[i] = c * x[i]!;
        else for (let i = 0; i < size; i++) out[i]! += c * x[i]!;
      } else if (t === 0) out.set(x);
      else for (let i = 0; i < size; i++) out[i]! += x[i]!;
    }
    return out;
  };
}
