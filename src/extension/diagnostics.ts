/**
 * Problems: parse and shape errors as you type (debounced), and refuted or inconclusive claims from
 * the latest check, each with the counterexample and a link to the text report.
 */
import * as vscode from 'vscode';
import { formatCounterexample } from '../app/text';
import type { Span } from '../language/diagnostics';
import type { Ctx } from './ctx';
import { REPORT_SCHEME } from './reportDocument';

const DEBOUNCE_MS = 150;

export function rangeOf(ctx: Ctx, doc: vscode.TextDocument, span: Span): vscode.Range {
  const file = ctx.analysisOf(doc).file;
  const s = file.lineCol(span.start);
  const e = file.lineCol(Math.max(span.end, span.start + 1));
  return new vscode.Range(s.line - 1, s.column - 1, e.line - 1, e.column - 1);
}

export function registerDiagnostics(ctx: Ctx): void {
  const collection = vscode.languages.createDiagnosticCollection('derivlens');
  const timers = new Map<string, NodeJS.Timeout>();
  const refresh = (doc: vscode.TextDocument): void => {
    if (doc.languageId !== 'derivlens') return;
    const state = ctx.analysisOf(doc);
    const out = state.analysis.diagnostics.map((d) => {
      const sev =
        d.severity === 'error'
          ? vscode.DiagnosticSeverity.Error
          : d.severity === 'warning'
            ? vscode.DiagnosticSeverity.Warning
            : vscode.DiagnosticSeverity.Information;
      const diag = new vscode.Diagnostic(rangeOf(ctx, doc, d.span), d.message, sev);
      diag.code = d.code;
      diag.source = 'derivlens';
      return diag;
    });
    const verdicts = ctx.verdictsOf(doc.uri);
    if (verdicts && verdicts.version === doc.version) {
      for (const c of verdicts.outcome.claims) {
        if (c.verdict !== 'refuted' && c.verdict !== 'inconclusive') continue;
        const range = doc.lineAt(c.line - 1).range;
        const ce = formatCounterexample(c, '  ');
        const message = `${c.verdict}: ${c.summary}${ce.length ? `\ncounterexample:\n${ce.join('\n')}` : ''}`;
        const diag = new vscode.Diagnostic(
          range,
          message,
          c.verdict === 'refuted' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        diag.source = 'derivlens';
        diag.code = `claim-${c.verdict}`;
        const reportUri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `${doc.uri.path}.report.txt`, query: doc.uri.toString() });
        diag.relatedInformation = [
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(reportUri, new vscode.Position(0, 0)),
            'full report with every claim and counterexample',
          ),
        ];
        out.push(diag);
      }
    }
    collection.set(doc.uri, out);
  };
  const schedule = (doc: vscode.TextDocument): void => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => refresh(doc), DEBOUNCE_MS),
    );
  };
  vscode.workspace.textDocuments.forEach(refresh);
  ctx.extension.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      collection.delete(d.uri);
      ctx.forget(d.uri);
    }),
    ctx.onDidChange((uri) => {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (doc) refresh(doc);
    }),
  );
}
