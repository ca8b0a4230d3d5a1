/**
 * Code actions. Quick fixes for the common diagnostics (a scalar added to a vector → `c 1_n`, an
 * ambiguous product of vectors → `<x, y>`, `x ∘ y` or `x y^T`, a missing transpose in a product,
 * a misspelt name, a strict `<`, `/` by a vector, a vector squared), and two rewrites of a claim:
 * replace its right-hand side with the derived gradient or Hessian, and add the transpose that
 * makes it agree with the derivative. Every candidate edit is analysed again before it is offered:
 * a fix must remove errors without adding any, a claim rewrite must still type-check, and the
 * transpose rewrite must make both sides agree (decided by the caller's `agrees`, which evaluates them).
 */
import type { Expr } from '../language/ast';
import type { Diagnostic, Span } from '../language/diagnostics';
import { type Shape, dimText, isColumn, isLiteral, isRow, isScalarShape } from '../language/shape';
import { typecheckSource } from '../language/typecheck';
import { FUNCTIONS } from '../symbolic/ops';
import { ASCII, Printer } from '../symbolic/print';
import { type ClaimInfo, type DocumentAnalysis, analyzeDocument } from './document';
import { type TextEdit, applyEdits } from './rename';

export interface CodeFix {
  title: string;
  kind: 'quickfix' | 'refactor.rewrite';
  edits: TextEdit[];
  /** The diagnostic it fixes. */
  diagnostic?: Diagnostic;
  preferred?: boolean;
}

export interface ActionOptions {
  /** Do both sides of the claim agree (evaluated at a few points)? undefined: cannot tell. */
  agrees?: (doc: DocumentAnalysis, claim: ClaimInfo) => boolean | undefined;
  /** The claim's last verdict was a refutation: its rewrites become preferred quick fixes. */
  refuted?: (claim: ClaimInfo) => boolean;
}

const overlaps = (a: Span, b: Span): boolean => a.start <= b.end && b.start <= a.end;

export function codeActions(doc: DocumentAnalysis, range: Span, options: ActionOptions = {}): CodeFix[] {
  const fixes: CodeFix[] = [];
  for (const d of doc.analysis.diagnostics) {
    if (d.severity !== 'error' || !overlaps(d.span, range)) continue;
    for (const fix of diagnosticFixes(doc, d)) if (removesErrors(doc, d, fix.edits)) fixes.push({ ...fix, diagnostic: d });
  }
  const claim = doc.claims.find((c) => overlaps(c.span, range));
  if (claim) fixes.push(...claimRewrites(doc, claim, options));
  return fixes;
}

/**
 * The edit leaves fewer errors in the statement it fixes. (Errors elsewhere may appear: a fixed
 * definition lets its uses be checked for the first time.)
 */
function removesErrors(doc: DocumentAnalysis, d: Diagnostic, edits: TextEdit[]): boolean {
  const st = doc.statements.find((s) => s.span.start <= d.span.start && d.span.start <= s.span.end);
  const lineStart = doc.text.lastIndexOf('\n', d.span.start - 1) + 1;
  const lineEnd = doc.text.indexOf('\n', d.span.start);
  const span = st?.span ?? { start: lineStart, end: lineEnd < 0 ? doc.text.length : lineEnd };
  const delta = edits.reduce((s, e) => s + e.newText.length - (e.span.end - e.span.start), 0);
  const inside = (diagnostics: Diagnostic[], end: number): number =>
    diagnostics.filter((x) => x.severity === 'error' && x.span.start >= span.start && x.span.start <= end).length;
  const after = typecheckSource(applyEdits(doc.text, edits), FUNCTIONS).diagnostics;
  return inside(after, span.end + delta) < inside(doc.analysis.diagnostics, span.end);
}

/** The expression whose span is exactly `span`. */
function exprAt(doc: DocumentAnalysis, span: Span): Expr | undefined {
  let found: Expr | undefined;
  const visit = (e: Expr | undefined): void => {
    if (!e || found || e.span.end < span.start || e.span.start > span.end) return;
    if (e.span.start === span.start && e.span.end === span.end) {
      found = e;
      return;
    }
    switch (e.kind) {
      case 'neg':
      case 'transpose':
        return visit(e.arg);
      case 'binary':
      case 'inner':
        visit(e.left);
        return visit(e.right);
      case 'pow':
        visit(e.base);
        return visit(e.exponent);
      case 'call':
        return e.args.forEach(visit);
      case 'norm':
        return visit(e.arg);
      case 'index':
        visit(e.target);
        return e.indices.forEach((i) => i.kind === 'at' && visit(i.expr));
      case 'subscripted':
        visit(e.base);
        return e.subscript.forEach((i) => i.kind === 'at' && visit(i.expr));
      case 'sum':
        visit(e.lower);
        visit(e.upper);
        return visit(e.body);
      default:
        return;
    }
  };
  for (const st of doc.statements) {
    switch (st.kind) {
      case 'let':
      case 'loss':
        visit(st.expr);
        break;
      case 'def':
        visit(st.body);
        break;
      case 'claim':
        if (st.claim.kind === 'compare') st.claim.terms.forEach(visit);
        else visit(st.claim.subject);
        st.claim.domain.forEach((c) => (c.kind === 'property' ? visit(c.subject) : c.terms.forEach(visit)));
        break;
      case 'dim':
      case 'const':
        st.items.forEach((i) => visit(i.value));
        break;
      case 'decl':
        st.constraints.forEach((c) => (c.kind === 'property' ? visit(c.subject) : c.terms.forEach(visit)));
        break;
      case 'sweep':
        break;
    }
  }
  return found;
}

const src = (doc: DocumentAnalysis, s: Span): string => doc.text.slice(s.start, s.end);

/** An operand that takes a postfix (`^T`) or juxtaposition without parentheses. */
function atom(doc: DocumentAnalysis, e: Expr): string {
  const text = src(doc, e.span);
  const bare = ['num', 'name', 'call', 'inner', 'norm', 'index', 'subscripted', 'transpose', 'pow'].includes(e.kind);
  return bare || /^\(.*\)$/s.test(text) ? text : `(${text})`;
}

/** The shape of `exprText` where the statement at `at` stands (the file above it, plus the expression). */
function shapeAt(doc: DocumentAnalysis, at: number, exprText: string): Shape | undefined {
  let name = 'probe';
  while (doc.symbols.global(name)) name += 'x';
  const statement = doc.tokens.statementStart(at)?.span.start ?? at;
  const probe = `${doc.text.slice(0, statement)}\nlet ${name} = ${exprText}\n`;
  return typecheckSource(probe, FUNCTIONS).program.lets.find((l) => l.name === name)?.expr.shape;
}

function dimSubscript(shapeDim: Shape['rows']): string {
  const t = dimText(shapeDim);
  return isLiteral(shapeDim) || /^[A-Za-z][A-Za-z0-9]*$/.test(t) ? t : `{${t}}`;
}

function diagnosticFixes(doc: DocumentAnalysis, d: Diagnostic): Omit<CodeFix, 'diagnostic'>[] {
  const e = exprAt(doc, d.span);
  const replace = (span: Span, newText: string): TextEdit[] => [{ span, newText }];
  const fix = (title: string, edits: TextEdit[], preferred = false): Omit<CodeFix, 'diagnostic'> => ({
    title,
    kind: 'quickfix',
    edits,
    ...(preferred ? { preferred } : {}),
  });
  const out: Omit<CodeFix, 'diagnostic'>[] = [];
  switch (d.code) {
    case 'unknown-name': {
      const m = /did you mean '([^']+)'/.exec(d.message);
      if (m) out.push(fix(`Change to '${m[1]}'`, replace(d.span, m[1]!), true));
      break;
    }
    case 'ambiguous-product':
      if (e?.kind === 'binary') {
        const [l, r] = [atom(doc, e.left), atom(doc, e.right)];
        const [lt, rt] = [src(doc, e.left.span), src(doc, e.right.span)];
        out.push(
          fix(`Inner product: <${lt}, ${rt}>`, replace(e.span, `<${lt}, ${rt}>`), true),
          fix(`Elementwise product: ${l} ∘ ${r}`, replace(e.span, `${l} ∘ ${r}`)),
          fix(`Outer product: ${l} ${r}^T`, replace(e.span, `${l} ${r}^T`)),
        );
      }
      break;
    case 'syntax': {
      const strict = /strict '([<>])' is not a claim relation/.exec(d.message);
      if (strict) out.push(fix(`Write '${strict[1]}='`, replace(d.span, `${strict[1]}=`), true));
      break;
    }
    case 'not-differentiable':
      if (e?.kind === 'norm' && e.p === '2') {
        const sub = doc.tokens.within(e.span).filter((t) => t.text === '2' || t.text === '_2');
        const last = sub[sub.length - 1];
        if (last) out.push(fix('Use the Frobenius norm ||·||_F', replace({ start: last.span.end - 1, end: last.span.end }, 'F'), true));
      }
      break;
    case 'shape-mismatch':
      out.push(...shapeFixes(doc, d, e, fix));
      break;
    default:
      break;
  }
  return out;
}

function shapeFixes(
  doc: DocumentAnalysis,
  d: Diagnostic,
  e: Expr | undefined,
  fix: (title: string, edits: TextEdit[], preferred?: boolean) => Omit<CodeFix, 'diagnostic'>,
): Omit<CodeFix, 'diagnostic'>[] {
  const out: Omit<CodeFix, 'diagnostic'>[] = [];
  const replace = (span: Span, newText: string): TextEdit[] => [{ span, newText }];
  if (/compare it with a matrix/.test(d.message)) {
    const rhs = src(doc, d.span);
    return [fix(`Compare with ${rhs} I`, replace(d.span, `${rhs} I`), true)];
  }
  if (!e) return out;
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-')) {
    const [ls, rs] = [shapeAt(doc, e.span.start, src(doc, e.left.span)), shapeAt(doc, e.span.start, src(doc, e.right.span))];
    if (ls && rs && isScalarShape(ls) !== isScalarShape(rs)) {
      const [scalar, other] = isScalarShape(ls) ? [e.left, rs] : [e.right, ls];
      const ones = isColumn(other)
        ? `1_${dimSubscript(other.rows)}`
        : isRow(other)
          ? `1_${dimSubscript(other.cols)}^T`
          : `1_${dimSubscript(other.rows)} 1_${dimSubscript(other.cols)}^T`;
      const text = `${atom(doc, scalar)} ${ones}`;
      out.push(fix(`Add to every entry: ${text}`, replace(scalar.span, text), true));
    }
  }
  if (e.kind === 'binary' && e.op === '*') {
    const [l, r] = [atom(doc, e.left), atom(doc, e.right)];
    const between = doc.text.slice(e.left.span.end, e.right.span.start);
    for (const [a, b] of [
      [`${l}^T`, r],
      [l, `${r}^T`],
    ] as const) {
      const text = `${a}${between}${b}`;
      out.push(fix(`Add the missing transpose: ${text.replace(/\s+/g, ' ')}`, replace(e.span, text)));
    }
  }
  if (e.kind === 'binary' && e.op === '/' && /use \.\/ for elementwise division/.test(d.message)) {
    const slash = doc.tokens.within({ start: e.left.span.end, end: e.right.span.start }).find((t) => t.text === '/');
    if (slash) out.push(fix('Divide elementwise: ./', replace(slash.span, './'), true));
  }
  if (e.kind === 'binary' && e.op === '∘' && /to scale by a scalar/.test(d.message)) {
    out.push(fix('Scale instead: juxtaposition', replace({ start: e.left.span.end, end: e.right.span.start }, ' '), true));
  }
  if (e.kind === 'pow' && /elementwise square/.test(d.message)) {
    const b = atom(doc, e.base);
    out.push(
      fix(`Elementwise square: ${b} ∘ ${b}`, replace(e.span, `${b} ∘ ${b}`)),
      fix(`Squared norm: ||${src(doc, e.base.span)}||_2^2`, replace(e.span, `||${src(doc, e.base.span)}||_2^2`)),
    );
  }
  return out;
}

/** The derivative block a claim's left side names, when it is one block: grad_x L, hess L (one var), hess_{X,Y} L. */
function derivativeOf(doc: DocumentAnalysis, claim: ClaimInfo): { node: Parameters<Printer['print']>[0]; what: string } | undefined {
  const c = claim.typed;
  const lowered = doc.checkable;
  if (!c || !lowered || c.kind !== 'compare' || c.op !== '=' || c.lhs.k !== 'deriv' || c.lhs.of !== lowered.lowered.lossName)
    return undefined;
  const vars = lowered.lowered.vars.map((v) => (v.kind === 'var' ? v.name : ''));
  const idx = c.lhs.wrt.map((w) => vars.indexOf(w));
  if (idx.some((i) => i < 0)) return undefined;
  if (c.lhs.op === 'grad' && idx.length === 1) return { node: lowered.derivatives.grads[idx[0]!]!, what: 'gradient' };
  if (c.lhs.op === 'hess' && idx.length === 1) return { node: lowered.derivatives.hess[idx[0]!]![idx[0]!]!, what: 'Hessian' };
  if (c.lhs.op === 'hess' && c.lhs.block) return { node: lowered.derivatives.hess[idx[0]!]![idx[1]!]!, what: 'Hessian block' };
  return undefined;
}

function claimRewrites(doc: DocumentAnalysis, claim: ClaimInfo, options: ActionOptions): CodeFix[] {
  const st = doc.statements.find((s) => s.kind === 'claim' && s.span.start === claim.span.start);
  if (!st || st.kind !== 'claim' || st.claim.kind !== 'compare' || st.claim.ops.length !== 1 || st.claim.ops[0] !== '=' || !claim.typed)
    return [];
  const rhs = st.claim.terms[1]!;
  const refuted = options.refuted?.(claim) ?? false;
  const kind = refuted ? 'quickfix' : 'refactor.rewrite';
  const stillTypes = (text: string): DocumentAnalysis | undefined => {
    const after = analyzeDocument(text);
    const same = after.claims.find((c) => c.ordinal === claim.ordinal);
    const errors = (x: DocumentAnalysis): number => x.analysis.diagnostics.filter((d) => d.severity === 'error').length;
    return same?.typed && errors(after) <= errors(doc) ? after : undefined;
  };
  const out: CodeFix[] = [];
  const derived = derivativeOf(doc, claim);
  if (derived && doc.checkable) {
    const text = new Printer(ASCII, doc.checkable.lowered.graph.names, doc.checkable.lowered.graph.declaredNames).print(derived.node);
    const edits = [{ span: rhs.span, newText: text }];
    if (text !== src(doc, rhs.span) && stillTypes(applyEdits(doc.text, edits)))
      out.push({
        title: `Replace the right-hand side with the derived ${derived.what}`,
        kind,
        edits,
        ...(refuted ? { preferred: true } : {}),
      });
  }
  const agrees = options.agrees;
  if (agrees && agrees(doc, claim) === false) {
    for (const edits of transposeToggles(doc, rhs)) {
      const after = stillTypes(applyEdits(doc.text, edits));
      const same = after?.claims.find((c) => c.ordinal === claim.ordinal);
      if (after && same && agrees(after, same)) {
        const e = edits[0]!;
        out.push({ title: `Add the missing transpose: ${src(doc, e.span)} → ${e.newText}`, kind: 'quickfix', edits, preferred: true });
        break;
      }
    }
  }
  return out;
}

/** Edits that transpose one matrix-valued name of the expression (or drop a transpose already on it). */
function transposeToggles(doc: DocumentAnalysis, root: Expr): TextEdit[][] {
  const out: TextEdit[][] = [];
  const matrix = (name: string): boolean => {
    const s = doc.symbols.global(name);
    if (!s || !['given', 'var', 'let'].includes(s.kind)) return false;
    const decl = [...doc.analysis.program.givens, ...doc.analysis.program.vars].find((d) => d.name === name);
    const shape = decl?.shape ?? doc.analysis.program.lets.find((l) => l.name === name)?.expr.shape;
    return shape !== undefined && !isColumn(shape) && !isRow(shape);
  };
  const visit = (e: Expr, parentTransposed: Expr | undefined): void => {
    if (e.kind === 'name' && matrix(e.name)) {
      if (parentTransposed) out.push([{ span: parentTransposed.span, newText: src(doc, e.span) }]);
      else out.push([{ span: e.span, newText: `${src(doc, e.span)}^T` }]);
      return;
    }
    switch (e.kind) {
      case 'transpose':
        return visit(e.arg, e);
      case 'neg':
        return visit(e.arg, undefined);
      case 'binary':
      case 'inner':
        visit(e.left, undefined);
        return visit(e.right, undefined);
      case 'pow':
        return visit(e.base, undefined);
      case 'call':
        return e.args.forEach((a) => visit(a, undefined));
      case 'norm':
        return visit(e.arg, undefined);
      case 'sum':
        return visit(e.body, undefined);
      default:
        return;
    }
  };
  visit(root, undefined);
  return out;
}
