/**
 * The typed tensor IR: a hash-consed DAG whose nodes are scalars (1×1), column vectors (n×1), row
 * vectors (1×n) and matrices. Nodes are built only through `Graph`'s smart constructors, which
 * apply local, always-valid rewrites (identities, constant folding, transposes pushed down,
 * diag(a) b = a ∘ b, …) and intern the result, so equal subexpressions are one node.
 */
import {
  type Dim,
  type Shape,
  SCALAR,
  dimEq,
  dimMul,
  isColumn,
  isLiteral,
  isRow,
  isScalarShape,
  literalDim,
  numel,
  shapeEq,
  shapeKey,
  shapeOf,
  transposeShape,
} from '../language/shape';
import type { Span } from '../language/diagnostics';
import { ELEMENTWISE } from './ops/elementwise';
import { rationalPower, rationalProduct, rationalSum } from './rational';

/** The name of an elementwise function: a key of ELEMENTWISE in ops/elementwise.ts. */
export type ElementwiseFn = string;

/** A 1-based position in an index expression: a literal or a summation index. */
export type IndexRef = { kind: 'lit'; value: number } | { kind: 'index'; name: string };

interface Common {
  readonly id: number;
  readonly shape: Shape;
  readonly args: readonly Node[];
  readonly key: string;
  /** Differentiation variables this node depends on. */
  readonly vars: ReadonlySet<string>;
  /** Summation indices free in this node. */
  readonly freeIndices: ReadonlySet<string>;
}

export type Node = Common &
  (
    | { kind: 'var' | 'given'; name: string }
    | { kind: 'const'; name: string; value: number }
    | { kind: 'num'; value: number }
    | { kind: 'identity' | 'ones' | 'zeros' }
    | { kind: 'unit'; index: IndexRef }
    | { kind: 'indexValue'; index: string }
    | { kind: 'commutation'; m: Dim; n: Dim }
    | {
        kind:
          | 'add'
          | 'scale'
          | 'matmul'
          | 'hadamard'
          | 'divide'
          | 'transpose'
          | 'kron'
          | 'pow'
          | 'inner'
          | 'sum'
          | 'trace'
          | 'diag'
          | 'diagvec'
          | 'vec'
          | 'unvec'
          | 'softmax'
          | 'normalize'
          | 'det'
          | 'logdet'
          | 'inv'
          | 'logsumexp'
          // Values computed from data at a sample, with no derivative (claims' constants).
          | 'sigmaMax'
          | 'sigmaMin'
          | 'lambdaMax'
          | 'lambdaMin'
          | 'normInf'
          | 'max'
          | 'min';
      }
    | { kind: 'fn'; fn: ElementwiseFn }
    | { kind: 'norm'; p: '2' | 'F' }
    | { kind: 'slice'; row: IndexRef | null; col: IndexRef | null }
    /** Rows (index−1)·size+1 … index·size: member `index` of a family of matrices stacked by rows. */
    | { kind: 'rowBlock'; index: IndexRef; size: number }
    | {
        kind: 'indexSum';
        index: string;
        lower: number;
        upper: number;
        /** The dim or const the upper limit was written as. */ upperName?: string;
      }
  );

export type Kind = Node['kind'];
export type NodeOf<K extends Kind> = Node & { kind: K };

/** Internal invariant violations (bugs), kept apart from user errors which are diagnostics. */
export class InternalError extends Error {}

/** A rewrite or rule that needs a capability the engine lacks; the message names the op. */
export class UnsupportedError extends Error {
  /** The node whose rule failed, when known: its source position (Graph.spans) locates the diagnostic. */
  node?: Node;

  constructor(
    readonly op: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A constant that folds to ±Infinity or NaN (1 / (<x, x> - <x, x>), 1e200 · 1e200): a user error,
 * never a value. Lowering records where the expression was written.
 */
export class NonFiniteConstant extends Error {
  span?: Span;
}

export function assertKind<K extends Kind>(node: Node, kind: K): NodeOf<K> {
  if (node.kind !== kind) throw new InternalError(`expected a '${kind}' node, got '${node.kind}'`);
  return node as NodeOf<K>;
}

function refKey(r: IndexRef | null): string {
  return r === null ? ':' : r.kind === 'lit' ? String(r.value) : `$${r.name}`;
}

const EMPTY: ReadonlySet<string> = new Set();

function union(sets: ReadonlySet<string>[]): ReadonlySet<string> {
  const nonEmpty = sets.filter((s) => s.size > 0);
  if (nonEmpty.length === 0) return EMPTY;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const out = new Set<string>();
  for (const s of nonEmpty) for (const v of s) out.add(v);
  return out;
}

type Attrs = Record<string, unknown>;

export class Graph {
  private readonly table = new Map<string, Node>();
  private nextId = 0;
  /** Display names from `let`/`loss` statements, used by printers for CSE-style output. */
  readonly names = new Map<number, string>();
  /** Where in the source a node was first written (lowering records it), for diagnostics about it. */
  readonly spans = new Map<number, Span>();

  get size(): number {
    return this.table.size;
  }

  private intern(kind: Kind, shape: Shape, args: readonly Node[], attrs: Attrs = {}, keyExtra = ''): Node {
    const key = `${kind}(${args.map((a) => a.id).join(',')})${keyExtra}:${shapeKey(shape)}`;
    const existing = this.table.get(key);
    if (existing) return existing;
    let vars = union(args.map((a) => a.vars));
    let freeIndices = union(args.map((a) => a.freeIndices));
    if (kind === 'var') vars = new Set([attrs['name'] as string]);
    if (kind === 'indexValue') freeIndices = new Set([attrs['index'] as string]);
    for (const r of [attrs['index'], attrs['row'], attrs['col']]) {
      if (r && typeof r === 'object' && (r as IndexRef).kind === 'index')
        freeIndices = union([freeIndices, new Set([(r as { name: string }).name])]);
    }
    if (kind === 'indexSum') {
      const bound = attrs['index'] as string;
      if (freeIndices.has(bound)) freeIndices = new Set([...freeIndices].filter((i) => i !== bound));
    }
    const node = { id: this.nextId++, kind, shape, args, key, vars, freeIndices, ...attrs } as unknown as Node;
    this.table.set(key, node);
    return node;
  }

  /** A node exactly as described (deserialisation): no rewriting, still interned. */
  restore(kind: Kind, shape: Shape, args: readonly Node[], attrs: Attrs): Node {
    return this.intern(kind, shape, args, attrs, JSON.stringify(attrs));
  }

  // ---- leaves --------------------------------------------------------------------------------

  variable(name: string, shape: Shape): Node {
    return this.intern('var', shape, [], { name }, name);
  }

  given(name: string, shape: Shape): Node {
    return this.intern('given', shape, [], { name }, name);
  }

  constant(name: string, value: number): Node {
    if (!Number.isFinite(value)) throw new NonFiniteConstant(`the constant ${name} is ${value} in float64`);
    return this.intern('const', SCALAR, [], { name, value }, `${name}=${value}`);
  }

  num(value: number): Node {
    if (!Number.isFinite(value))
      throw new NonFiniteConstant(
        `this expression folds to the constant ${Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'} (it overflows float64 or divides by zero)`,
      );
    return this.intern('num', SCALAR, [], { value }, String(Object.is(value, -0) ? 0 : value));
  }

  identity(n: Dim): Node {
    if (n.value === 1 && isLiteral(n)) return this.num(1);
    return this.intern('identity', shapeOf(n, n), []);
  }

  ones(shape: Shape): Node {
    if (isScalarShape(shape)) return this.num(1);
    return this.intern('ones', shape, []);
  }

  zeros(shape: Shape): Node {
    if (isScalarShape(shape)) return this.num(0);
    return this.intern('zeros', shape, []);
  }

  /** e_i ∈ R^n (1-based i). */
  unit(n: Dim, index: IndexRef): Node {
    return this.intern('unit', shapeOf(n), [], { index }, refKey(index));
  }

  indexValue(index: string): Node {
    return this.intern('indexValue', SCALAR, [], { index }, index);
  }

  /** K_{m,n}: vec(Mᵀ) = K vec(M) for M ∈ R^{m×n}. */
  commutation(m: Dim, n: Dim): Node {
    const mn = dimMul(m, n);
    return this.intern('commutation', shapeOf(mn, mn), [], { m, n }, `${m.value}x${n.value}`);
  }

  // ---- predicates used by rewrites -----------------------------------------------------------

  isZero(n: Node): boolean {
    return n.kind === 'zeros' || (n.kind === 'num' && n.value === 0);
  }

  isOne(n: Node): boolean {
    return n.kind === 'num' && n.value === 1;
  }

  /*
   * Numbers fold as the rationals they stand for (rational.ts): 0.1 · 0.1 is 0.01, and a fold whose
   * result no float64 stands for is not done. A derivative and its printed form, folded in other
   * orders, then hold the same numbers, and the exact identity test proves them equal.
   */
  private foldSum(a: number, b: number): number | undefined {
    const plain = a + b;
    // A fold that overflows (or divides by zero) still happens: num() reports the constant.
    return Number.isFinite(plain) ? rationalSum(a, b) : plain;
  }

  private foldProduct(a: number, b: number): number | undefined {
    const plain = a * b;
    return Number.isFinite(plain) ? rationalProduct(a, b) : plain;
  }

  /** A non-integer power of a number is an irrational constant: its float64 value stands for it. */
  private foldPow(b: number, e: number): number | undefined {
    const plain = b ** e;
    return Number.isFinite(plain) && Number.isInteger(e) ? rationalPower(b, e) : plain;
  }

  private numValue(n: Node): number | undefined {
    return n.kind === 'num' ? n.value : undefined;
  }

  // ---- arithmetic ----------------------------------------------------------------------------

  add(a: Node, b: Node): Node {
    this.requireSameShape('add', a, b);
    if (this.isZero(a)) return b;
    if (this.isZero(b)) return a;
    const av = this.numValue(a);
    const bv = this.numValue(b);
    const folded = av !== undefined && bv !== undefined ? this.foldSum(av, bv) : undefined;
    if (folded !== undefined) return this.num(folded);
    const [ca, xa] = this.splitCoefficient(a);
    const [cb, xb] = this.splitCoefficient(b);
    const like = xa === xb ? this.foldSum(ca, cb) : undefined;
    if (like !== undefined) return this.scale(this.num(like), xa);
    if (a.kind === 'diag' && b.kind === 'diag') return this.diag(this.add(a.args[0]!, b.args[0]!));
    if (a.kind === 'transpose' && b.kind === 'transpose') return this.transpose(this.add(a.args[0]!, b.args[0]!));
    if (a.kind === 'add') {
      // (… + c₁ x + …) + c₂ x: fold like terms across the whole sum, so f − b + f is 2 f − b.
      const terms = this.addTerms(a);
      const at = terms.findIndex((t) => this.splitCoefficient(t)[1] === xb);
      const sum = at >= 0 ? this.foldSum(this.splitCoefficient(terms[at]!)[0], cb) : undefined;
      if (sum !== undefined) {
        terms[at] = this.scale(this.num(sum), xb);
        return terms.reduce((acc, t) => this.add(acc, t));
      }
    }
    return this.intern('add', a.shape, [a, b]);
  }

  /** The terms of a (left-nested) sum, in order; linear in the number of terms, no recursion. */
  addTerms(n: Node): Node[] {
    // Sums are rebuilt term by term (like-term folding), so the term lists of their prefixes are
    // cached: an iterated add then costs O(terms) instead of O(terms²).
    const cached = this.termCache.get(n);
    if (cached) return [...cached];
    const out: Node[] = [];
    const stack: Node[] = [n];
    while (stack.length > 0) {
      const x = stack.pop()!;
      const known = x !== n ? this.termCache.get(x) : undefined;
      if (known) out.push(...known);
      else if (x.kind === 'add') stack.push(x.args[1]!, x.args[0]!);
      else out.push(x);
    }
    if (n.kind === 'add') this.termCache.set(n, out);
    return [...out];
  }

  private readonly termCache = new WeakMap<Node, Node[]>();

  sub(a: Node, b: Node): Node {
    return this.add(a, this.neg(b));
  }

  neg(a: Node): Node {
    return this.scale(this.num(-1), a);
  }

  /** Numeric coefficient and the rest: 3·x → [3, x]. */
  splitCoefficient(n: Node): [number, Node] {
    if (n.kind === 'scale' && n.args[0]!.kind === 'num') return [n.args[0]!.value, n.args[1]!];
    return [1, n];
  }

  /**
   * Scalar s times any tensor m, in the canonical form c · (f₁ · (f₂ · … M)): one numeric coefficient
   * outermost (so sums print "a - 2 b"), then the symbolic scalar factors in a fixed order.
   */
  scale(s: Node, m: Node): Node {
    if (!isScalarShape(s.shape)) throw new InternalError(`scale by a non-scalar ${shapeKey(s.shape)}`);
    if (this.isZero(s) || this.isZero(m)) return this.zeros(m.shape);
    if (this.isOne(s)) return m;
    if (isScalarShape(m.shape) && this.isOne(m)) return s;
    if (s.kind === 'pow' && s.args[1]!.kind === 'num' && s.args[1]!.value === -1 && this.isSumOf(s.args[0]!, m)) {
      return this.normalize(m);
    }
    let coef = 1;
    const factors: Node[] = [];
    const collect = (x: Node): void => {
      const product = x.kind === 'num' ? this.foldProduct(coef, x.value) : undefined;
      if (product !== undefined) coef = product;
      // A scalar let (s = α <x, x>) stays one factor, so products of it print by its name.
      else if (x.kind === 'scale' && !(isScalarShape(x.shape) && this.names.has(x.id))) {
        collect(x.args[0]!);
        collect(x.args[1]!);
      } else factors.push(x);
    };
    collect(s);
    let base: Node;
    if (isScalarShape(m.shape)) {
      collect(m);
      if (coef === 0) return this.num(0);
      const merged = this.mergePowers(factors);
      if (merged.length === 0) return this.num(coef);
      factors.splice(0, factors.length, ...merged);
      factors.sort((a, b) => a.id - b.id);
      base = factors.pop()!;
    } else {
      while (m.kind === 'scale') {
        collect(m.args[0]!);
        m = m.args[1]!;
      }
      if (coef === 0) return this.zeros(m.shape);
      factors.splice(0, factors.length, ...this.mergePowers(factors));
      factors.sort((a, b) => a.id - b.id);
      base = m;
    }
    let acc = base;
    for (let i = factors.length - 1; i >= 0; i--) acc = this.intern('scale', acc.shape, [factors[i]!, acc]);
    return coef === 1 ? acc : this.intern('scale', acc.shape, [this.num(coef), acc]);
  }

  /**
   * Scalar factors with one base multiply into one power: α α → α², t³ t⁻¹ → t² (whole exponents
   * only, so no branch of a root is chosen). A base whose exponents cancel drops out.
   */
  private mergePowers(factors: readonly Node[]): Node[] {
    const wholePower = (x: Node): [Node, number] =>
      x.kind === 'pow' && x.args[1]!.kind === 'num' && Number.isInteger(x.args[1]!.value) ? [x.args[0]!, x.args[1]!.value] : [x, 1];
    const exponents = new Map<Node, number>();
    for (const f of factors) {
      const [b, e] = wholePower(f);
      exponents.set(b, (exponents.get(b) ?? 0) + e);
    }
    if (exponents.size === factors.length) return [...factors];
    const out: Node[] = [];
    for (const [b, e] of exponents) {
      if (e === 0) continue;
      const p = this.pow(b, this.num(e));
      // The power may itself be a product (a norm squared is an inner product): keep it one factor.
      if (p.kind === 'scale') return [...factors];
      out.push(p);
    }
    return out;
  }

  /** Product of two scalars, numbers folded. */
  mulScalars(a: Node, b: Node): Node {
    const av = this.numValue(a);
    const bv = this.numValue(b);
    const folded = av !== undefined && bv !== undefined ? this.foldProduct(av, bv) : undefined;
    if (folded !== undefined) return this.num(folded);
    return this.scale(a, b);
  }

  /** Is s = <v, 1> (the sum of v's entries)? */
  private isSumOf(s: Node, v: Node): boolean {
    if (!isColumn(v.shape)) return false;
    if (s.kind === 'sum') return s.args[0] === v;
    if (s.kind === 'inner') return (s.args[0] === v && s.args[1]!.kind === 'ones') || (s.args[1] === v && s.args[0]!.kind === 'ones');
    return false;
  }

  /** <u, 1>^{-1} u, the normalisation of a vector; of exp(z) it is softmax(z). */
  normalize(u: Node): Node {
    if (u.kind === 'fn' && u.fn === 'exp') return this.softmax(u.args[0]!);
    return this.intern('normalize', u.shape, [u]);
  }

  softmax(z: Node): Node {
    return this.intern('softmax', z.shape, [z]);
  }

  matmul(a: Node, b: Node): Node {
    if (isScalarShape(a.shape)) return this.scale(a, b);
    if (isScalarShape(b.shape)) return this.scale(b, a);
    if (!dimEq(a.shape.cols, b.shape.rows)) throw new InternalError(`matmul ${shapeKey(a.shape)} · ${shapeKey(b.shape)}`);
    const shape = shapeOf(a.shape.rows, b.shape.cols);
    if (this.isZero(a) || this.isZero(b)) return this.zeros(shape);
    if (a.kind === 'identity') return b;
    if (b.kind === 'identity') return a;
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.matmul(a.args[1]!, b));
    if (b.kind === 'scale') return this.scale(b.args[0]!, this.matmul(a, b.args[1]!));
    // (P Q) v → P (Q v): matrix-vector products instead of a matrix-matrix one (and uᵀ Q v = <u, Q v>).
    if (a.kind === 'matmul' && isColumn(b.shape) && !this.names.has(a.id)) return this.matmul(a.args[0]!, this.matmul(a.args[1]!, b));
    if (isRow(a.shape) && isColumn(b.shape)) {
      // uᵀ v is the inner product <u, v>.
      return this.inner(this.transpose(a), b);
    }
    if (a.kind === 'diag' && b.kind === 'diag') return this.diag(this.hadamard(a.args[0]!, b.args[0]!));
    // K_{m,n} vec(M) = vec(Mᵀ): the commutation matrix is the row-major vec.
    if (a.kind === 'commutation' && b.kind === 'vec' && dimEq(b.args[0]!.shape.rows, a.m) && dimEq(b.args[0]!.shape.cols, a.n))
      return this.vec(this.transpose(b.args[0]!));
    if (a.kind === 'diag' && isColumn(b.shape)) return this.hadamard(a.args[0]!, b);
    if (a.kind === 'diag' && b.kind === 'matmul' && b.args[0]!.kind === 'diag') return this.matmul(this.matmul(a, b.args[0]!), b.args[1]!);
    if (a.kind === 'ones' && isRow(a.shape) && isColumn(b.shape)) return this.sum(b);
    // Kronecker mixed product (A ⊗ B)(C ⊗ D) = AC ⊗ BD, also at the head of a product chain.
    if (this.kronCompatible(a, b)) return this.kron(this.matmul(a.args[0]!, b.args[0]!), this.matmul(a.args[1]!, b.args[1]!));
    if (b.kind === 'matmul' && this.kronCompatible(a, b.args[0]!)) return this.matmul(this.matmul(a, b.args[0]!), b.args[1]!);
    // D_nᵀ (X ⊗ Y) D_n = X ∘ Y, with D_n the diagonal embedding (vec(diag(v)) = D_n v).
    if (this.isDiagEmbedding(a, true) && b.kind === 'matmul' && b.args[0]!.kind === 'kron') {
      const [x, y] = b.args[0]!.args as [Node, Node];
      const rest = b.args[1]!;
      if (shapeEq(x.shape, y.shape) && dimEq(x.shape.rows, x.shape.cols)) {
        if (this.isDiagEmbedding(rest, false)) return this.hadamard(x, y);
        if (rest.kind === 'matmul' && this.isDiagEmbedding(rest.args[0]!, false)) return this.matmul(this.hadamard(x, y), rest.args[1]!);
      }
    }
    return this.intern('matmul', shape, [a, b]);
  }

  private kronCompatible(a: Node, b: Node): boolean {
    if (a.kind !== 'kron' || b.kind !== 'kron') return false;
    const [p, q] = a.args as [Node, Node];
    const [r, t] = b.args as [Node, Node];
    return dimEq(p.shape.cols, r.shape.rows) && dimEq(q.shape.cols, t.shape.rows);
  }

  /** Is n = D_n = (I ⊗ 1) ∘ (1 ⊗ I) (or, with `transposed`, its transpose)? */
  isDiagEmbedding(n: Node, transposed: boolean): boolean {
    if (transposed) return n.kind === 'transpose' && this.isDiagEmbedding(n.args[0]!, false);
    if (n.kind !== 'hadamard') return false;
    const [u, v] = n.args as [Node, Node];
    return (
      u.kind === 'kron' &&
      v.kind === 'kron' &&
      u.args[0]!.kind === 'identity' &&
      u.args[1]!.kind === 'ones' &&
      v.args[0]!.kind === 'ones' &&
      v.args[1]!.kind === 'identity' &&
      isColumn(u.args[1]!.shape)
    );
  }

  hadamard(a: Node, b: Node): Node {
    this.requireSameShape('hadamard', a, b);
    if (isScalarShape(a.shape)) return this.mulScalars(a, b);
    if (this.isZero(a) || this.isZero(b)) return this.zeros(a.shape);
    if (a.kind === 'ones') return b;
    if (b.kind === 'ones') return a;
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.hadamard(a.args[1]!, b));
    if (b.kind === 'scale') return this.scale(b.args[0]!, this.hadamard(a, b.args[1]!));
    // (w ∘ v) ∘ w → (w ∘ w) ∘ v: equal factors side by side, as a paper groups them.
    if (a.kind === 'hadamard' && a.args[0] === b && a.args[1] !== b) return this.hadamard(this.hadamard(b, b), a.args[1]!);
    // step(z) ∘ step(z) = step(z) and relu(z) ∘ step(z) = relu(z) everywhere (step is 0 or 1).
    const fnOf = (x: Node): string | undefined => (x.kind === 'fn' ? x.fn : undefined);
    if (a.kind === 'fn' && b.kind === 'fn' && a.args[0] === b.args[0]) {
      if (fnOf(b) === 'step' && (fnOf(a) === 'step' || fnOf(a) === 'relu')) return a;
      if (fnOf(a) === 'step' && fnOf(b) === 'relu') return b;
    }
    return this.intern('hadamard', a.shape, [a, b]);
  }

  /** Elementwise a ./ b; scalar division is a·b⁻¹. */
  divide(a: Node, b: Node): Node {
    if (isScalarShape(b.shape)) return this.scale(this.pow(b, this.num(-1)), a);
    this.requireSameShape('divide', a, b);
    if (this.isZero(a)) return a;
    if (b.kind === 'ones') return a;
    // a ./ (c 1) = (1/c) a for a number c (constants broadcast by user functions).
    if (b.kind === 'scale' && b.args[0]!.kind === 'num' && b.args[1]!.kind === 'ones')
      return this.scale(this.pow(b.args[0]!, this.num(-1)), a);
    const z = a.kind === 'ones' ? this.logisticArgument(b) : undefined;
    if (z) return this.fn('sigmoid', z);
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.divide(a.args[1]!, b));
    return this.intern('divide', a.shape, [a, b]);
  }

  transpose(a: Node): Node {
    if (isScalarShape(a.shape)) return a;
    switch (a.kind) {
      case 'transpose':
        return a.args[0]!;
      case 'identity':
      case 'diag':
      case 'commutation':
        return a.kind === 'commutation' ? this.commutation(a.n, a.m) : a;
      case 'zeros':
        return this.zeros(transposeShape(a.shape));
      case 'ones':
        return this.ones(transposeShape(a.shape));
      case 'scale':
        return this.scale(a.args[0]!, this.transpose(a.args[1]!));
      case 'matmul':
        if (this.isSymmetric(a)) return a;
        return this.matmul(this.transpose(a.args[1]!), this.transpose(a.args[0]!));
      case 'kron':
        return this.kron(this.transpose(a.args[0]!), this.transpose(a.args[1]!));
      default:
        if (this.isSymmetric(a)) return a;
        return this.intern('transpose', transposeShape(a.shape), [a]);
    }
  }

  /** Structural symmetry: Mᵀ M, M Mᵀ, sums and scalings of symmetric nodes, uuᵀ. */
  isSymmetric(a: Node): boolean {
    if (!dimEq(a.shape.rows, a.shape.cols) || isScalarShape(a.shape)) return false;
    switch (a.kind) {
      case 'identity':
      case 'diag':
      case 'zeros':
        return true;
      case 'ones':
        return true;
      case 'scale':
        return this.isSymmetric(a.args[1]!);
      case 'add':
      case 'hadamard':
        return this.isSymmetric(a.args[0]!) && this.isSymmetric(a.args[1]!);
      case 'matmul': {
        // F₁ F₂ … F_k is symmetric when F_{k+1−i} = F_iᵀ and the middle factor (k odd) is symmetric: Aᵀ D A.
        const chain = this.productChain(a);
        for (let i = 0, j = chain.length - 1; i < j; i++, j--) if (this.transposeIfCheap(chain[i]!) !== chain[j]) return false;
        return chain.length % 2 === 0 || this.isSymmetric(chain[(chain.length - 1) / 2]!);
      }
      case 'inv':
      case 'kron':
        return a.args.every((x) => this.isSymmetric(x));
      case 'given':
        return this.symmetricInputs.has(a.name);
      case 'rowBlock':
        return a.args[0]!.kind === 'given' && this.symmetricInputs.has(a.args[0]!.name);
      default:
        return false;
    }
  }

  /**
   * Givens declared `sym` or `psd` (for a family: each member): their transposes are themselves.
   * Not vars: Wᵀ → W would change the derivative in non-symmetric directions.
   */
  readonly symmetricInputs = new Set<string>();

  /** Every name the program declares (dims, consts, givens, vars, lets, defs, the loss). */
  readonly declaredNames = new Set<string>();

  private productChain(n: Node): Node[] {
    return n.kind === 'matmul' ? [...this.productChain(n.args[0]!), ...this.productChain(n.args[1]!)] : [n];
  }

  private transposeIfCheap(a: Node): Node | undefined {
    if (a.kind === 'transpose') return a.args[0]!;
    if (isColumn(a.shape) || isRow(a.shape)) return this.transpose(a);
    return this.table.get(`transpose(${a.id}):${shapeKey(transposeShape(a.shape))}`);
  }

  kron(a: Node, b: Node): Node {
    if (isScalarShape(a.shape)) return this.scale(a, b);
    if (isScalarShape(b.shape)) return this.scale(b, a);
    const shape = shapeOf(dimMul(a.shape.rows, b.shape.rows), dimMul(a.shape.cols, b.shape.cols));
    if (this.isZero(a) || this.isZero(b)) return this.zeros(shape);
    if (a.kind === 'identity' && b.kind === 'identity') return this.identity(shape.rows);
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.kron(a.args[1]!, b));
    if (b.kind === 'scale') return this.scale(b.args[0]!, this.kron(a, b.args[1]!));
    return this.intern('kron', shape, [a, b]);
  }

  fn(fn: ElementwiseFn, a: Node): Node {
    const def = ELEMENTWISE[fn];
    if (!def) throw new InternalError(`unknown elementwise function '${fn}'`);
    if (a.kind === 'num') {
      const folded = def.fold?.(a.value);
      if (folded !== undefined) return this.num(folded);
    }
    return this.intern('fn', a.shape, [a], { fn }, fn);
  }

  // ---- square matrices -----------------------------------------------------------------------

  inv(m: Node): Node {
    if (isScalarShape(m.shape)) return this.pow(m, this.num(-1));
    this.requireSquare('inv', m);
    switch (m.kind) {
      case 'identity':
        return m;
      case 'inv':
        return m.args[0]!;
      case 'diag':
        return this.diag(this.divide(this.ones(m.args[0]!.shape), m.args[0]!));
      case 'scale':
        return this.scale(this.pow(m.args[0]!, this.num(-1)), this.inv(m.args[1]!));
      case 'transpose':
        return this.transpose(this.inv(m.args[0]!));
      default:
        return this.intern('inv', m.shape, [m]);
    }
  }

  det(m: Node): Node {
    if (isScalarShape(m.shape)) return m;
    this.requireSquare('det', m);
    switch (m.kind) {
      case 'identity':
        return this.num(1);
      case 'transpose':
        return this.det(m.args[0]!);
      case 'inv':
        return this.pow(this.det(m.args[0]!), this.num(-1));
      case 'scale':
        // det(c M) = c^n det(M)
        return this.mulScalars(this.pow(m.args[0]!, this.num(m.shape.rows.value)), this.det(m.args[1]!));
      default:
        return this.intern('det', SCALAR, [m]);
    }
  }

  /** log det M; NaN where det M < 0 (the value is log of the determinant, not of its absolute value). */
  logdet(m: Node): Node {
    if (isScalarShape(m.shape)) return this.fn('log', m);
    this.requireSquare('logdet', m);
    switch (m.kind) {
      case 'identity':
        return this.num(0);
      case 'transpose':
        return this.logdet(m.args[0]!);
      case 'inv':
        return this.neg(this.logdet(m.args[0]!));
      default:
        return this.intern('logdet', SCALAR, [m]);
    }
  }

  /** log Σᵢ exp(vᵢ), evaluated stably. */
  logsumexp(v: Node): Node {
    if (isScalarShape(v.shape)) return v;
    return this.intern('logsumexp', SCALAR, [v]);
  }

  /** A value computed from data at a sample (σ_max, σ_min, λ_max, λ_min, ‖·‖_∞); it has no derivative. */
  dataConstant(kind: 'sigmaMax' | 'sigmaMin' | 'lambdaMax' | 'lambdaMin' | 'normInf', a: Node): Node {
    if (kind === 'lambdaMax' || kind === 'lambdaMin') {
      this.requireSquare(kind, a);
      if (isScalarShape(a.shape)) return a;
    }
    return this.intern(kind, SCALAR, [a]);
  }

  /** Entrywise max / min of two tensors of one shape. */
  extremum(kind: 'max' | 'min', a: Node, b: Node): Node {
    this.requireSameShape(kind, a, b);
    if (a === b) return a;
    const av = this.numValue(a);
    const bv = this.numValue(b);
    if (av !== undefined && bv !== undefined) return this.num(kind === 'max' ? Math.max(av, bv) : Math.min(av, bv));
    return this.intern(kind, a.shape, [a, b]);
  }

  /** Member `index` (1-based) of a family of matrices with `rows` rows each, stacked by rows. */
  rowBlock(x: Node, index: IndexRef, rows: Dim): Node {
    const shape = shapeOf(rows, x.shape.cols);
    if (this.isZero(x)) return this.zeros(shape);
    if (x.kind === 'scale') return this.scale(x.args[0]!, this.rowBlock(x.args[1]!, index, rows));
    return this.intern('rowBlock', shape, [x], { index, size: rows.value }, `[${refKey(index)}/${rows.value}]`);
  }

  /** z when x is 1 + exp(−z) (a vector of ones, or the number 1): 1 ./ x is then sigmoid(z), as papers write it. */
  private logisticArgument(x: Node): Node | undefined {
    if (x.kind !== 'add') return undefined;
    const [p, q] = x.args as [Node, Node];
    const one = (n: Node): boolean => n.kind === 'ones' || this.isOne(n);
    const e = one(p) ? q : one(q) ? p : undefined;
    if (!e || e.kind !== 'fn' || e.fn !== 'exp' || this.splitCoefficient(e.args[0]!)[0] >= 0) return undefined;
    return this.neg(e.args[0]!);
  }

  /** Scalar power; both operands are scalars. */
  pow(base: Node, exponent: Node): Node {
    const e = this.numValue(exponent);
    const bv = this.numValue(base);
    if (e === 1) return base;
    if (e === 0) return this.num(1);
    const logistic = e === -1 ? this.logisticArgument(base) : undefined;
    if (logistic) return this.fn('sigmoid', logistic);
    const folded = bv !== undefined && e !== undefined ? this.foldPow(bv, e) : undefined;
    if (folded !== undefined) return this.num(folded);
    if (base.kind === 'pow' && e !== undefined && base.args[1]!.kind === 'num') {
      return this.pow(base.args[0]!, this.num(base.args[1]!.value * e));
    }
    if (base.kind === 'norm' && e === 2) {
      const v = base.args[0]!;
      return this.inner(v, v);
    }
    const coefficient =
      base.kind === 'scale' && base.args[0]!.kind === 'num' && e !== undefined ? this.foldPow(base.args[0]!.value, e) : undefined;
    if (coefficient !== undefined) {
      return this.scale(this.num(coefficient), this.pow(base.args[1]!, exponent));
    }
    return this.intern('pow', SCALAR, [base, exponent]);
  }

  inner(a: Node, b: Node): Node {
    this.requireSameShape('inner', a, b);
    if (isScalarShape(a.shape)) return this.mulScalars(a, b);
    if (this.isZero(a) || this.isZero(b)) return this.num(0);
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.inner(a.args[1]!, b));
    if (b.kind === 'scale') return this.scale(b.args[0]!, this.inner(a, b.args[1]!));
    if (a.kind === 'ones' && b.kind !== 'ones') return this.inner(b, a);
    return this.intern('inner', SCALAR, [a, b]);
  }

  /** Sum of all entries. */
  sum(a: Node): Node {
    if (isScalarShape(a.shape)) return a;
    if (this.isZero(a)) return this.num(0);
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.sum(a.args[1]!));
    if (isColumn(a.shape)) return this.inner(a, this.ones(a.shape));
    return this.intern('sum', SCALAR, [a]);
  }

  trace(a: Node): Node {
    if (isScalarShape(a.shape)) return a;
    if (this.isZero(a)) return this.num(0);
    if (a.kind === 'scale') return this.scale(a.args[0]!, this.trace(a.args[1]!));
    if (a.kind === 'diag') return this.sum(a.args[0]!);
    // tr(P ⊗ Q) = tr(P) tr(Q) for square P and Q.
    if (a.kind === 'kron' && a.args.every((x) => dimEq(x.shape.rows, x.shape.cols)))
      return this.mulScalars(this.trace(a.args[0]!), this.trace(a.args[1]!));
    return this.intern('trace', SCALAR, [a]);
  }

  diag(v: Node): Node {
    if (isScalarShape(v.shape)) return v;
    const shape = shapeOf(v.shape.rows, v.shape.rows);
    if (this.isZero(v)) return this.zeros(shape);
    if (v.kind === 'ones') return this.identity(v.shape.rows);
    if (v.kind === 'scale') return this.scale(v.args[0]!, this.diag(v.args[1]!));
    return this.intern('diag', shape, [v]);
  }

  /** The diagonal of a square matrix, as a column vector. */
  diagvec(m: Node): Node {
    if (isScalarShape(m.shape)) return m;
    const shape = shapeOf(m.shape.rows);
    switch (m.kind) {
      case 'diag':
        return m.args[0]!;
      case 'identity':
        return this.ones(shape);
      case 'zeros':
        return this.zeros(shape);
      case 'scale':
        return this.scale(m.args[0]!, this.diagvec(m.args[1]!));
      case 'add':
        return this.add(this.diagvec(m.args[0]!), this.diagvec(m.args[1]!));
      case 'matmul':
        if (isColumn(m.args[0]!.shape) && isRow(m.args[1]!.shape)) return this.hadamard(m.args[0]!, this.transpose(m.args[1]!));
        break;
      default:
        break;
    }
    return this.intern('diagvec', shape, [m]);
  }

  vec(m: Node): Node {
    if (isColumn(m.shape)) return m;
    const shape = shapeOf(numel(m.shape));
    if (isRow(m.shape)) return this.transpose(m);
    if (m.kind === 'unvec') return m.args[0]!;
    if (this.isZero(m)) return this.zeros(shape);
    if (m.kind === 'scale') return this.scale(m.args[0]!, this.vec(m.args[1]!));
    if (m.kind === 'add') return this.add(this.vec(m.args[0]!), this.vec(m.args[1]!));
    return this.intern('vec', shape, [m]);
  }

  /** The inverse of vec: a column vector of length r·c as an r×c matrix (column-major). */
  unvec(v: Node, shape: Shape): Node {
    if (isColumn(shape)) return v;
    if (isRow(shape)) return this.transpose(v);
    if (v.kind === 'vec' && shapeEq(v.args[0]!.shape, shape)) return v.args[0]!;
    if (this.isZero(v)) return this.zeros(shape);
    if (v.kind === 'scale') return this.scale(v.args[0]!, this.unvec(v.args[1]!, shape));
    if (v.kind === 'add') return this.add(this.unvec(v.args[0]!, shape), this.unvec(v.args[1]!, shape));
    return this.intern('unvec', shape, [v], {}, `${shape.rows.value}x${shape.cols.value}`);
  }

  norm(a: Node, p: '2' | 'F'): Node {
    if (this.isZero(a)) return this.num(0);
    return this.intern('norm', SCALAR, [a], { p }, p);
  }

  /** X[i, j], X[:, j], X[i, :] with 1-based indices; null is ':'. */
  slice(x: Node, row: IndexRef | null, col: IndexRef | null): Node {
    if (isColumn(x.shape) && col !== null) col = null;
    const shape = shapeOf(row === null ? x.shape.rows : literalDim(1), col === null ? x.shape.cols : literalDim(1));
    if (row === null && col === null) return x;
    if (this.isZero(x)) return this.zeros(shape);
    if (x.kind === 'scale') return this.scale(x.args[0]!, this.slice(x.args[1]!, row, col));
    return this.intern('slice', shape, [x], { row, col }, `[${refKey(row)},${refKey(col)}]`);
  }

  /**
   * The name an upper limit was written as, per (index, limits): sums rebuilt by rules that do not
   * carry the name (derivatives, rewrites) print it too. Not part of a node's identity.
   */
  private readonly sumLimitNames = new Map<string, string>();

  indexSum(index: string, lower: number, upper: number, body: Node, upperName?: string): Node {
    const limits = `${index}=${lower}..${upper}`;
    if (upperName !== undefined && !this.sumLimitNames.has(limits)) this.sumLimitNames.set(limits, upperName);
    const count = upper - lower + 1;
    if (count <= 0 || this.isZero(body)) return this.zeros(body.shape);
    if (!body.freeIndices.has(index)) return this.scale(this.num(count), body);
    if (body.kind === 'scale' && !body.args[0]!.freeIndices.has(index)) {
      return this.scale(body.args[0]!, this.indexSum(index, lower, upper, body.args[1]!));
    }
    const named = this.sumLimitNames.get(limits);
    return this.intern('indexSum', body.shape, [body], { index, lower, upper, ...(named ? { upperName: named } : {}) }, limits);
  }

  private requireSquare(op: string, a: Node): void {
    if (!dimEq(a.shape.rows, a.shape.cols)) throw new InternalError(`${op} of a non-square ${shapeKey(a.shape)}`);
  }

  private requireSameShape(op: string, a: Node, b: Node): void {
    if (!shapeEq(a.shape, b.shape)) throw new InternalError(`${op} of ${shapeKey(a.shape)} and ${shapeKey(b.shape)}`);
  }
}

/** Topological order (arguments before users) of everything reachable from the roots. */
export function topoOrder(roots: readonly Node[], descend: (n: Node) => boolean = () => true): Node[] {
  const seen = new Set<number>();
  const out: Node[] = [];
  const stack: [Node, number][] = roots.map((r) => [r, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i === 0 && seen.has(node.id)) {
      stack.pop();
      continue;
    }
    seen.add(node.id);
    if (i < node.args.length && descend(node)) {
      top[1]++;
      const child = node.args[i]!;
      if (!seen.has(child.id)) stack.push([child, 0]);
    } else {
      stack.pop();
      out.push(node);
    }
  }
  return out;
}
