/**
 * Name resolution and shape checking. Never throws on user input: every problem becomes a
 * diagnostic with a span, and a broken definition is remembered as broken so its uses do not
 * produce a cascade of follow-on errors.
 */
import type { ClaimAst, Comparison, DimProduct, Expr, IndexArg, Statement, TypeAst } from './ast';
import type { Diagnostic, DiagnosticCode, Span } from './diagnostics';
import { type FunctionTable, isSignatureError } from './functions';
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
import type { CheckedProgram, Claim, ClaimDomain, Constraint, Declaration, TExpr, TIndex } from './typed';

/** M^p is expanded into p − 1 products; larger powers are almost surely a typo. */
const MAX_MATRIX_POWER = 64;

type Binding =
  | { kind: 'dim'; dim: Dim }
  | { kind: 'const'; value: number }
  | { kind: 'given' | 'var'; shape: Shape; family?: Declaration['family'] }
  | { kind: 'let'; shape: Shape; params?: string[] }
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

/**
 * `functions` are the built-in functions (the op registry's FUNCTIONS); `overrides` replaces the
 * values of dims and consts by name (one point of a sweep).
 */
export function typecheckSource(
  text: string,
  functions: FunctionTable,
  overrides: ReadonlyMap<string, number> = new Map(),
): TypecheckResult {
  const parsed = parse(text, new Set(functions.keys()));
  const checker = new Checker(text, parsed.diagnostics, functions, overrides);
  const program = checker.checkProgram(parsed.program.statements);
  const diagnostics = parsed.diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { program, diagnostics };
}

class Checker {
  private readonly env = new Map<string, Binding>();
  private readonly program: CheckedProgram = { dims: [], consts: [], givens: [], vars: [], lets: [], defs: new Map(), claims: [] };

  /** While a claim is checked, its errors are confined to it (the other claims still get verdicts). */
  private inClaim = false;

  constructor(
    private readonly text: string,
    private readonly diagnostics: Diagnostic[],
    private readonly functions: FunctionTable,
    private readonly overrides: ReadonlyMap<string, number> = new Map(),
  ) {}

  private error(code: DiagnosticCode, message: string, span: Span): Broken {
    this.diagnostics.push({ code, severity: 'error', message, span, ...(this.inClaim ? { claimOnly: true } : {}) });
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
    const clean = this.diagnostics.every((d) => d.claimOnly);
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
        const type = this.checkType(st.type);
        if (!type) {
          this.define(st.name, st.nameSpan, { kind: 'broken' });
          return;
        }
        const { shape, family } = type;
        this.define(st.name, st.nameSpan, { kind: st.role, shape, ...(family ? { family } : {}) });
        const constraints = this.checkConstraints(st.name, family?.member ?? shape, st.constraints, st.role === 'var');
        const decl: Declaration = { name: st.name, shape, constraints, span: st.span, ...(family ? { family } : {}) };
        (st.role === 'var' ? this.program.vars : this.program.givens).push(decl);
        return;
      }
      case 'let':
      case 'loss': {
        if (st.kind === 'let' && st.params) {
          for (const param of st.params) {
            const b = this.env.get(param);
            if (b?.kind !== 'var' && b?.kind !== 'given') {
              this.error(
                b ? 'bad-claim' : 'unknown-name',
                `let ${st.name}(${st.params.join(', ')}): '${param}' must be a declared var or given (the definition is written as a function of them)`,
                st.nameSpan,
              );
              this.define(st.name, st.nameSpan, { kind: 'broken' });
              return;
            }
          }
        }
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
          this.define(st.name, st.nameSpan, { kind: 'let', shape: expr.shape, ...(st.params ? { params: st.params } : {}) });
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
        this.inClaim = true;
        try {
          this.program.claims.push(...this.checkClaim(st.claim, st.span));
        } finally {
          this.inClaim = false;
        }
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

  private checkType(t: TypeAst): { shape: Shape; family?: Declaration['family'] } | undefined {
    const dims: Dim[] = [];
    for (const d of t.dims) {
      const dim = this.checkDimProduct(d);
      if (!dim) return undefined;
      dims.push(dim);
    }
    const member = dims.length === 0 ? SCALAR : shapeOf(dims[0]!, dims[1] ?? literalDim(1));
    if (!t.count) return { shape: member };
    const count = this.checkDimProduct(t.count);
    if (!count) return undefined;
    if (isColumn(member) && !isScalarShape(member)) {
      // A family of vectors is a matrix with them as columns would be; keep members matrices.
      this.error('bad-dimension', 'a family holds matrices, (R^{d x d})^k; for k vectors use a matrix R^{d x k}', t.span);
      return undefined;
    }
    // Members are stored stacked by rows: member i is rows (i−1)·d+1 … i·d.
    return { shape: shapeOf(dimMul(count, member.rows), member.cols), family: { count, member } };
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

  private checkConstraints(name: string, shape: Shape, comparisons: Comparison[], isVar: boolean): Constraint[] {
    const out: Constraint[] = [];
    for (const c of comparisons) {
      try {
        out.push(...this.checkConstraint(name, shape, c, isVar));
      } catch (e) {
        if (!(e instanceof Broken)) throw e;
      }
    }
    return out;
  }

  /** `shape` is the declared value's (a family's member's); `isVar`: its centre may not be itself a var. */
  private checkConstraint(name: string, shape: Shape, c: Comparison, isVar: boolean): Constraint[] {
    const supported = `supported: ||${name}||_2 <= r, ||${name} - C||_F <= r, ${name} >= c, ${name} <= c, a <= ${name} <= b, sum(${name}) = c, ${name} sym, ${name} psd`;
    const isSelf = (e: Expr): boolean => e.kind === 'name' && e.name === name;
    if (c.kind === 'property') {
      if (!isSelf(c.subject)) throw this.error('bad-constraint', `unsupported constraint on ${name} (${supported})`, c.span);
      if (!dimEq(shape.rows, shape.cols) || isScalarShape(shape))
        throw this.error('not-square', `'${c.property}' needs a square matrix, but ${name} is ${shapeText(shape)}`, c.span);
      return [{ kind: c.property, span: c.span }];
    }
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
      const centred =
        left.kind === 'norm' && left.arg.kind === 'binary' && left.arg.op === '-' && isSelf(left.arg.left) ? left.arg.right : undefined;
      if (left.kind === 'norm' && (isSelf(left.arg) || centred) && op === '<=') {
        if (left.p === 'inf') throw this.error('bad-constraint', `unsupported constraint on ${name} (${supported})`, span);
        const norm = left.p === '2' && !isColumn(shape) ? 'spectral' : left.p;
        const center = centred ? this.checkCenter(name, shape, centred, isVar) : undefined;
        out.push({ kind: 'normBall', norm, radius: constant(right), ...(center ? { center } : {}), span });
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

  /** The centre C of ||x − C|| <= r: of x's shape, computed from givens (declared before, not x itself). */
  private checkCenter(name: string, shape: Shape, e: Expr, isVar: boolean): TExpr {
    const t = this.checkExpr(e, { indices: new Map() });
    if (!shapeEq(t.shape, shape))
      throw this.error('shape-mismatch', `the centre ${this.src(e)} is ${shapeText(t.shape)} but ${name} is ${shapeText(shape)}`, e.span);
    const offending = (x: TExpr): string | undefined => {
      if (x.k === 'var') return `the var ${x.name}`;
      if (x.k === 'given' && x.name === name) return `${name} itself`;
      if (x.k === 'let' || x.k === 'deriv') return `'${this.src(x)}' (a definition)`;
      for (const v of Object.values(x)) {
        const sub = Array.isArray(v) ? v : [v];
        for (const child of sub)
          if (child && typeof child === 'object' && 'k' in child) {
            const bad = offending(child as TExpr);
            if (bad) return bad;
          }
      }
      return undefined;
    };
    const bad = offending(t);
    if (bad)
      throw this.error(
        'bad-constraint',
        `the centre of ${name}'s ball must be computed from givens${isVar ? '' : ' declared before it'}, but ${this.src(e)} uses ${bad}`,
        e.span,
      );
    return t;
  }

  // ---- claims --------------------------------------------------------------------------------

  /** The declaration a claim's `for` constraint narrows: the one name it constrains. */
  private constrainedName(c: Comparison): string | undefined {
    const nameOf = (e: Expr): string | undefined =>
      e.kind === 'name'
        ? e.name
        : e.kind === 'norm'
          ? nameOf(e.arg.kind === 'binary' && e.arg.op === '-' ? e.arg.left : e.arg)
          : e.kind === 'call' && e.fn === 'sum' && e.args.length === 1
            ? nameOf(e.args[0]!)
            : undefined;
    if (c.kind === 'property') return nameOf(c.subject);
    const names = c.terms
      .map(nameOf)
      .filter((n) => n !== undefined && [...this.program.vars, ...this.program.givens].some((d) => d.name === n));
    return names[0];
  }

  private checkDomain(domain: Comparison[]): ClaimDomain[] {
    const out: ClaimDomain[] = [];
    for (const c of domain) {
      const name = this.constrainedName(c);
      const decl = [...this.program.vars, ...this.program.givens].find((d) => d.name === name);
      if (!decl)
        throw this.error(
          'bad-constraint',
          "each constraint after 'for' names one declared var or given: for ||x||_2 <= 1, W psd, …",
          c.span,
        );
      const constraints = this.checkConstraint(decl.name, decl.family?.member ?? decl.shape, c, this.program.vars.includes(decl));
      const entry = out.find((d) => d.name === decl.name);
      if (entry) entry.constraints.push(...constraints);
      else out.push({ name: decl.name, constraints });
    }
    return out;
  }

  /** A claim statement: one claim, or one per link of a chain `a = b <= c`, each with the statement's domain. */
  private checkClaim(c: ClaimAst, span: Span): Claim[] {
    const text = this.text.slice(span.start, span.end).replace(/^claim\s*/, '');
    let domain: ClaimDomain[];
    try {
      domain = this.checkDomain(c.domain);
    } catch (e) {
      if (e instanceof Broken) return [];
      throw e;
    }
    const withDomain = domain.length > 0 ? { domain } : {};
    const guarded = (f: () => Claim): Claim[] => {
      try {
        return [f()];
      } catch (e) {
        if (e instanceof Broken) return [];
        throw e;
      }
    };
    if (c.kind === 'definite')
      return guarded(() => {
        const subject = this.checkExpr(c.subject, { indices: new Map() });
        if (!dimEq(subject.shape.rows, subject.shape.cols)) {
          throw this.error(
            'not-square',
            `'${c.which}' needs a square matrix, but ${this.src(c.subject)} is ${shapeText(subject.shape)}`,
            c.subject.span,
          );
        }
        return { kind: 'definite', which: c.which, subject, span, text, ...withDomain };
      });
    if (c.ops.length === 1) return guarded(() => this.checkComparison(c.terms[0]!, c.ops[0]!, c.terms[1]!, span, text, withDomain));
    // A chain: link k compares terms k and k+1 and reads as that part of the source.
    const suffix = c.domain.length > 0 ? ` for ${this.text.slice(c.domain[0]!.span.start, c.domain[c.domain.length - 1]!.span.end)}` : '';
    return c.ops.flatMap((op, k) => {
      const [left, right] = [c.terms[k]!, c.terms[k + 1]!];
      const linkSpan = spanOf(left, right);
      const linkText = `${this.text.slice(linkSpan.start, linkSpan.end).replace(/\s+/g, ' ')}${suffix}`;
      return guarded(() => this.checkComparison(left, op, right, linkSpan, linkText, withDomain));
    });
  }

  private checkComparison(
    left: Expr,
    op: '=' | '<=' | '>=',
    right: Expr,
    span: Span,
    text: string,
    withDomain: { domain?: ClaimDomain[] },
  ): Claim {
    if (left.kind === 'call' && left.fn === 'lipschitz') {
      if (op !== '<=') throw this.error('bad-claim', 'a Lipschitz claim reads lipschitz(F) <= bound', span);
      if (left.args.length !== 1) throw this.error('wrong-arity', 'lipschitz takes one argument: lipschitz(grad L)', left.span);
      const of = this.checkExpr(left.args[0]!, { indices: new Map() });
      const bound = this.checkExpr(right, { indices: new Map() });
      if (!isScalarShape(bound.shape))
        throw this.error(
          'not-scalar',
          `a Lipschitz bound must be a scalar, but ${this.src(right)} is ${shapeText(bound.shape)}`,
          right.span,
        );
      return { kind: 'lipschitz', of, bound, span, text, ...withDomain };
    }
    const lhs = this.checkExpr(left, { indices: new Map() });
    const square = dimEq(lhs.shape.rows, lhs.shape.cols) && !isScalarShape(lhs.shape);
    const rhs = this.checkExpr(right, { indices: new Map(), ...(square ? { identitySize: lhs.shape.rows } : {}) });
    if (!shapeEq(lhs.shape, rhs.shape)) {
      if (op !== '=' && square && isScalarShape(rhs.shape)) {
        throw this.error(
          'shape-mismatch',
          `${this.src(left)} is a matrix: compare it with a matrix, e.g. ${this.src(right)} I`,
          right.span,
        );
      }
      throw this.error(
        'shape-mismatch',
        `the two sides differ: ${this.src(left)} is ${shapeText(lhs.shape)} but ${this.src(right)} is ${shapeText(rhs.shape)}`,
        spanOf(left, right),
      );
    }
    if (op !== '=' && !isScalarShape(lhs.shape) && !square) {
      throw this.error(
        'bad-claim',
        `'${op}' compares scalars or (in the Loewner order) square matrices; ${this.src(left)} is ${shapeText(lhs.shape)}`,
        span,
      );
    }
    return { kind: 'compare', op, lhs, rhs, span, text, ...withDomain };
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
        const isVector = isColumn(a.shape) || isRow(a.shape);
        // ‖A‖₂ of a matrix is its spectral norm σ_max(A): a constant from data, no derivative.
        if (e.p === '2' && !isVector) return this.builtin('sigma_max', [a], span);
        if (e.p === '1' && !isVector) {
          throw this.error('shape-mismatch', `||·||_1 is defined here for vectors; ${this.src(e.arg)} is ${shapeText(a.shape)}`, span);
        }
        return { k: 'norm', p: e.p, a, shape: SCALAR, span };
      }
      case 'index': {
        const family = this.familyMember(e.target, e.indices, span, scope);
        if (family) return family;
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
    if (b && (b.kind === 'given' || b.kind === 'var') && b.family) {
      throw this.error(
        'bad-index',
        `${name} is a family of ${b.family.count.value} matrices: write ${name}[i] (1-based) for one of them`,
        span,
      );
    }
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
        return this.builtin('kron', [a, b], span);
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
    if (dimEq(base.shape.rows, base.shape.cols) && p !== undefined && Number.isInteger(p) && p !== 0) {
      if (Math.abs(p) > MAX_MATRIX_POWER)
        throw this.error('shape-mismatch', `${this.src(e)}: matrix powers up to ${MAX_MATRIX_POWER} are supported`, span);
      // M^{-k} = (M^{-1})^k.
      const m = p < 0 ? this.builtin('inv', [base], span, [this.src(e.base)]) : base;
      return Math.abs(p) === 1 ? m : { k: 'matpow', a: m, power: Math.abs(p), shape: base.shape, span };
    }
    if (isColumn(base.shape) || isRow(base.shape)) {
      const b = this.src(e.base);
      throw this.error(
        'shape-mismatch',
        `${this.src(e)}: ${b} is a vector in ${shapeText(base.shape)}; write ${b} ∘ ${b} for the elementwise square or ||${b}||_2^2`,
        span,
      );
    }
    throw this.error(
      'shape-mismatch',
      `${this.src(e)}: powers of a matrix need a square matrix and a whole exponent (^{-1} is the inverse)`,
      span,
    );
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
    const user = this.env.get(e.fn);
    if (user?.kind === 'broken') throw new Broken();
    if (user?.kind === 'def') {
      this.arity(e, 1);
      const a = this.checkExpr(e.args[0]!, scope);
      return { k: 'apply', fn: e.fn, a, shape: a.shape, span };
    }
    if (user?.kind === 'let' && user.params) {
      // D(X) for `let D(X) = …`: the definition itself, called with the names it was written with.
      const params = user.params;
      const same = e.args.length === params.length && e.args.every((a, i) => a.kind === 'name' && a.name === params[i]);
      if (!same)
        throw this.error(
          'bad-claim',
          `${e.fn} is defined as ${e.fn}(${params.join(', ')}): write it so (it is not a function to apply to other arguments)`,
          span,
        );
      return { k: 'let', name: e.fn, shape: user.shape, span };
    }
    const signature = this.functions.get(e.fn);
    if (!signature) throw this.error('unknown-name', `unknown function '${e.fn}'`, e.fnSpan);
    this.arity(e, signature.arity);
    const args = e.args.map((a) => this.checkExpr(a, scope));
    return this.builtin(
      e.fn,
      args,
      span,
      e.args.map((a) => this.src(a)),
    );
  }

  /** A call of a built-in on checked arguments, by its shape rule; folded to a value when constant. */
  private builtin(fn: string, args: TExpr[], span: Span, text: string[] = args.map((a) => this.src(a))): TExpr {
    const signature = this.functions.get(fn);
    if (!signature) throw new Error(`built-in '${fn}' is missing from the function table`);
    const shape = signature.shape(
      args.map((a) => a.shape),
      text,
    );
    if (isSignatureError(shape)) throw this.error(shape.code, shape.message, span);
    const values = args.map(evaluateConstant);
    const value =
      signature.constant && isScalarShape(shape) && values.every((v) => v !== undefined)
        ? signature.constant(values as number[])
        : undefined;
    return { k: 'call', fn, args, shape, span, ...(value !== undefined ? { value } : {}) };
  }

  /** `P[i]` / `P_i` for a family P: its member, or undefined when the target is no family. */
  private familyMember(target: Expr, indices: IndexArg[], span: Span, scope: Scope): TExpr | undefined {
    if (target.kind !== 'name') return undefined;
    const b = this.env.get(target.name);
    if (!b || (b.kind !== 'given' && b.kind !== 'var') || !b.family) return undefined;
    if (indices.length !== 1) throw this.error('bad-index', `${target.name} is a family: write ${target.name}[i] for one member`, span);
    const index = this.checkIndexRef(indices[0]!, b.family.count, scope, 'member');
    if (index === null)
      throw this.error('bad-index', `${target.name}[:] is the whole family; write ${target.name}[i] for one member`, span);
    const a: TExpr = { k: b.kind, name: target.name, shape: b.shape, span: target.span };
    return { k: 'member', a, index, shape: b.family.member, span };
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
      // W_{0} is how LaTeX writes the name W0.
      const glued = `${base.name}${e.rawText}`;
      if (/^[0-9]+$/.test(e.rawText) && this.env.has(glued)) return this.resolveName(glued, span, scope);
    }
    const special =
      base.kind === 'num' && (base.value === 1 || base.value === 0)
        ? base.value === 1
          ? 'ones'
          : 'zeros'
        : base.kind === 'name' && base.name === 'I' && !this.env.has('I')
          ? 'identity'
          : base.kind === 'name' && base.name === 'K' && !this.env.has('K')
            ? 'commutation'
            : undefined;
    if (special) {
      const dims: Dim[] = [];
      for (const s of e.subscript) {
        if (s.kind === 'all') throw this.error('bad-dimension', `expected a dimension in the subscript of ${this.src(e)}`, s.span);
        dims.push(this.dimOf(s.expr));
      }
      if (special === 'commutation') {
        // K_{m,n}: vec(Xᵀ) = K_{m,n} vec(X) for X ∈ R^{m×n}.
        if (dims.length !== 2)
          throw this.error('bad-dimension', 'the commutation matrix reads K_{m,n} (vec(X^T) = K_{m,n} vec(X) for X in R^{m x n})', span);
        const size = dimMul(dims[0]!, dims[1]!);
        return { k: 'commutation', m: dims[0]!, n: dims[1]!, shape: shapeOf(size, size), span };
      }
      if (dims.length < 1 || dims.length > 2 || (special === 'identity' && dims.length !== 1)) {
        throw this.error('bad-dimension', `write 1_n, 0_n, 0_{n,d} or I_d`, span);
      }
      const shape = special === 'identity' ? shapeOf(dims[0]!, dims[0]!) : shapeOf(dims[0]!, dims[1] ?? literalDim(1));
      return { k: special, shape, span };
    }
    const family = this.familyMember(base, e.subscript, span, scope);
    if (family) return family;
    const target = this.checkExpr(base, scope);
    return this.checkIndex(target, e.subscript, span, scope);
  }

  /** A dim in a subscript (`I_n`, `I_{m*n}`, `I_{m^2}`): products and whole powers of dims stay symbolic. */
  private dimOf(e: Expr): Dim {
    if (e.kind === 'binary' && e.op === '*' && this.isSymbolicDim(e)) return dimMul(this.dimOf(e.left), this.dimOf(e.right));
    if (
      e.kind === 'pow' &&
      e.exponent.kind === 'num' &&
      Number.isInteger(e.exponent.value) &&
      e.exponent.value >= 1 &&
      this.isSymbolicDim(e)
    ) {
      const base = this.dimOf(e.base);
      let d = base;
      for (let k = 1; k < e.exponent.value; k++) d = dimMul(d, base);
      return d;
    }
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

  /** A product of declared dims and whole numbers keeps its names (m*m is m^2, not 4); anything else folds to a number. */
  private isSymbolicDim(e: Expr): boolean {
    const leaves = (x: Expr): boolean =>
      x.kind === 'num' ||
      (x.kind === 'name' && this.env.get(x.name)?.kind === 'dim') ||
      (x.kind === 'binary' && x.op === '*' && leaves(x.left) && leaves(x.right)) ||
      (x.kind === 'pow' && x.exponent.kind === 'num' && leaves(x.base));
    const named = (x: Expr): boolean =>
      x.kind === 'name' || (x.kind === 'binary' && (named(x.left) || named(x.right))) || (x.kind === 'pow' && named(x.base));
    return leaves(e) && named(e);
  }

  private checkIndexSum(e: Extract<Expr, { kind: 'sum' }>, scope: Scope): TExpr {
    const lower = this.constValue(e.lower, `the lower limit of a ${e.op}`);
    const upper = this.constValue(e.upper, `the upper limit of a ${e.op}`);
    if (lower === undefined || upper === undefined) throw new Broken();
    if (!Number.isInteger(lower) || !Number.isInteger(upper))
      throw this.error('bad-index', `${e.op === 'sum' ? 'summation' : e.op} limits must be whole numbers`, e.span);
    if (this.env.has(e.index) || scope.indices.has(e.index)) {
      throw this.error('duplicate-name', `the summation index '${e.index}' hides an existing name; pick another letter`, e.span);
    }
    const indices = new Map(scope.indices);
    indices.set(e.index, { lower, upper });
    const body = this.checkExpr(e.body, { ...scope, indices });
    // A limit written as a dim or const name prints by that name (sum_{j=1}^{n}, not ^{4}).
    const upperName = e.upper.kind === 'name' && this.env.get(e.upper.name)?.kind !== 'broken' ? e.upper.name : undefined;
    if (e.op === 'sum')
      return { k: 'indexSum', index: e.index, lower, upper, ...(upperName ? { upperName } : {}), body, shape: body.shape, span: e.span };
    if (upper < lower) throw this.error('bad-index', `${e.op}_{${e.index}=${lower}}^{${upper}} is over no index`, e.span);
    return { k: 'indexExtremum', op: e.op, index: e.index, lower, upper, body, shape: body.shape, span: e.span };
  }

  /** grad/hess of the loss or of a scalar let, jac of any let (of vec for a matrix one). */
  private checkDeriv(e: Extract<Expr, { kind: 'deriv' }>): TExpr {
    const what = e.op;
    const target = this.env.get(e.of);
    if (!target) throw this.error('unknown-name', `unknown name '${e.of}' after ${what}`, e.ofSpan);
    if (target.kind === 'broken') throw new Broken();
    if (target.kind !== 'loss' && target.kind !== 'let') {
      throw this.error('bad-claim', `${what} ${e.of}: only the loss and lets are differentiated; '${e.of}' is a ${target.kind}`, e.ofSpan);
    }
    if (target.kind === 'loss' && !this.inClaim) {
      throw this.error('bad-claim', `${what} ${e.of}: derivatives of the loss may be used in claims (claim ${what} ${e.of} = …)`, e.span);
    }
    if (what !== 'jac' && !isScalarShape(target.shape)) {
      throw this.error(
        'not-scalar',
        `${what} ${e.of}: ${e.of} is ${shapeText(target.shape)}, but ${what} takes a scalar; its Jacobian is jac ${e.of}`,
        e.ofSpan,
      );
    }
    for (const name of e.wrt) {
      const b = this.env.get(name);
      if (!b || b.kind !== 'var') throw this.error('unknown-name', `${what}_${name}: '${name}' is not a declared var`, e.span);
    }
    const vars = this.program.vars;
    if (vars.length === 0) throw this.error('no-var', `${what} ${e.of}: no var is declared before this line`, e.span);
    // The loss's stacked derivatives are assembled per block; a definition's are one expression per var.
    if (e.wrt.length === 0 && vars.length > 1 && (target.kind === 'let' || what === 'jac')) {
      throw this.error(
        'bad-claim',
        `${what} ${e.of}: this file has several vars; name one, ${what}_${vars[0]!.name} ${e.of}${what === 'hess' ? ` (or a block, hess_{${vars[0]!.name},${vars[1]!.name}} ${e.of})` : ''}`,
        e.span,
      );
    }
    const wrt = e.wrt.length > 0 ? e.wrt : vars.map((v) => v.name);
    if ((what === 'grad' || what === 'jac') && e.wrt.length > 1)
      throw this.error('bad-claim', `${what} takes one variable subscript (${what}_${e.wrt[0]} ${e.of})`, e.span);
    if (what === 'hess' && e.wrt.length > 2)
      throw this.error('bad-claim', `hess takes at most two variable subscripts (hess_{X,Y} ${e.of})`, e.span);
    const sizes = wrt.map((name) => numel(vars.find((v) => v.name === name)!.shape));
    const total = sizes.reduce((a, b) => sumDims(a, b));
    let shape: Shape;
    if (what === 'jac') shape = shapeOf(numel(target.shape), sizes[0]!);
    else if (what === 'grad') shape = wrt.length === 1 ? vars.find((v) => v.name === wrt[0])!.shape : shapeOf(total);
    else if (e.wrt.length === 2) shape = shapeOf(sizes[0]!, sizes[1]!);
    else shape = shapeOf(total, total);
    return { k: 'deriv', op: what, of: e.of, wrt, block: e.wrt.length === 2, shape, span: e.span };
  }
}

function spanOf(left: { span: Span }, right: { span: Span }): Span {
  return { start: left.span.start, end: right.span.end };
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
    case 'call':
      return t.value;
    default:
      return undefined;
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
