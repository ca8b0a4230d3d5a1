/**
 * The status-bar item: the backend and device of the worker, and while checks run the number of
 * claims pending. Clicking it offers what one would want from there: the output, cancel, restart,
 * the backend setting, the report.
 */
import * as vscode from 'vscode';
import type { WorkerStatus } from '../server/ext';
import type { Ctx } from './ctx';

export function registerStatus(ctx: Ctx): void {
  const item = vscode.window.createStatusBarItem('derivlens.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'DerivLens';
  item.command = 'derivlens.statusMenu';
  let last: WorkerStatus = { pending: 0 };
  const show = (): void => {
    const backend = last.backend ?? 'worker not started';
    item.text =
      last.pending > 0 ? `$(sync~spin) DerivLens: ${last.pending} claim${last.pending === 1 ? '' : 's'}` : `$(pulse) DerivLens: ${backend}`;
    item.tooltip = `${last.backend ? `DerivLens checks run in ${last.backend} on ${last.device}` : 'DerivLens: no check has run yet'}${last.message ? `\n${last.message}` : ''}\nClick for actions`;
    item.show();
  };
  const showIfLoss = (editor: vscode.TextEditor | undefined): void => {
    if (editor?.document.languageId === 'derivlens' || last.backend) show();
    else item.hide();
  };
  ctx.extension.subscriptions.push(
    item,
    ctx.onWorkerStatus((s) => {
      last = s;
      if (s.message && s.backend === undefined) ctx.output.appendLine(s.message);
      if (s.message && /Python worker unavailable/.test(s.message)) void vscode.window.showWarningMessage(`DerivLens: ${s.message}.`);
      show();
    }),
    vscode.window.onDidChangeActiveTextEditor(showIfLoss),
    vscode.commands.registerCommand('derivlens.statusMenu', async () => {
      const actions: (vscode.QuickPickItem & { run: () => unknown })[] = [
        { label: '$(output) Show output', run: () => ctx.output.show(true) },
        { label: '$(debug-stop) Cancel running checks', run: () => vscode.commands.executeCommand('derivlens.cancel') },
        { label: '$(debug-restart) Restart worker', run: () => vscode.commands.executeCommand('derivlens.restartWorker') },
        { label: '$(preview) Show report', run: () => vscode.commands.executeCommand('derivlens.showReport') },
        {
          label: '$(gear) Backend and budget settings',
          run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'derivlens'),
        },
      ];
      const picked = await vscode.window.showQuickPick(actions, { title: item.tooltip?.toString().split('\n')[0] ?? 'DerivLens' });
      await picked?.run();
    }),
  );
  showIfLoss(vscode.window.activeTextEditor);
}
