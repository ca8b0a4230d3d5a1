/** A read-only text report per file (`derivlens-report:` documents), the target of Problems links. */
import * as vscode from 'vscode';
import { formatOutcome } from '../app/text';
import type { Ctx } from './ctx';

export const REPORT_SCHEME = 'derivlens-report';

export function registerReportDocuments(ctx: Ctx): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent(uri) {
      const source = vscode.Uri.parse(uri.query);
      const v = ctx.verdictsOf(source);
      return v ? formatOutcome(v.outcome) : `${source.fsPath}: not checked yet (run "DerivLens: Check claims in file").`;
    },
  };
  ctx.extension.subscriptions.push(changed, vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, provider));
}
