/** CodeLens above each claim: ▶ Check before a run, then its verdict (clicking opens the report there). */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';

const LABEL: Record<string, string> = { proved: '✓ proved', holds: '✓ holds', refuted: '✗ refuted', inconclusive: '? inconclusive' };

export function registerCodeLens(ctx: Ctx): void {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses(doc) {
      const state = ctx.analysisOf(doc);
      const verdicts = ctx.verdictsOf(doc.uri);
      const stale = verdicts !== undefined && verdicts.version !== doc.version;
      return state.analysis.program.claims.map((claim, index) => {
        const line = state.file.lineCol(claim.span.start).line - 1;
        const range = new vscode.Range(line, 0, line, 0);
        const outcome = verdicts?.outcome.claims.find((c) => c.claimIndex === index);
        if (!outcome || stale || outcome.line - 1 !== line) {
          const title = ctx.trusted
            ? stale && outcome
              ? '▶ Check (edited since the last run)'
              : '▶ Check'
            : '▶ Check (trust the workspace to run checks)';
          return new vscode.CodeLens(range, { title, command: 'derivlens.checkClaim', arguments: [doc.uri, index] });
        }
        const points =
          typeof outcome.evidence['points'] === 'number'
            ? ` (${outcome.evidence['points']} points)`
            : typeof outcome.evidence['pairs'] === 'number'
              ? ` (${outcome.evidence['pairs']} pairs)`
              : '';
        return new vscode.CodeLens(range, {
          title: `${LABEL[outcome.verdict]}${outcome.verdict === 'holds' ? points : ''}`,
          tooltip: outcome.summary,
          command: 'derivlens.showReport',
          arguments: [doc.uri, index],
        });
      });
    },
  };
  ctx.extension.subscriptions.push(
    changed,
    vscode.languages.registerCodeLensProvider({ language: 'derivlens' }, provider),
    ctx.onDidChange(() => changed.fire()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
  );
}
