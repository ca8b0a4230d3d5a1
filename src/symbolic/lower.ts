/** Lowers a checked program to IR, computes the derivatives, and names nodes after the user's lets. */
import { evaluateConstant } from '../language/typecheck';
import type { CheckedProgram, TExpr, UserFunction } from '../language/typed';
import { gradient, hessian } from './diff';
import { factorCommon } from './factor';
import { type Graph, type Node, InternalError, NonFiniteConstant, UnsupportedError } from './ir';

export interface LoweredProgram {
  graph: Graph;
  loss: Node;
  lossName: string;
  vars: Node[];
  givens: Node[];
  /** let name → node, in source order. */
  lets: Map<string, Node>;
  defs: ReadonlyMap<string, UserFunction>;
}

export interface Derivatives {
  /** ∇ per variable, in the variable's shape. */
  grads: Node[];
  /** Hessian blocks [a][b] = ∂vec(∇_a L)/∂vec(b). */
  hess: Node[][];
}

export function lowerProgram(g: Graph, program: CheckedProgram): LoweredProgram {
  if (!program.loss) throw new InternalError('lowerProgram needs a checked program with a loss');
  const vars = program.vars.map((v) => g.variable(v.name, v.shape));
  const givens = program.givens.map((v) => g.given(v.name, v.shape));
  const lowering = new Lowering(g, program.defs);
  const lets = new Map<string, Node>();
  for (const l of program.lets) {
    const node = lowering.lower(l.expr);
    lets.set(l.name, node);
    lowering.lets.set(l.name, node);
    if (!g.names.has(node.id) && node.args.length > 0) g.names.set(node.id, l.name);
  }
  const loss = lowering.lower(program.loss.expr);
  if (!g.names.has(loss.id)) g.names.set(loss.id, program.loss.name);
  return { graph: g, loss, lossName: program.loss.name, vars, givens, lets, defs: program.defs };
}

export function derive(lowered: LoweredProgram): Derivatives {
  const g = lowered.graph;
  const grads = gradient(g, lowered.loss, lowered.vars).map((n) => factorCommon(g, n));
  const hess = hessian(g, grads, lowered.vars).map((row) => row.map((n) => factorCommon(g, n)));
  return { grads, hess };
}

export class Lowering {
  readonly lets = new Map<string, Node>();
  private derivatives?: Derivatives;
  private lowered?: LoweredProgram;

  constructor(
    private readonly g: Graph,
    private readonly defs: ReadonlyMap<string, UserFunction> = new Map(),
  ) {}

  /** Claims may mention grad/hess; they are derived lazily from the lowered loss. */
  withDerivatives(lowered: LoweredProgram, d: Derivatives): this {
    this.lowered = lowered;
    this.derivatives = d;
    for (const [k, v] of lowered.lets) this.lets.set(k, v);
    this.lets.set(lowered.lossName, lowered.loss);
    return this;
  }

  lower(t: TExpr): Node {
    try {
      return this.lowerExpr(t);
    } catch (e) {
      // The innermost expression whose constants fold to Infinity/NaN is where the user sees it.
      if (e instanceof NonFiniteConstant && !e.span) e.span = t.span;
      throw e;
    }
  }

  private lowerExpr(t: TExpr): Node {
    const g = this.g;
    switch (t.k) {
      case 'num':
        return g.num(t.value);
      case 'const':
        return g.constant(t.name, t.value);
      case 'var':
        return g.variable(t.name, t.shape);
      case 'given':
        return g.given(t.name, t.shape);
      case 'let': {
        const n = this.lets.get(t.name);
        if (!n) throw new InternalError(`let '${t.name}' used before it was lowered`);
        return n;
      }
      case 'indexValue':
        return g.indexValue(t.name);
      case 'identity':
        return g.identity(t.shape.rows);
      case 'ones':
        return g.ones(t.shape);
      case 'zeros':
        return g.zeros(t.shape);
      case 'add':
        return g.add(this.lower(t.a), this.lower(t.b));
      case 'sub':
        return g.sub(this.lower(t.a), this.lower(t.b));
      case 'scale':
        return g.scale(this.lower(t.a), this.lower(t.b));
      case 'matmul':
        return g.matmul(this.lower(t.a), this.lower(t.b));
      case 'hadamard':
        return g.hadamard(this.lower(t.a), this.lower(t.b));
      case 'divide': {
        const a = this.lower(t.a);
        const b = this.lower(t.b);
        return b.shape.rows.value === 1 && b.shape.cols.value === 1 && !(a.shape.rows.value === 1 && a.shape.cols.value === 1)
          ? g.scale(g.pow(b, g.num(-1)), a)
          : g.divide(a, b);
      }
      case 'kron':
        return g.kron(this.lower(t.a), this.lower(t.b));
      case 'inner':
        return g.inner(this.lower(t.a), this.lower(t.b));
      case 'pow':
        return g.pow(this.lower(t.a), this.lower(t.b));
      case 'neg':
        return g.neg(this.lower(t.a));
      case 'transpose':
        return g.transpose(this.lower(t.a));
      case 'sum':
        return g.sum(this.lower(t.a));
      case 'trace':
        return g.trace(this.lower(t.a));
      case 'diag':
        return g.diag(this.lower(t.a));
      case 'vec':
        return g.vec(this.lower(t.a));
      case 'softmax':
        return g.softmax(this.lower(t.a));
      case 'matpow': {
        const a = this.lower(t.a);
        let acc = a;
        for (let i = 1; i < t.power; i++) acc = g.matmul(acc, a);
        return acc;
      }
      case 'fn':
        return g.fn(t.fn, this.lower(t.a));
      case 'norm': {
        const a = this.lower(t.a);
        return t.p === '1' ? g.sum(g.fn('abs', a)) : g.norm(a, t.p);
      }
      case 'slice':
        return g.slice(this.lower(t.a), t.row, t.col);
      case 'indexSum':
        return g.indexSum(t.index, t.lower, t.upper, this.lower(t.body));
      case 'deriv':
        return this.lowerDeriv(t);
      case 'apply':
        return this.pointwise(this.def(t.fn).body, this.lower(t.a));
      case 'param':
        throw new InternalError(`parameter '${t.name}' outside its function body`);
    }
  }

  private def(name: string): UserFunction {
    const d = this.defs.get(name);
    if (!d) throw new InternalError(`unknown user function '${name}'`);
    return d;
  }

  /**
   * A scalar `def` body applied entrywise to v: scalar operations become their elementwise
   * counterparts and constants are broadcast, so differentiation needs no extra rules.
   */
  private pointwise(t: TExpr, v: Node): Node {
    const g = this.g;
    const ones = g.ones(v.shape);
    const constant = (n: Node): Node => g.scale(n, ones);
    switch (t.k) {
      case 'param':
        return v;
      case 'num':
        return constant(g.num(t.value));
      case 'const':
        return constant(g.constant(t.name, t.value));
      case 'neg':
        return g.neg(this.pointwise(t.a, v));
      case 'add':
        return g.add(this.pointwise(t.a, v), this.pointwise(t.b, v));
      case 'sub':
        return g.sub(this.pointwise(t.a, v), this.pointwise(t.b, v));
      case 'scale':
      case 'matmul':
      case 'hadamard':
      case 'inner':
        return g.hadamard(this.pointwise(t.a, v), this.pointwise(t.b, v));
      case 'divide':
        return g.divide(this.pointwise(t.a, v), this.pointwise(t.b, v));
      case 'fn':
        return g.fn(t.fn, this.pointwise(t.a, v));
      case 'apply':
        return this.pointwise(this.def(t.fn).body, this.pointwise(t.a, v));
      case 'pow': {
        const base = this.pointwise(t.a, v);
        const p = evaluateConstant(t.b);
        if (p !== undefined && Number.isInteger(p) && p >= 1 && p <= 16) {
          let acc = base;
          for (let i = 1; i < p; i++) acc = g.hadamard(acc, base);
          return acc;
        }
        if (p === -1) return g.divide(ones, base);
        if (p === 0.5) return g.fn('sqrt', base);
        // b^e = exp(e · log b), defined where b > 0 (a NaN elsewhere is reported by checks).
        return g.fn('exp', g.hadamard(this.pointwise(t.b, v), g.fn('log', base)));
      }
      default:
        throw new UnsupportedError(t.k, `'${t.k}' is not an elementwise operation and cannot appear in a user function body`);
    }
  }

  private lowerDeriv(t: Extract<TExpr, { k: 'deriv' }>): Node {
    if (!this.derivatives || !this.lowered) throw new InternalError('grad/hess lowered before the derivatives were computed');
    if (t.of !== this.lowered.lossName) throw new InternalError(`derivatives of '${t.of}' (only the loss is differentiated)`);
    const index = (name: string): number => this.lowered!.vars.findIndex((v) => v.kind === 'var' && v.name === name);
    const idx = t.wrt.map(index);
    const stacked = (): never => {
      throw new UnsupportedError(
        t.order === 1 ? 'grad' : 'hess',
        `${t.order === 1 ? 'grad' : 'hess'} ${t.of} stacks several variables; inside an expression write ${t.order === 1 ? 'grad' : 'hess'}_${t.wrt[0]} ${t.of}`,
      );
    };
    if (t.order === 1) {
      if (idx.length !== 1) stacked();
      return this.derivatives.grads[idx[0]!]!;
    }
    if (idx.length === 1) return this.derivatives.hess[idx[0]!]![idx[0]!]!;
    if (idx.length === 2) return this.derivatives.hess[idx[0]!]![idx[1]!]!;
    return stacked();
  }
}
