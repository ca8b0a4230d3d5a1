/**
 * Symbols of a .loss file and every place they occur: declarations (dim, const, given, var, let,
 * loss, def) and the locals of `def` parameters and summation indices, resolved the way the type
 * checker resolves them (locals first, then declarations; `Ax` is A x when both are declared).
 * Definition, references, rename, highlighting, completion and hovers all read this table.
 */
import type { Comparison, Expr, Statement } from '../language/ast';
import type { Span } from '../language/diagnostics';
import { shapeText } from '../language/shape';
import type { CheckedProgram } from '../language/typed';
import type { TokenIndex } from './tokens';

export type SymbolKind = 'dim' | 'const' | 'given' | 'var' | 'let' | 'loss' | 'def' | 'param' | 'index';

export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  /** The name where it is declared. */
  nameSpan: Span;
  /** The declaring statement (for locals: the def or the sum). */
  span: Span;
  /** One line for hovers, completion and the outline: `given A : R^{n x d} with ||A||_2 <= R`. */
  detail: string;
  /** Locals: where the name is visible. */
  scope?: Span;
}

export interface Occurrence {
  symbol: SymbolInfo;
  span: Span;
  declaration: boolean;
}

export interface SymbolTable {
  /** Declarations in source order, then locals. */
  symbols: SymbolInfo[];
  /** Every occurrence, declarations included, by position. */
  occurrences: Occurrence[];
  /** Built-in functions where they are called (`exp`, `diag`, …). */
  builtinCalls: { name: string; span: Span }[];
  /** The declaration of a top-level name (the first one when it is declared twice). */
  global(name: string): SymbolInfo | undefined;
}

/** The occurrence under the cursor: the one containing it, else the one just before it (a cursor after `Ax`'s x). */
export function occurrenceAt(table: SymbolTable, offset: number): Occurrence | undefined {
  return (
    table.occurrences.find((o) => o.span.start <= offset && offset < o.span.end) ?? table.occurrences.find((o) => o.span.end === offset)
  );
}

export function occurrencesOf(table: SymbolTable, symbol: SymbolInfo): Occurrence[] {
  return table.occurrences.filter((o) => o.symbol === symbol);
}

export function buildSymbols(statements: readonly Statement[], program: CheckedProgram, tokens: TokenIndex, source: string): SymbolTable {
  const globals = new Map<string, SymbolInfo>();
  const symbols: SymbolInfo[] = [];
  const occurrences: Occurrence[] = [];
  const builtinCalls: { name: string; span: Span }[] = [];

  const declare = (name: string, kind: SymbolKind, nameSpan: Span, span: Span, detail: string): void => {
    const existing = globals.get(name);
    if (existing) {
      // Declared twice (an error the checker reports): the second one still renames with the first.
      occurrences.push({ symbol: existing, span: nameSpan, declaration: true });
      return;
    }
    const symbol: SymbolInfo = { name, kind, nameSpan, span, detail };
    globals.set(name, symbol);
    symbols.push(symbol);
    occurrences.push({ symbol, span: nameSpan, declaration: true });
  };

  // Pass 1: every top-level declaration, so uses before a declaration still resolve (the checker reports them).
  for (const st of statements) {
    switch (st.kind) {
      case 'dim':
      case 'const':
        for (const item of st.items) {
          const value = (st.kind === 'dim' ? program.dims : program.consts).find((d) => d.name === item.name)?.value;
          const detail = `${st.kind} ${item.name} = ${value ?? source.slice(item.value.span.start, item.value.span.end)}`;
          declare(item.name, st.kind, tokens.ident(item.span, item.name), item.span, detail);
        }
        break;
      case 'decl': {
        const decl = (st.role === 'var' ? program.vars : program.givens).find((d) => d.name === st.name);
        const type = decl ? shapeText(decl.shape) : source.slice(st.type.span.start, st.type.span.end);
        const constraints = st.constraints.length
          ? ` with ${source.slice(st.constraints[0]!.span.start, st.constraints[st.constraints.length - 1]!.span.end).replace(/\s+/g, ' ')}`
          : '';
        declare(st.name, st.role, tokens.ident(st.nameSpan, st.name), st.span, `${st.role} ${st.name} : ${type}${constraints}`);
        break;
      }
      case 'let': {
        const typed = program.lets.find((l) => l.name === st.name);
        declare(
          st.name,
          'let',
          tokens.ident(st.nameSpan, st.name),
          st.span,
          `let ${st.name} : ${typed ? shapeText(typed.expr.shape) : '(has errors)'}`,
        );
        break;
      }
      case 'loss':
        declare(st.name, 'loss', tokens.ident(st.nameSpan, st.name), st.span, `loss ${st.name} : R`);
        break;
      case 'def':
        declare(st.name, 'def', tokens.ident(st.nameSpan, st.name), st.span, `def ${st.name}(${st.params.join(', ')})`);
        break;
      case 'claim':
      case 'sweep':
        break;
    }
  }

  const use = (symbol: SymbolInfo, span: Span): void => void occurrences.push({ symbol, span, declaration: false });

  /** `Ax` when A and x are declared: the checker's split (longest names first), as occurrences. */
  const splitJuxtaposed = (name: string, span: Span, locals: ReadonlyMap<string, SymbolInfo>): void => {
    if (source.slice(span.start, span.end) !== name) return;
    const parts: SymbolInfo[] = [];
    const known = (s: string): SymbolInfo | undefined => locals.get(s) ?? globals.get(s);
    const go = (rest: string): boolean => {
      if (rest === '') return parts.length > 1;
      for (let len = rest.length; len >= 1; len--) {
        const head = known(rest.slice(0, len));
        if (!head) continue;
        parts.push(head);
        if (go(rest.slice(len))) return true;
        parts.pop();
      }
      return false;
    };
    if (!go(name)) return;
    let at = span.start;
    for (const p of parts) {
      use(p, { start: at, end: at + p.name.length });
      at += p.name.length;
    }
  };

  const visit = (e: Expr, locals: ReadonlyMap<string, SymbolInfo>): void => {
    switch (e.kind) {
      case 'num':
        return;
      case 'name': {
        const s = locals.get(e.name) ?? globals.get(e.name);
        if (s) use(s, tokens.ident(e.span, e.name));
        else splitJuxtaposed(e.name, e.span, locals);
        return;
      }
      case 'neg':
      case 'transpose':
        return visit(e.arg, locals);
      case 'binary':
        visit(e.left, locals);
        return visit(e.right, locals);
      case 'pow':
        visit(e.base, locals);
        return visit(e.exponent, locals);
      case 'call': {
        const def = globals.get(e.fn);
        if (def?.kind === 'def') use(def, e.fnSpan);
        else builtinCalls.push({ name: e.fn, span: e.fnSpan });
        for (const a of e.args) visit(a, locals);
        return;
      }
      case 'inner':
        visit(e.left, locals);
        return visit(e.right, locals);
      case 'norm':
        return visit(e.arg, locals);
      case 'index':
        visit(e.target, locals);
        for (const i of e.indices) if (i.kind === 'at') visit(i.expr, locals);
        return;
      case 'subscripted': {
        const compound = e.base.kind === 'name' ? globals.get(`${e.base.name}_${e.rawText}`) : undefined;
        if (compound) return use(compound, e.span);
        // I_d, 1_n, 0_n: only the subscript names something.
        if (!(e.base.kind === 'name' && e.base.name === 'I' && !globals.has('I'))) visit(e.base, locals);
        for (const i of e.subscript) if (i.kind === 'at') visit(i.expr, locals);
        return;
      }
      case 'sum': {
        visit(e.lower, locals);
        visit(e.upper, locals);
        const nameSpan = tokens.ident({ start: e.span.start + 1, end: e.lower.span.start }, e.index);
        const index: SymbolInfo = {
          name: e.index,
          kind: 'index',
          nameSpan,
          span: e.span,
          detail: `summation index ${e.index} = ${source.slice(e.lower.span.start, e.lower.span.end)}..${source.slice(e.upper.span.start, e.upper.span.end)}`,
          scope: e.body.span,
        };
        symbols.push(index);
        occurrences.push({ symbol: index, span: nameSpan, declaration: true });
        return visit(e.body, new Map([...locals, [e.index, index]]));
      }
      case 'deriv': {
        const of = globals.get(e.of);
        if (of) use(of, e.ofSpan);
        // Subscripts of grad_x / hess_{X,Y} keep no spans in the tree; their tokens do.
        for (const t of tokens.within({ start: e.span.start, end: e.ofSpan.start })) {
          const v = globals.get(t.text);
          if (t.kind === 'ident' && e.wrt.includes(t.text) && v) use(v, t.span);
        }
        return;
      }
    }
  };

  const visitComparison = (c: Comparison): void =>
    c.kind === 'property' ? visit(c.subject, new Map()) : c.terms.forEach((t) => visit(t, new Map()));
  const none = new Map<string, SymbolInfo>();

  // Pass 2: every use.
  for (const st of statements) {
    switch (st.kind) {
      case 'dim':
      case 'const':
        for (const item of st.items) visit(item.value, none);
        break;
      case 'decl':
        for (const d of st.type.dims)
          for (const f of d.factors) {
            const s = globals.get(f.name);
            if (s) use(s, f.span);
          }
        st.constraints.forEach(visitComparison);
        break;
      case 'let':
      case 'loss':
        visit(st.expr, none);
        break;
      case 'def': {
        const def = globals.get(st.name);
        const params = new Map<string, SymbolInfo>();
        for (const t of tokens.within({ start: st.nameSpan.end, end: st.body.span.start })) {
          if (t.kind !== 'ident' || !st.params.includes(t.text) || params.has(t.text)) continue;
          const p: SymbolInfo = {
            name: t.text,
            kind: 'param',
            nameSpan: t.span,
            span: st.span,
            detail: `parameter ${t.text} of ${def?.detail ?? st.name} (a scalar: applied elementwise)`,
            scope: st.body.span,
          };
          params.set(t.text, p);
          symbols.push(p);
          occurrences.push({ symbol: p, span: t.span, declaration: true });
        }
        visit(st.body, params);
        break;
      }
      case 'claim':
        if (st.claim.kind === 'compare') st.claim.terms.forEach((t) => visit(t, none));
        else visit(st.claim.subject, none);
        st.claim.domain.forEach(visitComparison);
        break;
      case 'sweep':
        for (const item of st.items) {
          const s = globals.get(item.name);
          if (s) use(s, tokens.ident(item.span, item.name));
        }
        break;
    }
  }
  occurrences.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { symbols, occurrences, builtinCalls, global: (name) => globals.get(name) };
}
