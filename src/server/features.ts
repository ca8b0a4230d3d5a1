/**
 * The analysis (src/analysis) in LSP's types: one function per request, from a document's analysis
 * and its TextDocument (offsets ↔ UTF-16 positions) to the protocol result. No state lives here.
 */
import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  DocumentHighlightKind,
  FoldingRangeKind,
  InlayHintKind,
  InsertTextFormat,
  SymbolKind,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type DocumentHighlight,
  type DocumentSymbol,
  type FoldingRange,
  type InlayHint,
  type Location,
  type Range,
  type SemanticTokens,
  type SignatureHelp,
  type TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { type ActionOptions, codeActions } from '../analysis/actions';
import { type CompletionKind, complete } from '../analysis/completion';
import type { DocumentAnalysis } from '../analysis/document';
import { foldingRanges } from '../analysis/folding';
import { formatDocument } from '../analysis/format';
import { TOKEN_MODIFIERS, TOKEN_TYPES, highlightTokens } from '../analysis/highlight';
import { inlayHints } from '../analysis/inlay';
import { type OutlineItem, outline } from '../analysis/outline';
import { signatureAt } from '../analysis/signature';
import { occurrenceAt, occurrencesOf } from '../analysis/symbols';
import type { Span } from '../language/diagnostics';

export const SEMANTIC_LEGEND = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

export function range(td: TextDocument, span: Span): Range {
  return { start: td.positionAt(span.start), end: td.positionAt(Math.max(span.end, span.start)) };
}

export function analysisDiagnostics(doc: DocumentAnalysis, td: TextDocument): Diagnostic[] {
  return doc.analysis.diagnostics.map((d) => ({
    range: range(td, d.span.end > d.span.start ? d.span : { start: d.span.start, end: d.span.start + 1 }),
    message: d.message,
    severity:
      d.severity === 'error'
        ? DiagnosticSeverity.Error
        : d.severity === 'warning'
          ? DiagnosticSeverity.Warning
          : DiagnosticSeverity.Information,
    code: d.code,
    source: 'derivlens',
  }));
}

const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  latex: CompletionItemKind.Operator,
  function: CompletionItemKind.Function,
  dim: CompletionItemKind.TypeParameter,
  const: CompletionItemKind.Constant,
  given: CompletionItemKind.Field,
  var: CompletionItemKind.Variable,
  let: CompletionItemKind.Value,
  loss: CompletionItemKind.Function,
  def: CompletionItemKind.Function,
  param: CompletionItemKind.Variable,
  index: CompletionItemKind.Variable,
};

export function completion(doc: DocumentAnalysis, td: TextDocument, offset: number, snippets: boolean): CompletionItem[] {
  return complete(doc, offset).map((e, i) => {
    const insert = e.insertText ?? e.label;
    const text = e.snippet && !snippets ? insert.replace(/\$\{\d+(?::([^}]*))?\}/g, '$1') : insert;
    return {
      label: e.label,
      kind: COMPLETION_KIND[e.kind],
      detail: e.detail,
      ...(e.documentation ? { documentation: e.documentation } : {}),
      ...(e.kind === 'latex' && e.detail ? { labelDetails: { description: e.detail } } : {}),
      sortText: `${e.sortGroup}${String(i).padStart(4, '0')}`,
      ...(e.replace ? { textEdit: { range: range(td, e.replace), newText: text }, filterText: e.label } : { insertText: text }),
      ...(e.snippet && snippets ? { insertTextFormat: InsertTextFormat.Snippet } : {}),
    };
  });
}

export function signatureHelp(doc: DocumentAnalysis, offset: number): SignatureHelp | null {
  const s = signatureAt(doc, offset);
  if (!s) return null;
  return {
    signatures: [{ label: s.label, documentation: s.documentation, parameters: s.params.map((p) => ({ label: p })) }],
    activeSignature: 0,
    activeParameter: s.activeParameter,
  };
}

export function definition(doc: DocumentAnalysis, td: TextDocument, offset: number): Location | null {
  const o = occurrenceAt(doc.symbols, offset);
  return o ? { uri: td.uri, range: range(td, o.symbol.nameSpan) } : null;
}

export function references(doc: DocumentAnalysis, td: TextDocument, offset: number, includeDeclaration: boolean): Location[] {
  const o = occurrenceAt(doc.symbols, offset);
  if (!o) return [];
  return occurrencesOf(doc.symbols, o.symbol)
    .filter((x) => includeDeclaration || !x.declaration)
    .map((x) => ({ uri: td.uri, range: range(td, x.span) }));
}

export function documentHighlights(doc: DocumentAnalysis, td: TextDocument, offset: number): DocumentHighlight[] {
  const o = occurrenceAt(doc.symbols, offset);
  if (!o) return [];
  return occurrencesOf(doc.symbols, o.symbol).map((x) => ({
    range: range(td, x.span),
    kind: x.declaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

const SYMBOL_KIND: Record<OutlineItem['kind'], SymbolKind> = {
  dim: SymbolKind.TypeParameter,
  const: SymbolKind.Constant,
  given: SymbolKind.Field,
  var: SymbolKind.Variable,
  let: SymbolKind.Property,
  loss: SymbolKind.Function,
  def: SymbolKind.Function,
  param: SymbolKind.Variable,
  index: SymbolKind.Variable,
  claim: SymbolKind.Boolean,
  sweep: SymbolKind.Array,
};

export function documentSymbols(doc: DocumentAnalysis, td: TextDocument): DocumentSymbol[] {
  return outline(doc).map((o) => ({
    name: o.name,
    detail: o.detail,
    kind: SYMBOL_KIND[o.kind],
    range: range(td, o.span),
    selectionRange: range(td, o.selection),
  }));
}

export function semanticTokens(doc: DocumentAnalysis, td: TextDocument): SemanticTokens {
  const data: number[] = [];
  let line = 0;
  let char = 0;
  for (const t of highlightTokens(doc)) {
    const p = td.positionAt(t.span.start);
    const end = td.positionAt(t.span.end);
    if (end.line !== p.line) continue;
    data.push(
      p.line - line,
      p.line === line ? p.character - char : p.character,
      end.character - p.character,
      TOKEN_TYPES.indexOf(t.type),
      t.modifiers.reduce((bits, m) => bits | (1 << TOKEN_MODIFIERS.indexOf(m)), 0),
    );
    line = p.line;
    char = p.character;
  }
  return { data };
}

export function folding(doc: DocumentAnalysis): FoldingRange[] {
  return foldingRanges(doc).map((f) => ({
    startLine: f.startLine - 1,
    endLine: f.endLine - 1,
    kind: f.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region,
  }));
}

export function inlays(doc: DocumentAnalysis, td: TextDocument, r: Range): InlayHint[] {
  return inlayHints(doc, td.offsetAt(r.start), td.offsetAt(r.end)).map((h) => ({
    position: td.positionAt(h.at),
    label: h.label,
    kind: InlayHintKind.Type,
  }));
}

export function formatting(td: TextDocument): TextEdit[] {
  const text = td.getText();
  const formatted = formatDocument(text);
  return formatted === text ? [] : [{ range: range(td, { start: 0, end: text.length }), newText: formatted }];
}

export function actions(
  doc: DocumentAnalysis,
  td: TextDocument,
  r: Range,
  lspDiagnostics: Diagnostic[],
  options: ActionOptions,
): CodeAction[] {
  return codeActions(doc, { start: td.offsetAt(r.start), end: td.offsetAt(r.end) }, options).map((f) => {
    const fixed = f.diagnostic
      ? lspDiagnostics.filter((d) => d.code === f.diagnostic!.code && td.offsetAt(d.range.start) === f.diagnostic!.span.start)
      : [];
    return {
      title: f.title,
      kind: f.kind === 'quickfix' ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
      ...(fixed.length ? { diagnostics: fixed } : {}),
      ...(f.preferred ? { isPreferred: true } : {}),
      edit: { changes: { [td.uri]: f.edits.map((e) => ({ range: range(td, e.span), newText: e.newText })) } },
    };
  });
}
