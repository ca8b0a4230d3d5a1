/**
 * Name resolution and shape checking. Never throws on user input: every problem becomes a
 * diagnostic with a span, and a broken definition is remembered as broken so its uses do not
 * produce a cascade of follow-on errors.
 */
import type { ClaimAst, Comparison, DimProduct, Expr, IndexArg, Statement, TypeAst } from './ast';
import type { Diagnostic, DiagnosticCode, Span } from './diagnostics';
import { parse } from './parser';
import {
  type Dim,
  type Shape,
  SCALAR,
  dimEq,
  dimMul,
  isColumn,
  isRow,
  isScalarShape,
  literalDim,
  namedDim,
  numel,
  shapeEq,
  shapeOf,
  shapeText,
  transposeShape,
} from './shape';
import type { CheckedProgram, Claim, Constraint, FnName, TExpr, TIndex } from './typed';

/** M^p is expanded into p − 1 products; larger powers are almost surely a typo. */
const MAX_MATRIX_POWER = 64;

const ELEMENTWISE: ReadonlySet<string> = new Set<FnName>([
  'exp',
  'log',
  'cosh',
  'sinh',
  'tanh',
  'sigmoid',
  'relu',
  'sqrt',
  'abs',
  'step',
  'sign',
]);

type Binding =
  | { kind: 'dim'; dim: Dim }
  | { kind: 'const'; value: number }
  | { kind: 'given' | 'var'; shape: Shape }
  | { kind: 'let'; shape: Shape }
  | { kind: 'loss'; shape: Shape }
  | { kind: 'def' }
  | { kind: 'broken' };

/** Control flow for an expression that cannot be typed; the diagnostic is already recorded. */
class Broken {}

interface Scope {
  /** Summation indices in scope, with their ranges. */
  indices: Map<string, { lower: number; upper: number }>;
  /** Size for a bare `I` (from the other side of a matrix claim). */
  identitySize?: Dim;
  /** Inside a `def` body: its parameter. */
  param?: string;
}

export interface TypecheckResult {
  program: CheckedProgram;
  diagnostics: Diagnostic[];
}

/** `overrides` replaces the values of dims and consts by name (one point of a sweep). */
export function typecheckSource(text: string, overrides: ReadonlyMap<string, number> = new Map()): TypecheckResult {
  const parsed = parse(text);
  const checker = new Checker(text, parsed.diagnostics, overrides);
  const program = checker.checkProgram(parsed.program.statements);
  const diagnostics = parsed.diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { program, diagnostics };
}

class Checker {
  private readonly env = new Map<string, Binding>();
  private readonly program: CheckedProgram = { dims: [], consts: [], givens: [], vars: [], lets: [], defs: new Map(), claims: [] };

  constructor(
    private readonly text: string,
    private readonly diagnostics: Diagnostic[],
    private readonly overrides: ReadonlyMap<string, number> = new Map(),
  ) {}

  private error(code: DiagnosticCode, message: string, span: Span): Broken {
    this.diagnostics.push({ code, severity: 'error', message, span });
    return new Broken();
  }

  /** Source text of an expression for messages, shortened when long. */
  private src(e: { span: Span }): string {
    const s = this.text.slice(e.span.start, e.span.end).replace(/\s+/g, ' ').trim();
    return s.length > 40 ? `${s.slice(0, 37)}...` : s;
  }

  checkProgram(statements: Statement[]): CheckedProgram {
    for (const st of statements) {
      try {
        this.checkStatement(st);
      } catch (e) {
        if (!(e instanceof Broken)) throw e;
      }
    }
    // Missing loss/var is reported only when nothing else is wrong: a broken line may have been the loss.
    const clean = this.diagnostics.length === 0;
    if (clean && !this.program.loss && statements.length > 0 && !statements.some((s) => s.kind === 'loss')) {
      const last = statements[statements.length - 1]!;
      this.error('no-loss', "the file has no 'loss' statement (write: loss L = …)", { start: last.span.end, end: last.span.end });
    }
    if (clean && this.program.vars.length === 0 && statements.length > 0) {
      const last = statements[statements.length - 1]!;
      this.error('no-var', 'the file declares no variable to differentiate (write: var x : R^d)', {
        start: last.span.end,
        end: last.span.end,
      });
    }
    return this.program;
  }

  private define(name: string, span: Span, binding: Binding): void {
    if (this.env.has(name)) {
      this.error('duplicate-name', `'${name}' is already defined`, span);
      return;
    }
    this.env.set(name, binding);
  }

  private checkStatement(st: Statement): void {
    switch (st.kind) {
      case 'dim':
        for (const item of st.items) {
          const declared = this.constValue(item.value, 'a dimension');
          const v = this.overrides.get(item.name) ?? declared;
          if (v === undefined) {
            this.define(item.name, item.span, { kind: 'broken' });
          } else if (!Number.isInteger(v) || v < 1) {
            this.error('bad-dimension', `dimension ${item.name} must be a positive whole number, not ${v}`, item.value.span);
            this.define(item.name, item.span, { kind: 'broken' });
          } else {
            this.define(item.name, item.span, { kind: 'dim', dim: namedDim(item.name, v) });
            this.program.dims.push({ name: item.name, value: v });
          }
        }
        return;
      case 'const':
        for (const item of st.items) {
          const declared = this.constValue(item.value, 'a constant');
          const v = this.overrides.get(item.name) ?? declared;
          this.define(item.name, item.span, v === undefined ? { kind: 'broken' } : { kind: 'const', value: v });
          if (v !== undefined) this.program.consts.push({ name: item.name, value: v });
        }
        return;
      case 'decl': {
        const shape = this.checkType(st.type);
        if (!shape) {
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          return;
        }
        this.define(st.name, st.nameSpan, { kind: st.role, shape });
        const decl = { name: st.name, shape, constraints: this.checkConstraints(st.name, shape, st.constraints), span: st.span };
        (st.role === 'var' ? this.program.vars : this.program.givens).push(decl);
        return;
      }
      case 'let':
      case 'loss': {
        let expr: TExpr;
        try {
          expr = this.checkExpr(st.expr, { indices: new Map() });
        } catch (e) {
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          throw e;
        }
        if (st.kind === 'loss') {
          if (!isScalarShape(expr.shape)) {
            this.error('not-scalar', `the loss must be a scalar, but ${this.src(st.expr)} is ${shapeText(expr.shape)}`, st.expr.span);
            this.define(st.name, st.nameSpan, { kind: 'broken' });
            return;
          }
          if (this.program.loss) {
            this.error('duplicate-name', `only one loss per file; '${this.program.loss.name}' is already the loss`, st.nameSpan);
            return;
          }
          this.define(st.name, st.nameSpan, { kind: 'loss', shape: expr.shape });
          this.program.loss = { name: st.name, expr, span: st.span };
        } else {
          this.define(st.name, st.nameSpan, { kind: 'let', shape: expr.shape });
          this.program.lets.push({ name: st.name, expr, span: st.span });
        }
        return;
      }
      case 'def': {
        if (st.params.length !== 1) {
          this.error(
            'wrong-arity',
            `a user function takes one scalar parameter and is applied elementwise: def ${st.name}(t) = …`,
            st.span,
          );
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          return;
        }
        const param = st.params[0]!;
        let body: TExpr;
        try {
          body = this.checkExpr(st.body, { indices: new Map(), param });
        } catch (e) {
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          throw e;
        }
        if (!isScalarShape(body.shape)) {
          this.error('not-scalar', `the body of ${st.name}(${param}) must be a scalar expression of ${param}`, st.body.span);
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          return;
        }
        const uses = (t: TExpr): boolean =>
          t.k === 'var' || t.k === 'given' || t.k === 'let' || t.k === 'deriv' || t.k === 'indexValue'
            ? true
            : Object.values(t).some((v) => v && typeof v === 'object' && 'k' in (v as object) && uses(v as TExpr));
        if (uses(body)) {
          this.error('bad-claim', `the body of ${st.name}(${param}) may use only ${param}, numbers, dims and consts`, st.body.span);
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          return;
        }
        this.define(st.name, st.nameSpan, { kind: 'def' });
        this.program.defs.set(st.name, { name: st.name, param, body });
        return;
      }
      case 'claim': {
        const claim = this.checkClaim(st.claim, st.span);
        if (claim) this.program.claims.push(claim);
        return;
      }
      case 'sweep': {
        const items = [];
        for (const item of st.items) {
          const b = this.env.get(item.name);
          if (!b || (b.kind !== 'dim' && b.kind !== 'const')) {
            this.error(b ? 'bad-claim' : 'unknown-name', `sweep ${item.name}: only dims and consts declared above can be swept`, item.span);
            continue;
          }
          if (b.kind === 'dim' && item.values.some((v) => !Number.isInteger(v) || v < 1)) {
            this.error('bad-dimension', `sweep ${item.name}: a dimension takes positive whole numbers`, item.span);
            continue;
          }
          items.push({ name: item.name, values: item.values });
        }
        if (this.program.sweep) this.error('duplicate-name', 'only one sweep statement per file', st.span);
        else this.program.sweep = items;
        return;
      }
    }
  }

  // ---- types and constants -------------------------------------------------------------------

  private checkType(t: TypeAst): Shape | undefined {
    const dims: Dim[] = [];
    for (const d of t.dims) {
      const dim = this.checkDimProduct(d);
      if (!dim) return undefined;
      dims.push(dim);
    }
    if (dims.length === 0) return SCALAR;
    return shapeOf(dims[0]!, dims[1] ?? literalDim(1));
  }

  private checkDimProduct(d: DimProduct): Dim | undefined {
    let dim = literalDim(d.literal);
    for (const f of d.factors) {
      const b = this.env.get(f.name);
      if (!b || b.kind !== 'dim') {
        this.error(
          b ? 'bad-dimension' : 'unknown-name',
          b
            ? `'${f.name}' is not a dimension (declare it with: dim ${f.name} = …)`
            : `unknown dimension '${f.name}' (declare it with: dim ${f.name} = …)`,
          f.span,
        );
        return undefined;
      }
      for (let k = 0; k < f.power; k++) dim = dimMul(dim, b.dim);
    }
    return dim;
  }

  /** Value of an expression built from numbers, dims and consts, or undefined with a diagnostic. */
  private constValue(e: Expr, what: string): number | undefined {
    try {
      const t = this.checkExpr(e, { indices: new Map() });
      const v = evaluateConstant(t);
      if (v === undefined) {
        this.error('not-scalar', `${what} must be a number computed from numbers, dims and consts; ${this.src(e)} is not`, e.span);
      } else if (!Number.isFinite(v)) {
        // A literal out of range is reported by the lexer already.
        const inside = (d: Diagnostic): boolean => d.span.start >= e.span.start && d.span.end <= e.span.end;
        if (!this.diagnostics.some((d) => d.code === 'number-out-of-range' && inside(d)))
          this.error(
            'non-finite-constant',
            `${this.src(e)} is ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'} in float64`,
            e.span,
          );
        return undefined;
      }
      return v;
    } catch (err) {
      if (err instanceof Broken) return undefined;
      throw err;
    }
  }

  // ---- constraints ---------------------------------------------------------------------------

  private checkConstraints(name: string, shape: Shape, comparisons: Comparison[]): Constraint[] {
    const out: Constraint[] = [];
    for (const c of comparisons) {
      try {
        out.push(...this.checkConstraint(name, shape, c));
      } catch (e) {
        if (!(e instanceof Broken)) throw e;
      }
    }
    return out;
  }

  private checkConstraint(name: string, shape: Shape, c: Comparison): Constraint[] {
    const supported = `supported: ||${name}||_2 <= r, ${name} >= c, ${name} <= c, a <= ${name} <= b, sum(${name}) = c`;
    const isSelf = (e: Expr): boolean => e.kind === 'name' && e.name === name;
    const constant = (e: Expr): TExpr => {
      const t = this.checkExpr(e, { indices: new Map() });
      if (!isScalarShape(t.shape) || evaluateConstant(t) === undefined) {
        throw this.error('bad-constraint', `a bound must be a constant number, but ${this.src(e)} is not`, e.span);
      }
      return t;
    };
    const out: Constraint[] = [];
    for (let i = 0; i < c.ops.length; i++) {
      const left = c.terms[i]!;
      const right = c.terms[i + 1]!;
      const op = c.ops[i]!;
      const span = { start: left.span.start, end: right.span.end };
      if (left.kind === 'norm' && isSelf(left.arg) && op === '<=') {
        const norm = left.p === '2' && !isColumn(shape) ? 'spectral' : left.p;
        out.push({ kind: 'normBall', norm, radius: constant(right), span });
      } else if (left.kind === 'call' && left.fn === 'sum' && left.args.length === 1 && isSelf(left.args[0]!) && op === '=') {
        out.push({ kind: 'sum', value: constant(right), span });
      } else if (isSelf(left) && op !== '=') {
        out.push({ kind: op === '>=' ? 'lower' : 'upper', bound: constant(right), span });
      } else if (isSelf(right) && op !== '=') {
        out.push({ kind: op === '<=' ? 'lower' : 'upper', bound: constant(left), span });
      } else {
        throw this.error('bad-constraint', `unsupported constraint on ${name} (${supported})`, span);
      }
    }
    return out;
  }

  // ---- claims --------------------------------------------------------------------------------

  private checkClaim(c: ClaimAst, span: Span): Claim | undefined {
    const text = this.text.slice(span.start, span.end).replace(/^claim\s*/, '');
    try {
      if (c.kind === 'definite') {
        const subject = this.checkExpr(c.subject, { indices: new Map() });
        if (!dimEq(subject.shape.rows, subject.shape.cols)) {
          throw this.error(
            'not-square',
            `'${c.which}' needs a square matrix, but ${this.src(c.subject)} is ${shapeText(subject.shape)}`,
            c.subject.span,
          );
        }
        return { kind: 'definite', which: c.which, subject, span, text };
      }
      if (c.left.kind === 'call' && c.left.fn === 'lipschitz') {
        if (c.op !== '<=') throw this.error('bad-claim', 'a Lipschitz claim reads lipschitz(F) <= bound', span);
        if (c.left.args.length !== 1) throw this.error('wrong-arity', 'lipschitz takes one argument: lipschitz(grad L)', c.left.span);
        const of = this.checkExpr(c.left.args[0]!, { indices: new Map() });
        const bound = this.checkExpr(c.right, { indices: new Map() });
        if (!isScalarShape(bound.shape))
          throw this.error(
            'not-scalar',
            `a Lipschitz bound must be a scalar, but ${this.src(c.right)} is ${shapeText(bound.shape)}`,
            c.right.span,
          );
        return { kind: 'lipschitz', of, bound, span, text };
      }
      const lhs = this.checkExpr(c.left, { indices: new Map() });
      const square = dimEq(lhs.shape.rows, lhs.shape.cols) && !isScalarShape(lhs.shape);
      const rhs = this.checkExpr(c.right, { indices: new Map(), ...(square ? { identitySize: lhs.shape.rows } : {}) });
      if (!shapeEq(lhs.shape, rhs.shape)) {
        if (c.op !== '=' && square && isScalarShape(rhs.shape)) {
          throw this.error(
            'shape-mismatch',
            `${this.src(c.left)} is a matrix: compare it with a matrix, e.g. ${this.src(c.right)} I`,
            c.right.span,
          );
        }
        throw this.error(
          'shape-mismatch',
          `the two sides differ: ${this.src(c.left)} is ${shapeText(lhs.shape)} but ${this.src(c.right)} is ${shapeText(rhs.shape)}`,
          { start: c.left.span.start, end: c.right.span.end },
        );
      }
      if (c.op !== '=' && !isScalarShape(lhs.shape) && !square) {
        throw this.error(
          'bad-claim',
          `'${c.op}' compares scalars or (in the Loewner order) square matrices; ${this.src(c.left)} is ${shapeText(lhs.shape)}`,
          span,
        );
      }
      return { kind: 'compare', op: c.op, lhs, rhs, span, text };
    } catch (e) {
      if (e instanceof Broken) return undefined;
      throw e;
    }
  }

  // ---- expressions ---------------------------------------------------------------------------

  private checkExpr(e: Expr, scope: Scope): TExpr {
    const span = e.span;
    switch (e.kind) {
      case 'num':
        return { k: 'num', value: e.value, shape: SCALAR, span };
      case 'name':
        return this.resolveName(e.name, span, scope);
      case 'neg': {
        const a = this.checkExpr(e.arg, scope);
        return { k: 'neg', a, shape: a.shape, span };
      }
      case 'binary':
        return this.checkBinary(e, scope);
      case 'pow':
        return this.checkPow(e, scope);
      case 'transpose': {
        const a = this.checkExpr(e.arg, scope);
        return { k: 'transpose', a, shape: transposeShape(a.shape), span };
      }
      case 'call':
        return this.checkCall(e, scope);
      case 'inner': {
        const a = this.checkExpr(e.left, scope);
        const b = this.checkExpr(e.right, scope);
        if (!shapeEq(a.shape, b.shape)) {
          throw this.error(
            'shape-mismatch',
            `<${this.src(e.left)}, ${this.src(e.right)}>: ${this.src(e.left)} is ${shapeText(a.shape)} but ${this.src(e.right)} is ${shapeText(b.shape)}`,
            span,
          );
        }
        return { k: 'inner', a, b, shape: SCALAR, span };
      }
      case 'norm': {
        const a = this.checkExpr(e.arg, scope);
        if (e.p === '2' && !isColumn(a.shape) && !isRow(a.shape)) {
          throw this.error(
            'not-differentiable',
            `||${this.src(e.arg)}||_2 of a matrix is the spectral norm, which DerivLens uses only in constraints; use ||·||_F for the Frobenius norm`,
            span,
          );
        }
        if (e.p === '1' && !isColumn(a.shape) && !isRow(a.shape)) {
          throw this.error('shape-mismatch', `||·||_1 is defined here for vectors; ${this.src(e.arg)} is ${shapeText(a.shape)}`, span);
        }
        return { k: 'norm', p: e.p, a, shape: SCALAR, span };
      }
      case 'index': {
        const target = this.checkExpr(e.target, scope);
        return this.checkIndex(target, e.indices, span, scope);
      }
      case 'subscripted':
        return this.checkSubscripted(e, scope);
      case 'sum':
        return this.checkIndexSum(e, scope);
      case 'deriv':
        return this.checkDeriv(e);
    }
  }

  private resolveName(name: string, span: Span, scope: Scope): TExpr {
    if (scope.param === name) return { k: 'param', name, shape: SCALAR, span };
    if (scope.indices.has(name)) return { k: 'indexValue', name, shape: SCALAR, span };
    const b = this.env.get(name);
    if (!b) {
      const split = this.splitJuxtaposed(name, span, scope);
      if (split) return split;
      if (name === 'I') {
        if (scope.identitySize) return { k: 'identity', shape: shapeOf(scope.identitySize, scope.identitySize), span };
        throw this.error('unknown-name', 'I needs a size here: write I_d', span);
      }
      throw this.error('unknown-name', `unknown name '${name}'${this.suggest(name)}`, span);
    }
    switch (b.kind) {
      case 'broken':
        throw new Broken();
      case 'dim':
        return { k: 'const', name, value: b.dim.value, shape: SCALAR, span };
      case 'const':
        return { k: 'const', name, value: b.value, shape: SCALAR, span };
      case 'given':
      case 'var':
        return { k: b.kind, name, shape: b.shape, span };
      case 'let':
        return { k: 'let', name, shape: b.shape, span };
      case 'loss':
        return { k: 'let', name, shape: b.shape, span };
      case 'def':
        throw this.error('bad-claim', `${name} is a function: apply it, ${name}(…)`, span);
    }
  }

  /**
   * Paper LaTeX writes `Ax` for A x. An unknown identifier that is a run of declared names is read
   * as their product; the longest names are tried first so `A1x` prefers A1 over A.
   */
  private splitJuxtaposed(name: string, span: Span, scope: Scope): TExpr | undefined {
    const known = (s: string): boolean => scope.indices.has(s) || (this.env.has(s) && this.env.get(s)!.kind !== 'broken');
    const parts: string[] = [];
    const go = (rest: string): boolean => {
      if (rest === '') return parts.length > 1;
      for (let len = rest.length; len >= 1; len--) {
        const head = rest.slice(0, len);
        if (!known(head)) continue;
        parts.push(head);
        if (go(rest.slice(len))) return true;
        parts.pop();
      }
      return false;
    };
    if (!go(name)) return undefined;
    let offset = span.start;
    const atoms: Expr[] = parts.map((p) => {
      const e: Expr = { kind: 'name', name: p, span: { start: offset, end: offset + p.length } };
      offset += p.length;
      return e;
    });
    const product = atoms.slice(1).reduce<Expr>(
      (left, right) => ({
        kind: 'binary',
        op: '*',
        left,
        right,
        juxtaposed: true,
        span: { start: left.span.start, end: right.span.end },
      }),
      atoms[0]!,
    );
    return this.checkExpr(product, scope);
  }

  private suggest(name: string): string {
    const known = [...this.env.keys()];
    const close = known.find(
      (k) => k.toLowerCase() === name.toLowerCase() || (name.length > 1 && k.length > 1 && editDistance(k, name) === 1),
    );
    return close ? ` (did you mean '${close}'?)` : '';
  }

  private checkBinary(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): TExpr {
    const a = this.checkExpr(e.left, scope);
    const b = this.checkExpr(e.right, scope);
    const span = e.span;
    const opText = e.juxtaposed ? `${this.src(e.left)} ${this.src(e.right)}` : `${this.src(e.left)} ${e.op} ${this.src(e.right)}`;
    const mismatch = (hint = ''): Broken =>
      this.error(
        'shape-mismatch',
        `${opText}: ${this.src(e.left)} is ${shapeText(a.shape)} but ${this.src(e.right)} is ${shapeText(b.shape)}${hint}`,
        span,
      );
    switch (e.op) {
      case '+':
      case '-':
        if (!shapeEq(a.shape, b.shape)) {
          const scalarHint = isScalarShape(a.shape) !== isScalarShape(b.shape) ? ' (to add a scalar c to every entry, write c 1_n)' : '';
          throw mismatch(scalarHint);
        }
        return { k: e.op === '+' ? 'add' : 'sub', a, b, shape: a.shape, span };
      case '*': {
        if (isScalarShape(a.shape)) return { k: 'scale', a, b, shape: b.shape, span };
        if (isScalarShape(b.shape)) return { k: 'scale', a: b, b: a, shape: a.shape, span };
        if (dimEq(a.shape.cols, b.shape.rows)) return { k: 'matmul', a, b, shape: shapeOf(a.shape.rows, b.shape.cols), span };
        if (isColumn(a.shape) && isColumn(b.shape) && dimEq(a.shape.rows, b.shape.rows)) {
          const l = this.src(e.left);
          const r = this.src(e.right);
          throw this.error(
            'ambiguous-product',
            `${opText}: both are vectors in ${shapeText(a.shape)}; write <${l}, ${r}> for the inner product, ${l} ∘ ${r} for the elementwise product or ${l} ${r}^T for the outer product`,
            span,
          );
        }
        throw mismatch();
      }
      case '/':
        if (!isScalarShape(b.shape)) {
          throw this.error(
            'shape-mismatch',
            `${opText}: '/' divides by a scalar, but ${this.src(e.right)} is ${shapeText(b.shape)}; use ./ for elementwise division`,
            span,
          );
        }
        return { k: 'divide', a, b, shape: a.shape, span };
      case './':
        if (!shapeEq(a.shape, b.shape) && !isScalarShape(b.shape)) throw mismatch();
        return { k: 'divide', a, b, shape: a.shape, span };
      case '∘':
        if (!shapeEq(a.shape, b.shape))
          throw mismatch(isScalarShape(a.shape) || isScalarShape(b.shape) ? ' (to scale by a scalar, use juxtaposition or *)' : '');
        return { k: 'hadamard', a, b, shape: a.shape, span };
      case '⊗':
        return { k: 'kron', a, b, shape: shapeOf(dimMul(a.shape.rows, b.shape.rows), dimMul(a.shape.cols, b.shape.cols)), span };
    }
  }

  private checkPow(e: Extract<Expr, { kind: 'pow' }>, scope: Scope): TExpr {
    const base = this.checkExpr(e.base, scope);
    const exponent = this.checkExpr(e.exponent, scope);
    const span = e.span;
    if (!isScalarShape(exponent.shape))
      throw this.error('not-scalar', `the exponent ${this.src(e.exponent)} must be a scalar`, e.exponent.span);
    if (isScalarShape(base.shape)) return { k: 'pow', a: base, b: exponent, shape: SCALAR, span };
    const p = evaluateConstant(exponent);
    if (dimEq(base.shape.rows, base.shape.cols) && p !== undefined && Number.isInteger(p) && p >= 1) {
      if (p > MAX_MATRIX_POWER)
        throw this.error('shape-mismatch', `${this.src(e)}: matrix powers up to ${MAX_MATRIX_POWER} are supported`, span);
      return { k: 'matpow', a: base, power: p, shape: base.shape, span };
    }
    if (p === -1)
      throw this.error(
        'shape-mismatch',
        `${this.src(e)}: ^{-1} applies to scalars; ${this.src(e.base)} is ${shapeText(base.shape)} (matrix inverses are not supported)`,
        span,
      );
    if (isColumn(base.shape) || isRow(base.shape)) {
      const b = this.src(e.base);
      throw this.error(
        'shape-mismatch',
        `${this.src(e)}: ${b} is a vector in ${shapeText(base.shape)}; write ${b} ∘ ${b} for the elementwise square or ||${b}||_2^2`,
        span,
      );
    }
    throw this.error('shape-mismatch', `${this.src(e)}: powers of a matrix need a square matrix and a whole exponent >= 1`, span);
  }

  private arity(e: Extract<Expr, { kind: 'call' }>, n: number): void {
    if (e.args.length !== n) {
      throw this.error('wrong-arity', `${e.fn} takes ${n} argument${n === 1 ? '' : 's'}, not ${e.args.length}`, e.span);
    }
  }

  private checkCall(e: Extract<Expr, { kind: 'call' }>, scope: Scope): TExpr {
    const span = e.span;
    if (e.fn === 'lipschitz')
      throw this.error('bad-claim', 'lipschitz(…) may only appear as a claim: claim lipschitz(grad L) <= bound', span);
    if (e.fn === 'kron') {
      this.arity(e, 2);
      const a = this.checkExpr(e.args[0]!, scope);
      const b = this.checkExpr(e.args[1]!, scope);
      return { k: 'kron', a, b, shape: shapeOf(dimMul(a.shape.rows, b.shape.rows), dimMul(a.shape.cols, b.shape.cols)), span };
    }
    this.arity(e, 1);
    const a = this.checkExpr(e.args[0]!, scope);
    const arg = this.src(e.args[0]!);
    const user = this.env.get(e.fn);
    if (user?.kind === 'def') return { k: 'apply', fn: e.fn, a, shape: a.shape, span };
    if (user?.kind === 'broken') throw new Broken();
    if (ELEMENTWISE.has(e.fn)) return { k: 'fn', fn: e.fn as FnName, a, shape: a.shape, span };
    switch (e.fn) {
      case 'softmax':
        if (!isColumn(a.shape) || isScalarShape(a.shape))
          throw this.error('shape-mismatch', `softmax expects a vector, but ${arg} is ${shapeText(a.shape)}`, span);
        return { k: 'softmax', a, shape: a.shape, span };
      case 'diag':
        if (!isColumn(a.shape))
          throw this.error(
            'shape-mismatch',
            `diag expects a vector (diag(v) is the diagonal matrix of v), but ${arg} is ${shapeText(a.shape)}`,
            span,
          );
        return { k: 'diag', a, shape: shapeOf(a.shape.rows, a.shape.rows), span };
      case 'vec':
        return { k: 'vec', a, shape: shapeOf(numel(a.shape)), span };
      case 'tr':
        if (!dimEq(a.shape.rows, a.shape.cols))
          throw this.error('not-square', `tr expects a square matrix, but ${arg} is ${shapeText(a.shape)}`, span);
        return { k: 'trace', a, shape: SCALAR, span };
      case 'sum':
        return { k: 'sum', a, shape: SCALAR, span };
      default:
        throw this.error('unknown-name', `unknown function '${e.fn}'`, e.fnSpan);
    }
  }

  private checkIndexRef(arg: IndexArg, size: Dim, scope: Scope, what: string): TIndex | null {
    if (arg.kind === 'all') return null;
    const e = arg.expr;
    if (e.kind === 'name' && scope.indices.has(e.name)) {
      const range = scope.indices.get(e.name)!;
      if (range.lower < 1 || range.upper > size.value) {
        throw this.error(
          'bad-index',
          `${e.name} runs from ${range.lower} to ${range.upper}, outside the ${what} range 1..${size.value}`,
          e.span,
        );
      }
      return { kind: 'index', name: e.name };
    }
    const v = this.constValue(e, 'an index');
    if (v === undefined) throw new Broken();
    if (!Number.isInteger(v) || v < 1 || v > size.value) {
      throw this.error('bad-index', `${what} index ${v} is outside 1..${size.value} (indices are 1-based)`, e.span);
    }
    return { kind: 'lit', value: v };
  }

  private checkIndex(target: TExpr, indices: IndexArg[], span: Span, scope: Scope): TExpr {
    const s = target.shape;
    if (isScalarShape(s)) throw this.error('bad-index', 'a scalar cannot be indexed', span);
    if (isColumn(s)) {
      if (indices.length !== 1) throw this.error('bad-index', `a vector takes one index: v[i], not ${indices.length}`, span);
      const row = this.checkIndexRef(indices[0]!, s.rows, scope, 'row');
      return row === null ? target : { k: 'slice', a: target, row, col: null, shape: SCALAR, span };
    }
    if (indices.length !== 2) throw this.error('bad-index', `a matrix takes two indices: X[i, j], X[:, j] or X[i, :]`, span);
    const row = this.checkIndexRef(indices[0]!, s.rows, scope, 'row');
    const col = this.checkIndexRef(indices[1]!, s.cols, scope, 'column');
    if (row === null && col === null) return target;
    const shape = shapeOf(row === null ? s.rows : literalDim(1), col === null ? s.cols : literalDim(1));
    return { k: 'slice', a: target, row, col, shape, span };
  }

  private checkSubscripted(e: Extract<Expr, { kind: 'subscripted' }>, scope: Scope): TExpr {
    const base = e.base;
    const span = e.span;
    if (base.kind === 'name') {
      const compound = `${base.name}_${e.rawText}`;
      if (this.env.has(compound)) return this.resolveName(compound, span, scope);
    }
    const special =
      base.kind === 'num' && (base.value === 1 || base.value === 0)
        ? base.value === 1
          ? 'ones'
          : 'zeros'
        : base.kind === 'name' && base.name === 'I' && !this.env.has('I')
          ? 'identity'
          : undefined;
    if (special) {
      const dims: Dim[] = [];
      for (const s of e.subscript) {
        if (s.kind === 'all') throw this.error('bad-dimension', `expected a dimension in the subscript of ${this.src(e)}`, s.span);
        dims.push(this.dimOf(s.expr));
      }
      if (dims.length < 1 || dims.length > 2 || (special === 'identity' && dims.length !== 1)) {
        throw this.error('bad-dimension', `write 1_n, 0_n, 0_{n,d} or I_d`, span);
      }
      const shape = special === 'identity' ? shapeOf(dims[0]!, dims[0]!) : shapeOf(dims[0]!, dims[1] ?? literalDim(1));
      return { k: special, shape, span };
    }
    const target = this.checkExpr(base, scope);
    return this.checkIndex(target, e.subscript, span, scope);
  }

  private dimOf(e: Expr): Dim {
    if (e.kind === 'name') {
      const b = this.env.get(e.name);
      if (b?.kind === 'dim') return b.dim;
      if (b?.kind === 'broken') throw new Broken();
      throw this.error(
        b ? 'bad-dimension' : 'unknown-name',
        b ? `'${e.name}' is not a dimension` : `unknown dimension '${e.name}'`,
        e.span,
      );
    }
    const v = this.constValue(e, 'a dimension');
    if (v === undefined) throw new Broken();
    if (!Number.isInteger(v) || v < 1) throw this.error('bad-dimension', `a dimension must be a positive whole number, not ${v}`, e.span);
    return literalDim(v);
  }

  private checkIndexSum(e: Extract<Expr, { kind: 'sum' }>, scope: Scope): TExpr {
    const lower = this.constValue(e.lower, 'the lower limit of a sum');
    const upper = this.constValue(e.upper, 'the upper limit of a sum');
    if (lower === undefined || upper === undefined) throw new Broken();
    if (!Number.isInteger(lower) || !Number.isInteger(upper))
      throw this.error('bad-index', 'summation limits must be whole numbers', e.span);
    if (this.env.has(e.index) || scope.indices.has(e.index)) {
      throw this.error('duplicate-name', `the summation index '${e.index}' hides an existing name; pick another letter`, e.span);
    }
    const indices = new Map(scope.indices);
    indices.set(e.index, { lower, upper });
    const body = this.checkExpr(e.body, { ...scope, indices });
    return { k: 'indexSum', index: e.index, lower, upper, body, shape: body.shape, span: e.span };
  }

  private checkDeriv(e: Extract<Expr, { kind: 'deriv' }>): TExpr {
    const target = this.env.get(e.of);
    const what = e.order === 1 ? 'grad' : 'hess';
    if (!target) throw this.error('unknown-name', `unknown name '${e.of}' after ${what}`, e.ofSpan);
    if (target.kind === 'broken') throw new Broken();
    if (target.kind !== 'loss') {
      throw this.error('bad-claim', `${what} ${e.of}: only the loss is differentiated; '${e.of}' is not the loss`, e.ofSpan);
    }
    const wrt = e.wrt.length > 0 ? e.wrt : this.program.vars.map((v) => v.name);
    let total: Dim | undefined;
    const sizes: Dim[] = [];
    for (const name of e.wrt) {
      const b = this.env.get(name);
      if (!b || b.kind !== 'var') throw this.error('unknown-name', `${what}_${name}: '${name}' is not a declared var`, e.span);
    }
    for (const name of wrt) {
      const decl = this.program.vars.find((v) => v.name === name)!;
      sizes.push(numel(decl.shape));
    }
    if (sizes.length === 0) throw this.error('no-var', `${what} ${e.of}: no var is declared before this line`, e.span);
    for (const s of sizes) total = total ? sumDims(total, s) : s;
    let shape: Shape;
    if (e.order === 1) {
      shape = wrt.length === 1 ? this.program.vars.find((v) => v.name === wrt[0])!.shape : shapeOf(total!);
    } else if (e.wrt.length === 2) {
      shape = shapeOf(sizes[0]!, sizes[1]!);
    } else {
      shape = shapeOf(total!, total!);
    }
    if (e.order === 1 && e.wrt.length > 1)
      throw this.error(
        'bad-claim',
        `grad takes one variable subscript (grad_${e.wrt[0]} ${e.of}); stacked gradients are grad ${e.of}`,
        e.span,
      );
    if (e.order === 2 && e.wrt.length > 2)
      throw this.error('bad-claim', `hess takes at most two variable subscripts (hess_{X,Y} ${e.of})`, e.span);
    return { k: 'deriv', order: e.order, of: e.of, wrt, shape, span: e.span };
  }
}

function sumDims(a: Dim, b: Dim): Dim {
  // Stacked sizes (d + d²) have no product form; keep the value and a readable literal.
  return literalDim(a.value + b.value);
}

/** Numeric value of a constant scalar expression, or undefined if it involves data or variables. */
export function evaluateConstant(t: TExpr): number | undefined {
  switch (t.k) {
    case 'num':
    case 'const':
      return t.value;
    case 'neg': {
      const a = evaluateConstant(t.a);
      return a === undefined ? undefined : -a;
    }
    case 'add':
    case 'sub':
    case 'scale':
    case 'divide':
    case 'pow':
    case 'matmul':
    case 'hadamard': {
      if (!isScalarShape(t.shape)) return undefined;
      const a = evaluateConstant(t.a);
      const b = evaluateConstant(t.b);
      if (a === undefined || b === undefined) return undefined;
      switch (t.k) {
        case 'add':
          return a + b;
        case 'sub':
          return a - b;
        case 'divide':
          return a / b;
        case 'pow':
          return a ** b;
        default:
          return a * b;
      }
    }
    case 'fn': {
      if (!isScalarShape(t.shape)) return undefined;
      const a = evaluateConstant(t.a);
      if (a === undefined) return undefined;
      return scalarFunction(t.fn)(a);
    }
    default:
      return undefined;
  }
}

export function scalarFunction(fn: FnName): (x: number) => number {
  switch (fn) {
    case 'exp':
      return Math.exp;
    case 'log':
      return Math.log;
    case 'cosh':
      return Math.cosh;
    case 'sinh':
      return Math.sinh;
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'relu':
      return (x) => Math.max(0, x);
    case 'sqrt':
      return Math.sqrt;
    case 'abs':
      return Math.abs;
    case 'step':
      return (x) => (x > 0 ? 1 : 0);
    case 'sign':
      return Math.sign;
  }
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}
