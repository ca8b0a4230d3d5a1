/**
 * VS Code entry point. The language contribution (grammar, .loss files) is declarative in
 * package.json; this module registers the live diagnostics. It only translates between VS Code
 * and the core: parsing and checking live in src/language.
 */
import * as vscode from 'vscode';
import { SourceFile } from '../language/diagnostics';
import { analyze } from '../symbolic/analyze';

export function activate(context: vscode.ExtensionContext): void {
  const collection = vscode.languages.createDiagnosticCollection('derivlens');
  context.subscriptions.push(collection);
  const refresh = (doc: vscode.TextDocument): void => {
    if (doc.languageId !== 'derivlens') return;
    const text = doc.getText();
    const file = new SourceFile(doc.uri.fsPath, text);
    const { diagnostics } = analyze(text);
    collection.set(
      doc.uri,
      diagnostics.map((d) => {
        const s = file.lineCol(d.span.start);
        const e = file.lineCol(Math.max(d.span.end, d.span.start + 1));
        const range = new vscode.Range(s.line - 1, s.column - 1, e.line - 1, e.column - 1);
        const sev = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : d.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
        const diag = new vscode.Diagnostic(range, d.message, sev);
        diag.code = d.code;
        diag.source = 'derivlens';
        return diag;
      }),
    );
  };
  vscode.workspace.textDocuments.forEach(refresh);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refresh(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
  );
}

export function deactivate(): void {}
