/**
 * VS Code entry point: starts the language server (dist/server.js, which serves diagnostics, hovers,
 * completion, navigation, formatting, code lenses and runs checks) and adds what only VS Code has:
 * commands, Test Explorer, the report webview, the status bar. Only this layer imports `vscode`.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { checkOnSave } from './config';
import { Ctx } from './ctx';
import { registerReportDocuments } from './reportDocument';
import { ReportPanels } from './reportPanel';
import { registerStatus } from './status';
import { registerTesting } from './testing';

let current: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const ctx = new Ctx(context);
  current = ctx;
  const reports = new ReportPanels(ctx);
  context.subscriptions.push(ctx, { dispose: () => reports.dispose() });
  registerReportDocuments(ctx);
  registerTesting(ctx);
  registerStatus(ctx);
  registerCommands(ctx, reports);
  context.subscriptions.push(
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === 'derivlens' && checkOnSave(doc.uri) && ctx.trusted) void ctx.check(doc.uri);
    }),
  );
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await current?.client.stop();
  current?.dispose();
  current = undefined;
}
