/** A read-only text report per file (`derivlens-report:` documents), the target of Problems links; the server writes it. */
import * as vscode from 'vscode';
import { reportRequest } from '../server/ext';
import { type Ctx, REPORT_SCHEME } from './ctx';

export function registerReportDocuments(ctx: Ctx): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const open = new Map<string, vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    async provideTextDocumentContent(uri) {
      open.set(uri.query, uri);
      const source = vscode.Uri.parse(uri.query);
      const { content } = await ctx.client.sendRequest(reportRequest, { uri: source.toString(), format: 'text' });
      return content ?? `${source.fsPath}: not checked yet (run "DerivLens: Check claims in file").`;
    },
  };
  ctx.extension.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, provider),
    ctx.onDidChangeFile((s) => {
      const report = open.get(s.uri);
      if (report) changed.fire(report);
    }),
  );
}
