/**
 * The editor's analysis of one document version: syntax tree, tokens, the checked program, symbols,
 * and the claims with whether each can be checked. Built once per version; every editor feature
 * (diagnostics, hovers, completion, navigation, formatting, lenses) reads from it. Imports only the
 * language and symbolic layers, so it is tested without an editor or a language server.
 */
import type { Program, Statement } from '../language/ast';
import { SourceFile, type Span } from '../language/diagnostics';
import { type Token, lex } from '../language/lexer';
import { parse } from '../language/parser';
import type { Claim } from '../language/typed';
import { type Analysis, analyze } from '../symbolic/analyze';
import { Graph, UnsupportedError } from '../symbolic/ir';
import { type Derivatives, type LoweredProgram, derive, lowerProgram } from '../symbolic/lower';
import { FUNCTIONS } from '../symbolic/ops';
import { type SymbolTable, buildSymbols } from './symbols';
import { TokenIndex } from './tokens';

export interface ClaimInfo {
  /** Position among the file's claims (a chain's links count one each). */
  ordinal: number;
  /** The claim statement, or the link of a chain. */
  span: Span;
  /** As written, without the `claim` keyword. */
  text: string;
  /** Present when the claim type-checks. */
  typed?: Claim;
  /** Index among the claims that type-check: what checks and verdicts refer to. */
  index?: number;
  /**
   * The claim and everything its check depends on — every dim, const, given and var (they all
   * shape the samples), the loss, and the lets and defs the claim or the loss use — with comments
   * and spacing ignored: a verdict stays valid exactly while this is unchanged.
   */
  fingerprint: string;
}

export interface DocumentAnalysis {
  text: string;
  file: SourceFile;
  statements: Statement[];
  tokens: TokenIndex;
  analysis: Analysis;
  symbols: SymbolTable;
  claims: ClaimInfo[];
  /** The lowered program, also when errors elsewhere leave the loss and every declaration intact. */
  checkable?: { lowered: LoweredProgram; derivatives: Derivatives };
  /** Why no claim can be checked (absent when `checkable` is set). */
  blocked?: { message: string; span: Span };
}

/** Statements whose errors change what every claim means: a check then waits for a fix. */
const BLOCKING = new Set(['dim', 'const', 'given', 'var', 'loss']);

export function analyzeDocument(text: string): DocumentAnalysis {
  const parsed: Program = parse(text, new Set(FUNCTIONS.keys())).program;
  const tokens = new TokenIndex(lex(text, []));
  const analysis = analyze(text);
  const file = new SourceFile('', text);
  const symbols = buildSymbols(parsed.statements, analysis.program, tokens, text);
  const claims = claimInfos(parsed.statements, analysis, tokens, text, symbols);
  return { text, file, statements: parsed.statements, tokens, analysis, symbols, claims, ...lowerForChecks(analysis, tokens, file) };
}

/** 53-bit FNV-style hash (cyrb53): fingerprints stay short however long the file is. */
function hash(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function claimInfos(
  statements: readonly Statement[],
  analysis: Analysis,
  tokens: TokenIndex,
  text: string,
  symbols: SymbolTable,
): ClaimInfo[] {
  const normal = (span: Span): string =>
    tokens
      .within(span)
      .map((t) => t.text)
      .join(' ');
  const occurrences = symbols.occurrences;
  /** Names used inside a span (occurrences are sorted by position: a binary search finds the first). */
  const within = (span: Span): Set<string> => {
    let lo = 0;
    let hi = occurrences.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (occurrences[mid]!.span.start < span.start) lo = mid + 1;
      else hi = mid;
    }
    const names = new Set<string>();
    for (let i = lo; i < occurrences.length && occurrences[i]!.span.start < span.end; i++)
      if (!occurrences[i]!.declaration) names.add(occurrences[i]!.symbol.name);
    return names;
  };
  // lets and defs by name, with the names they use
  const definitions = new Map<string, { text: string; uses: Set<string> }>();
  for (const s of statements)
    if (s.kind === 'let' || s.kind === 'def')
      if (!definitions.has(s.name)) definitions.set(s.name, { text: normal(s.span), uses: within(s.span) });
  const base = statements.filter((s) => s.kind === 'dim' || s.kind === 'const' || s.kind === 'decl' || s.kind === 'loss');
  const lossUses = new Set(base.filter((s) => s.kind === 'loss').flatMap((s) => [...within(s.span)]));
  const baseText = base.map((s) => normal(s.span)).join('\n');
  /** The lets and defs reachable from `names`, in a stable order. */
  const reachable = (names: Set<string>): string => {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length) {
      const n = stack.pop()!;
      const d = definitions.get(n);
      if (!d || seen.has(n)) continue;
      seen.add(n);
      stack.push(...d.uses);
    }
    return [...seen]
      .sort()
      .map((n) => definitions.get(n)!.text)
      .join('\n');
  };
  const typed = analysis.program.claims.map((claim, index) => ({ claim, index }));
  /** Claims that use the same names share a context (a file has few distinct ones). */
  const contexts = new Map<string, string>();
  // One entry per claim: a chain `a = b <= c` is a claim per link, each with its own span and verdict.
  const infos = statements
    .filter((s) => s.kind === 'claim')
    .flatMap((s) => {
      const links = typed.filter((t) => t.claim.span.start >= s.span.start && t.claim.span.end <= s.span.end);
      const used = [...new Set([...within(s.span), ...lossUses])].sort().join(' ');
      let context = contexts.get(used);
      if (context === undefined) contexts.set(used, (context = hash(`${baseText}\n${reachable(new Set(used.split(' ')))}`)));
      const fingerprint = `${context}:${normal(s.span)}`;
      if (links.length === 0) return [{ span: s.span, text: text.slice(s.span.start, s.span.end).replace(/^claim\s*/, ''), fingerprint }];
      return links.map((t, k) => ({
        span: t.claim.span,
        text: t.claim.text,
        typed: t.claim,
        index: t.index,
        fingerprint: links.length > 1 ? `${fingerprint}#${k}` : fingerprint,
      }));
    });
  return infos.map((info, ordinal) => ({ ordinal, ...info }));
}

function lowerForChecks(analysis: Analysis, tokens: TokenIndex, file: SourceFile): Pick<DocumentAnalysis, 'checkable' | 'blocked'> {
  if (analysis.lowered && analysis.derivatives) return { checkable: { lowered: analysis.lowered, derivatives: analysis.derivatives } };
  const program = analysis.program;
  for (const d of analysis.diagnostics) {
    if (d.severity !== 'error') continue;
    const first: Token | undefined = tokens.statementStart(d.span.start);
    if (d.code === 'no-var' || d.code === 'no-loss' || d.code === 'not-differentiable' || (first && BLOCKING.has(first.text)))
      return { blocked: { message: `fix the error on line ${file.lineCol(d.span.start).line} first (${d.message})`, span: d.span } };
  }
  const end = { start: file.text.length, end: file.text.length };
  if (!program.loss) return { blocked: { message: 'the file has no loss to check claims against (write: loss L = …)', span: end } };
  if (program.vars.length === 0) return { blocked: { message: 'the file declares no var (write: var x : R^d)', span: end } };
  // Only claims, lets or defs have errors, and the loss does not use the broken ones (else it
  // would not have type-checked): the rest of the file means what it says.
  try {
    const lowered = lowerProgram(new Graph(), program);
    return { checkable: { lowered, derivatives: derive(lowered) } };
  } catch (e) {
    if (e instanceof UnsupportedError) return { blocked: { message: e.message, span: program.loss.span } };
    throw e;
  }
}
