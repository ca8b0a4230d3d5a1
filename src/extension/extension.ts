/**
 * VS Code entry point: wires the surfaces (Problems, hovers, CodeLens, Test Explorer, the report
 * webview, commands) to one Ctx. Only this layer imports `vscode`.
 */
import * as vscode from 'vscode';
import { registerCodeLens } from './codelens';
import { registerCommands } from './commands';
import { readConfig } from './config';
import { Ctx } from './ctx';
import { registerDiagnostics } from './diagnostics';
import { registerHover } from './hover';
import { registerReportDocuments } from './reportDocument';
import { ReportPanels } from './reportPanel';
import { registerTesting } from './testing';

let current: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const ctx = new Ctx(context);
  current = ctx;
  const reports = new ReportPanels(ctx);
  context.subscriptions.push(
    ctx,
    { dispose: () => reports.dispose() },
    ctx.onDidChange((uri) => reports.refresh(uri)),
  );
  registerDiagnostics(ctx);
  registerReportDocuments(ctx);
  registerHover(ctx);
  registerCodeLens(ctx);
  registerTesting(ctx);
  registerCommands(ctx, reports);
  context.subscriptions.push(
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === 'derivlens' && readConfig(doc.uri).checkOnSave && ctx.trusted) void ctx.check(doc);
    }),
  );
}

export function deactivate(): void {
  current?.dispose();
  current = undefined;
}
