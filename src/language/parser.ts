/**
 * Recursive-descent parser for .loss files. It never throws on user input: a syntax error is recorded
 * and the parser resumes at the next statement, so one run reports every broken line.
 *
 * Precedence, loosest first: `+ -`; `∘ .* ./ ⊗`; unary minus; products (`*`, `/`, `\cdot`,
 * juxtaposition); postfix (`^`, `'`, `[..]`, `_`). Juxtaposition binds tighter than `∘` because
 * papers write `f ∘ A x` for f ∘ (Ax).
 */
import type {
  BinaryOp,
  ClaimAst,
  Comparison,
  DerivOp,
  DimProduct,
  Expr,
  IndexArg,
  NormKind,
  Program,
  Statement,
  SweepItem,
  TypeAst,
} from './ast';
import { type Diagnostic, type Span, spanUnion } from './diagnostics';
import { lex, type Token } from './lexer';

/** Claim forms parsed like calls, besides the built-in functions the parser is given. */
const CLAIM_FUNCTIONS = ['lipschitz'];

const STATEMENT_KEYWORDS = new Set(['dim', 'const', 'given', 'var', 'let', 'loss', 'def', 'claim', 'sweep']);
/** Words that end an expression instead of multiplying into it. */
const RESERVED = new Set(['with', 'for', 'psd', 'nsd', 'pd', 'nd', 'sym', ...STATEMENT_KEYWORDS]);
/** LaTeX font commands whose braced argument is just a name: `\mathsf{A}`, `\mathbf{1}`. */
const FONT_COMMANDS = new Set([
  'mathbf',
  'mathsf',
  'mathrm',
  'mathit',
  'operatorname',
  'boldsymbol',
  'bm',
  'text',
  'bf',
  'rm',
  'sf',
  'mathcal',
]);

/** Deepest nesting of brackets accepted; papers need a handful, the stack allows far more. */
export const MAX_NESTING = 200;
/** Longest chain of binary operators in one expression (each adds a level to the syntax tree). */
export const MAX_CHAIN = 400;

class SyntaxFail {
  constructor(readonly diagnostic: Diagnostic) {}
}

/** `functions`: names parsed as calls when an argument list follows (the built-ins, from the op registry). */
export function parse(text: string, functions: ReadonlySet<string>): { program: Program; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const tokens = lex(text, diagnostics);
  const parser = new Parser(tokens, diagnostics, functions);
  return { program: parser.parseProgram(), diagnostics };
}

class Parser {
  private pos = 0;
  /** Inside `||…||` a `||` closes the norm instead of opening a new one. */
  private normDepth = 0;
  /** Nesting of groups, calls, norms and brackets; bounded so hostile input cannot exhaust the stack. */
  private nesting = 0;
  private readonly userFunctions = new Set<string>();

  private readonly builtins: ReadonlySet<string>;

  constructor(
    private readonly tokens: Token[],
    private readonly diagnostics: Diagnostic[],
    functions: ReadonlySet<string>,
  ) {
    this.builtins = new Set([...functions, ...CLAIM_FUNCTIONS]);
  }

  parseProgram(): Program {
    const statements: Statement[] = [];
    while (this.peek().kind !== 'eof') {
      if (this.peek().kind === 'newline') {
        this.pos++;
        continue;
      }
      const first = this.peek();
      try {
        this.chain = 0;
        this.nesting = 0;
        statements.push(this.parseStatement());
        this.expectEndOfStatement();
      } catch (e) {
        if (!(e instanceof SyntaxFail)) throw e;
        // A broken claim costs only that claim: the rest of the file is still checked.
        const claimOnly = first.kind === 'ident' && first.text === 'claim';
        this.diagnostics.push(claimOnly ? { ...e.diagnostic, claimOnly } : e.diagnostic);
        while (this.peek().kind !== 'newline' && this.peek().kind !== 'eof') this.pos++;
      }
    }
    return { statements };
  }

  // ---- token helpers -------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }

  private isIdent(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'ident' && t.text === text;
  }

  private fail(message: string, span: Span = this.peek().span): never {
    throw new SyntaxFail({ code: 'syntax', severity: 'error', message, span });
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of file';
    if (t.kind === 'newline') return 'end of line';
    if (t.kind === 'command') return `'\\${t.text}'`;
    return `'${t.text}'`;
  }

  private expectOp(text: string, context: string): Token {
    if (!this.isOp(text)) this.fail(`expected '${text}' ${context}, found ${this.describe(this.peek())}`);
    return this.next();
  }

  /** A name, also written in a LaTeX font: `A`, `\\mathsf{A}`, `\\mathbf{x}`. */
  private expectIdent(context: string): Token {
    const t = this.peek();
    if (t.kind === 'command' && FONT_COMMANDS.has(t.text)) {
      this.next();
      const inner = this.parseFontArgument(t);
      if (inner.kind !== 'ident') this.fail(`expected a name ${context}, found '${inner.text}'`, inner.span);
      return { ...inner, span: spanUnion(t.span, inner.span) };
    }
    if (t.kind !== 'ident') this.fail(`expected a name ${context}, found ${this.describe(t)}`);
    return this.next();
  }

  /**
   * `t_1`, `t_{1}`, `W_{0}` declared as one name `t_1` (LaTeX writes a let's name so): a subscript
   * glued to the name, of letters or digits. References `t_{1}` find it (and `W_{0}` finds W0).
   */
  private subscriptedName(name: Token): Token {
    if (!this.isOp('_') || this.peek().spaced) return name;
    const braced = this.isOp('{', 1);
    const sub = this.tokens[this.pos + (braced ? 2 : 1)];
    if (!sub || (sub.kind !== 'ident' && sub.kind !== 'number') || !/^[A-Za-z0-9]+$/.test(sub.text)) return name;
    if (braced && !this.isOp('}', 3)) return name;
    this.pos += braced ? 4 : 2;
    return { ...name, text: `${name.text}_${sub.text}`, span: this.spanFrom(name.span) };
  }

  private expectEndOfStatement(): void {
    const t = this.peek();
    if (t.kind !== 'newline' && t.kind !== 'eof') this.fail(`unexpected ${this.describe(t)}: expected end of line`);
  }

  private spanFrom(start: Span): Span {
    const prev = this.tokens[Math.max(0, this.pos - 1)]!;
    return spanUnion(start, prev.span);
  }

  // ---- statements ----------------------------------------------------------------------------

  private parseStatement(): Statement {
    const t = this.peek();
    if (t.kind !== 'ident' || !STATEMENT_KEYWORDS.has(t.text)) {
      this.fail(`expected a statement (dim, const, given, var, let, def, loss, claim or sweep), found ${this.describe(t)}`);
    }
    this.next();
    switch (t.text) {
      case 'dim':
      case 'const': {
        const items = [];
        do {
          const name = this.expectIdent(`after '${t.text}'`);
          this.expectOp('=', `after '${name.text}'`);
          const value = this.parseExpr();
          items.push({ name: name.text, value, span: spanUnion(name.span, value.span) });
        } while (this.isOp(',') && this.next());
        return { kind: t.text, items, span: this.spanFrom(t.span) };
      }
      case 'given':
      case 'var': {
        const name = this.subscriptedName(this.expectIdent(`after '${t.text}'`));
        this.expectOp(':', `after '${name.text}' (write '${t.text} ${name.text} : R^n')`);
        const type = this.parseType();
        const constraints = this.isIdent('with') ? (this.next(), this.parseConstraints()) : [];
        return { kind: 'decl', role: t.text, name: name.text, nameSpan: name.span, type, constraints, span: this.spanFrom(t.span) };
      }
      case 'let':
      case 'loss': {
        const name = this.subscriptedName(this.expectIdent(`after '${t.text}'`));
        let params: string[] | undefined;
        if (t.text === 'let' && this.isOp('(') && !this.peek().spaced) {
          // `let D(X) = …`: a definition written as a function of declared names, used as D(X).
          this.next();
          params = [];
          do params.push(this.expectIdent('as a parameter of the definition').text);
          while (this.isOp(',') && this.next());
          this.expectOp(')', 'to close the parameter list');
          this.userFunctions.add(name.text);
        }
        this.expectOp('=', `after '${t.text} ${name.text}${params ? `(${params.join(', ')})` : ''}'`);
        const expr = this.parseExpr();
        return { kind: t.text, name: name.text, nameSpan: name.span, ...(params ? { params } : {}), expr, span: this.spanFrom(t.span) };
      }
      case 'def': {
        const name = this.expectIdent(`after 'def'`);
        this.expectOp('(', `after 'def ${name.text}'`);
        const params: string[] = [];
        if (!this.isOp(')')) {
          do params.push(this.expectIdent('as a parameter').text);
          while (this.isOp(',') && this.next());
        }
        this.expectOp(')', 'to close the parameter list');
        this.expectOp('=', `after 'def ${name.text}(…)'`);
        this.userFunctions.add(name.text);
        const body = this.parseExpr();
        return { kind: 'def', name: name.text, nameSpan: name.span, params, body, span: this.spanFrom(t.span) };
      }
      case 'sweep': {
        const items: SweepItem[] = [];
        do {
          const name = this.expectIdent(`after 'sweep'`);
          if (this.isIdent('in') || this.isOp(':')) this.next();
          else this.fail(`expected 'in' after '${name.text}' (write: sweep ${name.text} in [8, 16, 32])`);
          this.expectOp('[', `to open the list of values of ${name.text}`);
          const values: number[] = [];
          do {
            const neg = this.isOp('-') ? (this.next(), -1) : 1;
            const v = this.next();
            if (v.kind !== 'number') this.fail(`expected a number in the values of ${name.text}, found ${this.describe(v)}`, v.span);
            values.push(neg * Number(v.text));
          } while (this.isOp(',') && this.next());
          this.expectOp(']', `to close the list of values of ${name.text}`);
          items.push({ name: name.text, values, span: this.spanFrom(name.span) });
        } while (this.isOp(',') && this.next());
        return { kind: 'sweep', items, span: this.spanFrom(t.span) };
      }
      default:
        return { kind: 'claim', claim: this.parseClaim(), span: this.spanFrom(t.span) };
    }
  }

  private parseClaim(): ClaimAst {
    const left = this.parseExpr();
    const t = this.peek();
    let claim: ClaimAst;
    if (t.kind === 'ident' && (t.text === 'psd' || t.text === 'nsd' || t.text === 'pd' || t.text === 'nd')) {
      this.next();
      claim = { kind: 'definite', which: t.text, subject: left, domain: [] };
    } else if (t.kind === 'op' && (t.text === '=' || t.text === '<=' || t.text === '>=')) {
      // A chain a = b <= c = d: every link becomes a claim of its own.
      const terms = [left];
      const ops: ('=' | '<=' | '>=')[] = [];
      while (this.isOp('=') || this.isOp('<=') || this.isOp('>=')) {
        ops.push(this.next().text as '=' | '<=' | '>=');
        terms.push(this.parseExpr());
      }
      claim = { kind: 'compare', terms, ops, domain: [] };
    } else if (t.kind === 'op' && (t.text === '<' || t.text === '>')) {
      return this.fail(`strict '${t.text}' is not a claim relation: write '${t.text}=' (numeric checks cannot tell < from <=)`);
    } else {
      return this.fail(`expected '=', '<=', '>=' or 'psd' in the claim, found ${this.describe(t)}`);
    }
    if (this.isIdent('for')) {
      this.next();
      claim.domain = this.parseConstraints();
    }
    return claim;
  }

  /** Constraints after `with` (a declaration) or `for` (a claim's own domain), comma-separated. */
  private parseConstraints(): Comparison[] {
    const out: Comparison[] = [];
    do out.push(this.parseComparison());
    while (this.isOp(',') && this.next());
    return out;
  }

  private parseComparison(): Comparison {
    const first = this.parseExpr();
    if (this.isIdent('sym') || this.isIdent('psd')) {
      const property = this.next();
      return { kind: 'property', subject: first, property: property.text as 'sym' | 'psd', span: spanUnion(first.span, property.span) };
    }
    const terms: Expr[] = [first];
    const ops: ('<=' | '>=' | '=')[] = [];
    while (this.isOp('<=') || this.isOp('>=') || this.isOp('=')) {
      ops.push(this.next().text as '<=' | '>=' | '=');
      terms.push(this.parseExpr());
    }
    if (ops.length === 0)
      this.fail(`expected a constraint such as 'x >= 0', '||x||_2 <= R' or 'P psd', found ${this.describe(this.peek())}`, first.span);
    return { kind: 'compare', terms, ops, span: spanUnion(first.span, terms[terms.length - 1]!.span) };
  }

  /** `R`, `R^n`, `R^{n x d}`, `\mathbb{R}^{n \times d}`, and a family of k matrices `(R^{d x d})^k`. */
  private parseType(): TypeAst {
    if (this.isOp('(')) {
      const open = this.next();
      const member = this.parseType();
      this.expectOp(')', 'to close the member type of a family, as in (R^{d x d})^k');
      if (member.count) this.fail('a family of families is not supported', member.span);
      if (this.peek().kind === 'sup' && /^[0-9]+$/.test(this.peek().text)) {
        const sup = this.next();
        return { ...member, count: { factors: [], literal: Number(sup.text), span: sup.span }, span: this.spanFrom(open.span) };
      }
      this.expectOp('^', 'after the member type: a family reads (R^{d x d})^k');
      let count: DimProduct;
      if (this.isOp('{')) {
        this.next();
        count = this.parseDimProduct();
        this.expectOp('}', 'to close the family size');
      } else count = this.parseDimAtomAsProduct();
      return { ...member, count, span: this.spanFrom(open.span) };
    }
    const start = this.peek().span;
    if (this.peek().kind === 'command' && this.peek().text === 'mathbb') {
      this.next();
      this.expectOp('{', 'after \\mathbb');
      if (!this.isIdent('R')) this.fail('expected \\mathbb{R}');
      this.next();
      this.expectOp('}', 'after \\mathbb{R');
    } else if (this.isIdent('R')) {
      this.next();
    } else {
      this.fail(`expected a type such as R, R^n or R^{n x d}, found ${this.describe(this.peek())}`);
    }
    if (!this.isOp('^') && this.peek().kind !== 'sup') return { dims: [], span: this.spanFrom(start) };
    if (this.peek().kind === 'sup') {
      const sup = this.next();
      return { dims: [{ factors: [], literal: Number(sup.text), span: sup.span }], span: this.spanFrom(start) };
    }
    this.next();
    const dims: DimProduct[] = [];
    if (this.isOp('{')) {
      this.next();
      dims.push(this.parseDimProduct());
      while (this.isIdent('x') || this.isOp('*') || this.isOp(',')) {
        this.next();
        dims.push(this.parseDimProduct());
      }
      this.expectOp('}', 'to close the type');
    } else {
      dims.push(this.parseDimAtomAsProduct());
    }
    if (dims.length > 2) this.fail('only scalars, vectors and matrices are supported (at most two dimensions)', this.spanFrom(start));
    return { dims, span: this.spanFrom(start) };
  }

  private parseDimProduct(): DimProduct {
    const first = this.parseDimAtomAsProduct();
    const product: DimProduct = { factors: [...first.factors], literal: first.literal, span: first.span };
    // Juxtaposed atoms multiply: R^{n d} is a vector of length n·d.
    while ((this.peek().kind === 'ident' && this.peek().text !== 'x') || this.peek().kind === 'number') {
      const more = this.parseDimAtomAsProduct();
      product.factors.push(...more.factors);
      product.literal *= more.literal;
      product.span = spanUnion(product.span, more.span);
    }
    return product;
  }

  private parseDimAtomAsProduct(): DimProduct {
    const t = this.next();
    let power = 1;
    if (this.isOp('^')) {
      this.next();
      const p = this.next();
      if (p.kind !== 'number' || !Number.isInteger(Number(p.text))) this.fail('a dimension exponent must be a whole number', p.span);
      power = Number(p.text);
    } else if (this.peek().kind === 'sup' && /^[0-9]+$/.test(this.peek().text)) {
      power = Number(this.next().text);
    }
    if (t.kind === 'number') {
      const v = Number(t.text);
      if (!Number.isInteger(v) || v < 1) this.fail(`a dimension must be a positive whole number, not ${t.text}`, t.span);
      return { factors: [], literal: v ** power, span: this.spanFrom(t.span) };
    }
    if (t.kind === 'ident') return { factors: [{ name: t.text, power, span: t.span }], literal: 1, span: this.spanFrom(t.span) };
    return this.fail(`expected a dimension (a number or a name from 'dim'), found ${this.describe(t)}`, t.span);
  }

  // ---- expressions ---------------------------------------------------------------------------

  private chain = 0;

  /** Counts a binary operator; fails when one statement has too many (deep left-nested trees). */
  private link(): void {
    if (++this.chain > MAX_CHAIN) this.fail(`more than ${MAX_CHAIN} operators in one statement; split it with let`);
  }

  parseExpr(): Expr {
    let left = this.parseHadamard();
    while (this.isOp('+') || this.isOp('-')) {
      this.link();
      const op = this.next().text as BinaryOp;
      const right = this.parseHadamard();
      left = { kind: 'binary', op, left, right, juxtaposed: false, span: spanUnion(left.span, right.span) };
    }
    return left;
  }

  private parseHadamard(): Expr {
    let left = this.parseSigned();
    for (;;) {
      const t = this.peek();
      let op: BinaryOp | undefined;
      if (t.kind === 'op' && (t.text === '∘' || t.text === '.*')) op = '∘';
      else if (t.kind === 'op' && t.text === './') op = './';
      else if (t.kind === 'op' && t.text === '⊗') op = '⊗';
      if (!op) return left;
      this.next();
      this.link();
      const right = this.parseSigned();
      left = { kind: 'binary', op, left, right, juxtaposed: false, span: spanUnion(left.span, right.span) };
    }
  }

  private parseSigned(): Expr {
    if (this.isOp('-')) {
      this.link();
      const t = this.next();
      const arg = this.parseSigned();
      return { kind: 'neg', arg, span: spanUnion(t.span, arg.span) };
    }
    if (this.isOp('+')) this.next();
    return this.parseProduct();
  }

  private parseProduct(): Expr {
    let left = this.parsePostfix();
    for (;;) {
      if (this.isOp('*') || this.isOp('/')) {
        this.link();
        const op = this.next().text as BinaryOp;
        const right = this.isOp('-') ? this.parseSigned() : this.parsePostfix();
        left = { kind: 'binary', op, left, right, juxtaposed: false, span: spanUnion(left.span, right.span) };
      } else if (this.startsPrimary()) {
        this.link();
        const right = this.parsePostfix();
        left = { kind: 'binary', op: '*', left, right, juxtaposed: true, span: spanUnion(left.span, right.span) };
      } else {
        return left;
      }
    }
  }

  private startsPrimary(): boolean {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        return true;
      case 'ident':
        return !RESERVED.has(t.text);
      case 'command':
        return t.text === 'frac' || t.text === 'sqrt' || t.text === 'tfrac' || t.text === 'dfrac' || FONT_COMMANDS.has(t.text);
      case 'op':
        return t.text === '(' || t.text === '{' || t.text === '<' || (t.text === '||' && this.normDepth === 0);
      default:
        return false;
    }
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && t.text === '^') {
        this.next();
        expr = this.parseExponent(expr);
      } else if (t.kind === 'sup') {
        this.next();
        expr =
          t.text === 'T'
            ? { kind: 'transpose', arg: expr, span: spanUnion(expr.span, t.span) }
            : {
                kind: 'pow',
                base: expr,
                exponent: { kind: 'num', value: Number(t.text), span: t.span },
                span: spanUnion(expr.span, t.span),
              };
      } else if (t.kind === 'op' && t.text === "'" && !t.spaced) {
        this.next();
        expr = { kind: 'transpose', arg: expr, span: spanUnion(expr.span, t.span) };
      } else if (t.kind === 'op' && t.text === '[' && !t.spaced) {
        this.next();
        const indices = this.parseIndexList(']');
        expr = { kind: 'index', target: expr, indices, span: this.spanFrom(expr.span) };
      } else if (((t.kind === 'op' && t.text === '_') || t.kind === 'sub') && !t.spaced) {
        expr = this.parseSubscript(expr);
      } else {
        return expr;
      }
    }
  }

  private parseExponent(base: Expr): Expr {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === 'T') {
      this.next();
      return { kind: 'transpose', arg: base, span: spanUnion(base.span, t.span) };
    }
    if (t.kind === 'op' && t.text === '{') {
      if (this.isIdent('T', 1) && this.isOp('}', 2)) {
        this.pos += 3;
        return { kind: 'transpose', arg: base, span: this.spanFrom(base.span) };
      }
      this.next();
      const exponent = this.parseExpr();
      this.expectOp('}', 'to close the exponent');
      return { kind: 'pow', base, exponent, span: this.spanFrom(base.span) };
    }
    if (t.kind === 'op' && t.text === '-') {
      this.next();
      const num = this.next();
      if (num.kind !== 'number') this.fail(`expected a number after '^-', found ${this.describe(num)}`, num.span);
      return {
        kind: 'pow',
        base,
        exponent: { kind: 'num', value: -Number(num.text), span: spanUnion(t.span, num.span) },
        span: this.spanFrom(base.span),
      };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'pow', base, exponent: { kind: 'num', value: Number(t.text), span: t.span }, span: this.spanFrom(base.span) };
    }
    if (t.kind === 'ident') {
      this.next();
      return { kind: 'pow', base, exponent: { kind: 'name', name: t.text, span: t.span }, span: this.spanFrom(base.span) };
    }
    if (t.kind === 'op' && t.text === '(') {
      const exponent = this.parsePrimary();
      return { kind: 'pow', base, exponent, span: this.spanFrom(base.span) };
    }
    return this.fail(`expected an exponent after '^' (a number, T, or {…}), found ${this.describe(t)}`);
  }

  /** `_n`, `_{n}`, `_{*,i}`, `_2` or a Unicode subscript, after a name, `1`, `0`, `I` or a norm. */
  private parseSubscript(base: Expr): Expr {
    const t = this.next();
    let subscript: IndexArg[];
    let rawText: string;
    if (t.kind === 'sub') {
      rawText = t.text;
      subscript = [
        {
          kind: 'at',
          expr: /^[0-9]+$/.test(t.text)
            ? { kind: 'num', value: Number(t.text), span: t.span }
            : { kind: 'name', name: t.text, span: t.span },
        },
      ];
    } else if (this.isOp('{')) {
      this.next();
      const startPos = this.pos;
      subscript = this.parseIndexList('}');
      rawText = this.tokens
        .slice(startPos, this.pos - 1)
        .map((k) => k.text)
        .join('');
    } else {
      const s = this.next();
      rawText = s.text;
      if (s.kind === 'number') subscript = [{ kind: 'at', expr: { kind: 'num', value: Number(s.text), span: s.span } }];
      else if (s.kind === 'ident') subscript = [{ kind: 'at', expr: { kind: 'name', name: s.text, span: s.span } }];
      else if (s.kind === 'op' && (s.text === '*' || s.text === ':')) subscript = [{ kind: 'all', span: s.span }];
      else return this.fail(`expected a subscript after '_', found ${this.describe(s)}`, s.span);
    }
    return { kind: 'subscripted', base, subscript, rawText, span: this.spanFrom(base.span) };
  }

  private parseIndexList(close: string): IndexArg[] {
    const out: IndexArg[] = [];
    for (;;) {
      if ((this.isOp(':') || this.isOp('*')) && (this.isOp(',', 1) || this.isOp(close, 1))) {
        out.push({ kind: 'all', span: this.next().span });
      } else {
        out.push({ kind: 'at', expr: this.parseExpr() });
      }
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(close, 'to close the index list');
      return out;
    }
  }

  /** A LaTeX group `{…}` or a parenthesised argument list. */
  private parseArguments(fn: string): Expr[] {
    if (this.isOp('{')) {
      this.next();
      const e = this.parseExpr();
      this.expectOp('}', `to close the argument of ${fn}`);
      return [e];
    }
    this.expectOp('(', `after '${fn}'`);
    const args: Expr[] = [];
    const savedNorm = this.normDepth;
    this.normDepth = 0;
    if (!this.isOp(')')) {
      do args.push(this.parseExpr());
      while (this.isOp(',') && this.next());
    }
    this.normDepth = savedNorm;
    this.expectOp(')', `to close the arguments of '${fn}'`);
    return args;
  }

  /** The text of `{name}` after a font command, or of the next token for `\bf 1`. */
  private parseFontArgument(command: Token): Token {
    if (this.isOp('{')) {
      this.next();
      const parts: Token[] = [];
      while (!this.isOp('}') && this.peek().kind !== 'newline' && this.peek().kind !== 'eof') parts.push(this.next());
      this.expectOp('}', `to close \\${command.text}{…}`);
      if (parts.length === 0) this.fail(`\\${command.text}{} is empty`, command.span);
      const text = parts.map((p) => p.text).join('');
      const span = spanUnion(parts[0]!.span, parts[parts.length - 1]!.span);
      return { kind: /^[0-9.]+$/.test(text) ? 'number' : 'ident', text, span, spaced: false };
    }
    const t = this.next();
    if (t.kind !== 'ident' && t.kind !== 'number') this.fail(`expected a name after \\${command.text}`, t.span);
    return t;
  }

  private parsePrimary(): Expr {
    if (this.nesting >= MAX_NESTING) this.fail(`expression nested more than ${MAX_NESTING} levels deep`);
    this.nesting++;
    try {
      return this.parsePrimaryInner();
    } finally {
      this.nesting--;
    }
  }

  private parsePrimaryInner(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'num', value: Number(t.text), span: t.span };
    }
    if (t.kind === 'op') {
      if (t.text === '(' || t.text === '{') {
        this.next();
        const savedNorm = this.normDepth;
        this.normDepth = 0;
        const inner = this.parseExpr();
        this.normDepth = savedNorm;
        this.expectOp(t.text === '(' ? ')' : '}', 'to close the group');
        // Keep the parenthesised span: diagnostics then point at "(f - b)", not "f - b".
        return { ...inner, span: this.spanFrom(t.span) } as Expr;
      }
      if (t.text === '<') return this.parseInner();
      if (t.text === '||' && this.normDepth === 0) return this.parseNorm();
    }
    if (t.kind === 'command') {
      if (t.text === 'frac' || t.text === 'tfrac' || t.text === 'dfrac') {
        this.next();
        const num = this.parseLatexGroup('numerator of \\frac');
        const den = this.parseLatexGroup('denominator of \\frac');
        return { kind: 'binary', op: '/', left: num, right: den, juxtaposed: false, span: this.spanFrom(t.span) };
      }
      if (t.text === 'sqrt') {
        this.next();
        const arg = this.parseLatexGroup('argument of \\sqrt');
        return { kind: 'call', fn: 'sqrt', fnSpan: t.span, args: [arg], span: this.spanFrom(t.span) };
      }
      if (FONT_COMMANDS.has(t.text)) {
        this.next();
        let inner = this.parseFontArgument(t);
        // Papers capitalise some function names: \mathrm{ReLU} is relu.
        if (inner.kind === 'ident' && !this.builtins.has(inner.text) && this.builtins.has(inner.text.toLowerCase()))
          inner = { ...inner, text: inner.text.toLowerCase() };
        this.pos--;
        this.tokens[this.pos] = { ...inner, span: spanUnion(t.span, inner.span) };
        return this.parsePrimary();
      }
      return this.fail(`unsupported LaTeX command '\\${t.text}'`, t.span);
    }
    if (t.kind === 'ident' && !RESERVED.has(t.text)) {
      this.next();
      if (t.text === 'grad' || t.text === 'hess' || t.text === 'jac') return this.parseDerivative(t);
      if (t.text === 'sum' && (this.isOp('_') || this.peek().kind === 'sub')) return this.parseIndexSum(t);
      // max_{i=1}^{k} body, min_{…}: a reduction over an index range, like a sum.
      if ((t.text === 'max' || t.text === 'min') && this.isOp('_') && this.isOp('{', 1) && this.isOp('=', 3)) return this.parseIndexSum(t);
      const compound = this.compoundFunction(t);
      if (compound) {
        this.pos += compound.length;
        const fnSpan = spanUnion(t.span, this.tokens[this.pos - 1]!.span);
        const args = this.parseArguments(compound.name);
        return { kind: 'call', fn: compound.name, fnSpan, args, span: this.spanFrom(t.span) };
      }
      if (t.text === 'log' && this.isIdent('det') && this.isOp('(', 1) && this.builtins.has('logdet')) {
        // `log det(M)`, `\log\det(M)`: the log-determinant.
        const det = this.next();
        const args = this.parseArguments('logdet');
        return { kind: 'call', fn: 'logdet', fnSpan: spanUnion(t.span, det.span), args, span: this.spanFrom(t.span) };
      }
      const isFunction = this.builtins.has(t.text) || this.userFunctions.has(t.text);
      if (isFunction && (this.isOp('(') || (this.isOp('{') && t.text !== 'sum' && !this.userFunctions.has(t.text)))) {
        const args = this.parseArguments(t.text);
        return { kind: 'call', fn: t.text, fnSpan: t.span, args, span: this.spanFrom(t.span) };
      }
      return { kind: 'name', name: t.text, span: t.span };
    }
    return this.fail(`expected an expression, found ${this.describe(t)}`);
  }

  /**
   * A built-in whose name has a subscript, followed by its arguments: `sigma_min(A)`,
   * `\lambda_{\max}(M)`, `λₘᵢₙ(M)`, `vec_r(X)`. Returns the name and how many tokens it spans
   * after the base, or undefined.
   */
  private compoundFunction(base: Token): { name: string; length: number } | undefined {
    const t = this.peek();
    if (t.spaced) return undefined;
    let sub: string;
    let length: number;
    if (t.kind === 'sub') {
      sub = t.text;
      length = 1;
    } else if (t.kind === 'op' && t.text === '_') {
      const braced = this.isOp('{', 1);
      const word = this.peek(braced ? 2 : 1);
      if (word.kind !== 'ident' || (braced && !this.isOp('}', 3))) return undefined;
      sub = word.text;
      length = braced ? 4 : 2;
    } else return undefined;
    const name = `${base.text}_${sub}`;
    return this.builtins.has(name) && this.isOp('(', length) ? { name, length } : undefined;
  }

  private parseLatexGroup(what: string): Expr {
    if (this.isOp('{')) {
      this.next();
      const e = this.parseExpr();
      this.expectOp('}', `to close the ${what}`);
      return e;
    }
    const t = this.next();
    if (t.kind === 'number') return { kind: 'num', value: Number(t.text[0]), span: t.span };
    if (t.kind === 'ident') return { kind: 'name', name: t.text, span: t.span };
    return this.fail(`expected {…} for the ${what}`, t.span);
  }

  private parseInner(): Expr {
    const before = this.pos > 0 ? this.tokens[this.pos - 1] : undefined;
    const open = this.next();
    const savedNorm = this.normDepth;
    this.normDepth = 0;
    const left = this.parseExpr();
    // `a < b` after an operand reads as a · <b…: say what was more likely meant.
    const afterOperand =
      before && (before.kind === 'ident' || before.kind === 'number' || (before.kind === 'op' && /^[)\]}|]/.test(before.text)));
    if (!this.isOp(',') && afterOperand)
      return this.fail(
        `strict '<' is not a claim relation: write '<=' (numeric checks cannot tell < from <=); an inner product is <a, b>`,
        open.span,
      );
    this.expectOp(',', 'between the two arguments of <a, b>');
    const right = this.parseExpr();
    this.normDepth = savedNorm;
    this.expectOp('>', 'to close <a, b>');
    return { kind: 'inner', left, right, span: this.spanFrom(open.span) };
  }

  private parseNorm(): Expr {
    const open = this.next();
    this.normDepth++;
    const arg = this.parseExpr();
    this.normDepth--;
    this.expectOp('||', 'to close the norm');
    let p: NormKind = '2';
    if ((this.isOp('_') && !this.peek().spaced) || this.peek().kind === 'sub') {
      const sub = this.next();
      let text = sub.text;
      if (sub.kind !== 'sub') {
        if (this.isOp('{')) {
          this.next();
          text = this.next().text;
          this.expectOp('}', 'to close the norm subscript');
        } else {
          text = this.next().text;
        }
      }
      if (text === '2' || text === 'F' || text === '1') p = text;
      else if (text === 'inf' || text === 'Infinity') p = 'inf';
      else
        this.fail(
          `unsupported norm ||·||_${text}: use _2 (Euclidean/spectral), _F (Frobenius), _1 or _inf (largest |entry|)`,
          this.spanFrom(sub.span),
        );
    }
    return { kind: 'norm', arg, p, span: this.spanFrom(open.span) };
  }

  /** `sum_{j=1}^{n} body` (and max_/min_ over an index); the body is one product term, as in paper notation. */
  private parseIndexSum(start: Token): Expr {
    const op = start.text as 'sum' | 'max' | 'min';
    let index: string;
    let lower: Expr;
    if (this.peek().kind === 'sub') {
      this.fail(`write the index ${op} as ${op}_{j=1}^{n} …`);
    }
    this.next();
    if (this.isOp('{')) {
      this.next();
      index = this.expectIdent('as the summation index').text;
      this.expectOp('=', `after the summation index (write ${op}_{${index}=1}^{n})`);
      lower = this.parseExpr();
      this.expectOp('}', 'to close the summation range');
    } else {
      this.fail(`write the index ${op} as ${op}_{j=1}^{n} …`);
    }
    if (!this.isOp('^')) this.fail(`the ${op} over ${index} needs an upper limit: ${op}_{${index}=1}^{n}`);
    this.next();
    let upper: Expr;
    if (this.isOp('{')) {
      this.next();
      upper = this.parseExpr();
      this.expectOp('}', 'to close the upper limit');
    } else {
      const u = this.next();
      if (u.kind === 'number') upper = { kind: 'num', value: Number(u.text), span: u.span };
      else if (u.kind === 'ident') upper = { kind: 'name', name: u.text, span: u.span };
      else return this.fail('expected the upper limit of the sum', u.span);
    }
    const body = this.parseProduct();
    return { kind: 'sum', op, index, lower, upper, body, span: this.spanFrom(start.span) };
  }

  /** `grad L`, `grad_x L`, `hess L`, `hess_{X,Y} L`, `∇L`, `∇²L`, `\nabla^2 L`, `jac f`, `jac_x f`. */
  private parseDerivative(start: Token): Expr {
    let op = start.text as DerivOp;
    const wrt: string[] = [];
    for (;;) {
      const t = this.peek();
      if (((t.kind === 'op' && t.text === '_') || t.kind === 'sub') && !t.spaced) {
        this.next();
        if (t.kind === 'sub') wrt.push(t.text);
        else if (this.isOp('{')) {
          this.next();
          do wrt.push(this.expectIdent('as the variable of differentiation').text);
          while (this.isOp(',') && this.next());
          this.expectOp('}', 'to close the subscript');
        } else wrt.push(this.expectIdent('as the variable of differentiation').text);
      } else if (
        start.text === 'grad' &&
        ((t.kind === 'op' && t.text === '^' && this.peek(1).text === '2') || (t.kind === 'sup' && t.text === '2'))
      ) {
        this.pos += t.kind === 'sup' ? 1 : 2;
        op = 'hess';
      } else break;
    }
    let of: Token;
    if (this.isOp('(') && this.peek(1).kind === 'ident' && this.isOp(')', 2)) {
      this.next();
      of = this.next();
      this.next();
    } else {
      of = this.expectIdent(`after '${start.text}' (the loss or definition to differentiate)`);
    }
    return { kind: 'deriv', op, wrt, of: of.text, ofSpan: of.span, span: this.spanFrom(start.span) };
  }
}
