/** Lowers a checked program to IR, computes the derivatives, and names nodes after the user's lets. */
import { evaluateConstant } from '../language/typecheck';
import type { CheckedProgram, TExpr, TIndex, UserFunction } from '../language/typed';
import { gradient, hessian, jacobian } from './diff';
import { factorCommon } from './factor';
import { type Graph, type IndexRef, type Node, InternalError, NonFiniteConstant, UnsupportedError } from './ir';
import { FUNCTIONS } from './ops';

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
  for (const d of [...program.dims, ...program.consts, ...program.givens, ...program.vars, ...program.lets]) g.declaredNames.add(d.name);
  for (const name of program.defs.keys()) g.declaredNames.add(name);
  g.declaredNames.add(program.loss.name);
  for (const d of program.givens) if (d.constraints.some((c) => c.kind === 'sym' || c.kind === 'psd')) g.symmetricInputs.add(d.name);
  const vars = program.vars.map((v) => g.variable(v.name, v.shape));
  const givens = program.givens.map((v) => g.given(v.name, v.shape));
  const lowering = new Lowering(g, program.defs, vars);
  const lets = new Map<string, Node>();
  const lossAt = program.loss.span.start;
  const lowerLet = (l: CheckedProgram['lets'][number]): void => {
    const node = lowering.lower(l.expr);
    lets.set(l.name, node);
    lowering.lets.set(l.name, node);
    if (!g.names.has(node.id) && node.args.length > 0) g.names.set(node.id, l.name);
  };
  // In file order: a let written after the loss may use it (let M = 2 L), as the type checker allows.
  for (const l of program.lets) if (l.span.start < lossAt) lowerLet(l);
  const loss = lowering.lower(program.loss.expr);
  if (!g.names.has(loss.id)) g.names.set(loss.id, program.loss.name);
  lowering.lets.set(program.loss.name, loss);
  for (const l of program.lets) if (l.span.start > lossAt) lowerLet(l);
  return { graph: g, loss, lossName: program.loss.name, vars, givens, lets, defs: program.defs };
}

export function derive(lowered: LoweredProgram): Derivatives {
  const g = lowered.graph;
  const grads = gradient(g, lowered.loss, lowered.vars).map((n) => factorCommon(g, n));
  const hess = hessian(g, grads, lowered.vars).map((row) => row.map((n) => factorCommon(g, n)));
  return { grads, hess };
}

/** The derivatives of a definition, for `derive --of f`: per var, its gradient and Hessian (scalar) or Jacobian. */
export interface DefinitionDerivatives {
  name: string;
  scalar: boolean;
  /** grad_x f (scalar f) or jac_x f, per var. */
  first: { wrt: string; node: Node }[];
  /** hess_{x,y} f for a scalar f. */
  hess: { wrt: [string, string]; node: Node }[];
}

export function deriveDefinition(lowered: LoweredProgram, name: string): DefinitionDerivatives {
  const g = lowered.graph;
  const f = name === lowered.lossName ? lowered.loss : lowered.lets.get(name);
  if (!f) throw new InternalError(`no definition '${name}'`);
  const varName = (v: Node): string => (v.kind === 'var' ? v.name : '');
  const scalar = f.shape.rows.value === 1 && f.shape.cols.value === 1 && Object.keys(f.shape.rows.factors).length === 0;
  if (!scalar) {
    return {
      name,
      scalar,
      first: lowered.vars.map((v) => ({ wrt: varName(v), node: factorCommon(g, jacobian(g, g.vec(f), v)) })),
      hess: [],
    };
  }
  const grads = gradient(g, f, lowered.vars).map((n) => factorCommon(g, n));
  const hess = hessian(g, grads, lowered.vars);
  return {
    name,
    scalar,
    first: lowered.vars.map((v, i) => ({ wrt: varName(v), node: grads[i]! })),
    hess: lowered.vars.flatMap((a, i) =>
      lowered.vars.map((b, j) => ({ wrt: [varName(a), varName(b)] as [string, string], node: factorCommon(g, hess[i]![j]!) })),
    ),
  };
}

export class Lowering {
  readonly lets = new Map<string, Node>();
  private derivatives?: Derivatives;
  private lowered?: LoweredProgram;
  /** Indices of a `max_{i=…}` being unrolled, bound to their current value. */
  private readonly bound = new Map<string, number>();

  constructor(
    private readonly g: Graph,
    private readonly defs: ReadonlyMap<string, UserFunction> = new Map(),
    /** The differentiation variables, for derivatives of definitions. */
    private readonly vars: readonly Node[] = [],
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
      const node = this.lowerNode(t);
      // The first place a node is written locates diagnostics about it (a derivative it lacks, say).
      if (!this.g.spans.has(node.id)) this.g.spans.set(node.id, t.span);
      return node;
    } catch (e) {
      // The innermost expression whose constants fold to Infinity/NaN is where the user sees it.
      if (e instanceof NonFiniteConstant && !e.span) e.span = t.span;
      throw e;
    }
  }

  private ref(i: TIndex): IndexRef {
    if (i.kind === 'lit') return i;
    const v = this.bound.get(i.name);
    return v === undefined ? i : { kind: 'lit', value: v };
  }

  private lowerNode(t: TExpr): Node {
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
      case 'indexValue': {
        const v = this.bound.get(t.name);
        return v === undefined ? g.indexValue(t.name) : g.num(v);
      }
      case 'identity':
        return g.identity(t.shape.rows);
      case 'ones':
        return g.ones(t.shape);
      case 'zeros':
        return g.zeros(t.shape);
      case 'commutation':
        return g.commutation(t.m, t.n);
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
      case 'inner':
        return g.inner(this.lower(t.a), this.lower(t.b));
      case 'pow':
        return g.pow(this.lower(t.a), this.lower(t.b));
      case 'neg':
        return g.neg(this.lower(t.a));
      case 'transpose':
        return g.transpose(this.lower(t.a));
      case 'call': {
        const def = FUNCTIONS.get(t.fn);
        if (!def) throw new InternalError(`built-in function '${t.fn}' is not in the registry (src/symbolic/ops/index.ts)`);
        return def.lower(
          g,
          t.args.map((a) => this.lower(a)),
        );
      }
      case 'matpow': {
        const a = this.lower(t.a);
        let acc = a;
        for (let i = 1; i < t.power; i++) acc = g.matmul(acc, a);
        return acc;
      }
      case 'norm': {
        const a = this.lower(t.a);
        if (t.p === '1') return g.sum(g.fn('abs', a));
        if (t.p === 'inf') return g.dataConstant('normInf', a);
        return g.norm(a, t.p);
      }
      case 'slice':
        return g.slice(this.lower(t.a), t.row && this.ref(t.row), t.col && this.ref(t.col));
      case 'member':
        return g.rowBlock(this.lower(t.a), this.ref(t.index), t.shape.rows);
      case 'indexSum':
        return g.indexSum(t.index, t.lower, t.upper, this.lower(t.body), t.upperName);
      case 'indexExtremum': {
        // Unrolled over the literal range: max(body(lower), …, body(upper)).
        let acc: Node | undefined;
        for (let v = t.lower; v <= t.upper; v++) {
          this.bound.set(t.index, v);
          const term = this.lower(t.body);
          acc = acc ? g.extremum(t.op, acc, term) : term;
        }
        this.bound.delete(t.index);
        return acc!;
      }
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
      case 'call': {
        const def = FUNCTIONS.get(t.fn);
        if (!def?.elementwise)
          throw new UnsupportedError(t.fn, `'${t.fn}' is not an elementwise operation and cannot appear in a user function body`);
        return def.lower(
          g,
          t.args.map((a) => this.pointwise(a, v)),
        );
      }
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
    const g = this.g;
    const vars = this.lowered?.vars ?? this.vars;
    const variable = (name: string): Node => {
      const v = vars.find((x) => x.kind === 'var' && x.name === name);
      if (!v) throw new InternalError(`no var '${name}'`);
      return v;
    };
    const index = (name: string): number => vars.indexOf(variable(name));
    const isLoss = this.lowered !== undefined && t.of === this.lowered.lossName;
    if (isLoss && t.op !== 'jac') {
      if (!this.derivatives) throw new InternalError('derivatives of the loss lowered before the loss was differentiated');
      const idx = t.wrt.map(index);
      const stacked = (): never => {
        throw new UnsupportedError(
          t.op,
          `${t.op} ${t.of} stacks several variables; inside an expression write ${t.op}_${t.wrt[0]} ${t.of}`,
        );
      };
      if (t.op === 'grad') {
        if (idx.length !== 1) stacked();
        return this.derivatives.grads[idx[0]!]!;
      }
      if (idx.length === 1) return this.derivatives.hess[idx[0]!]![idx[0]!]!;
      if (t.block) return this.derivatives.hess[idx[0]!]![idx[1]!]!;
      return stacked();
    }
    // A definition (or the loss's Jacobian): differentiated here, with respect to the named vars.
    const f = isLoss ? this.lowered!.loss : this.lets.get(t.of);
    if (!f) throw new InternalError(`no definition '${t.of}'`);
    const [x, y] = [variable(t.wrt[0]!), variable(t.wrt[1] ?? t.wrt[0]!)];
    if (t.op === 'jac') return factorCommon(g, jacobian(g, g.vec(f), x));
    const grad = factorCommon(g, gradient(g, f, [x])[0]!);
    if (t.op === 'grad') return grad;
    return factorCommon(g, jacobian(g, g.vec(grad), y));
  }
}
