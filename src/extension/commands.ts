/** Commands as a table of name → factory, registered as `derivlens.<name>` (see package.json). */
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import type { ReportPanels } from './reportPanel';

type Cmd = (...args: unknown[]) => unknown;

function activeLossDocument(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.languageId === 'derivlens') return doc;
  void vscode.window.showWarningMessage('DerivLens: open a .loss file first.');
  return undefined;
}

/** A command's document: a URI (or its string, as code lenses from the server pass it), else the active editor's. */
async function documentOf(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
  if (typeof arg === 'string') return vscode.workspace.openTextDocument(vscode.Uri.parse(arg));
  return activeLossDocument();
}

export function createCommands(ctx: Ctx, reports: ReportPanels): Record<string, (ctx: Ctx) => Cmd> {
  return {
    checkFile: () => async (uri?: unknown) => {
      const doc = await documentOf(uri);
      if (doc) await ctx.check(doc.uri);
    },
    checkClaimAtCursor: () => async () => {
      const editor = vscode.window.activeTextEditor;
      const doc = activeLossDocument();
      if (!editor || !doc) return;
      const line = editor.selection.active.line;
      const claim = ctx.stateOf(doc.uri)?.claims.find((c) => c.line <= line && line <= c.endLine);
      if (!claim) {
        void vscode.window.showInformationMessage('DerivLens: the cursor is not on a claim that type-checks.');
        return;
      }
      await ctx.check(doc.uri, [claim.index]);
    },
    checkClaim: () => async (uri: unknown, index: unknown) => {
      const doc = await documentOf(uri);
      if (doc && typeof index === 'number') await ctx.check(doc.uri, [index]);
    },
    rerunAtCounterexample: () => async (uri: unknown, index: unknown) => {
      const doc = await documentOf(uri);
      if (!doc || typeof index !== 'number') return;
      const result = await ctx.check(doc.uri, undefined, { atCounterexample: index });
      if (result?.reproduced) {
        const { verdict, summary } = result.reproduced;
        ctx.output.appendLine(`re-run at the counterexample of ${doc.uri.fsPath} claim ${index + 1}:\n${result.reproduced.message}`);
        void vscode.window.showInformationMessage(`DerivLens: at the counterexample the claim is ${verdict}: ${summary}`);
      }
    },
    derive: () => async (uri?: unknown) => {
      const doc = await documentOf(uri);
      if (doc) await reports.show(doc);
    },
    showReport: () => async (uri?: unknown, index?: unknown) => {
      const doc = await documentOf(uri);
      if (doc) await reports.show(doc, typeof index === 'number' ? index : undefined);
    },
    restartWorker: () => async () => {
      await ctx.restartWorker();
      void vscode.window.showInformationMessage('DerivLens: the worker will start afresh on the next check.');
    },
    cancel: () => () => {
      if (ctx.pending === 0) void vscode.window.showInformationMessage('DerivLens: no check is running.');
      ctx.cancel();
    },
    showOutput: () => () => ctx.output.show(true),
    openExample: () => async () => {
      const example = vscode.Uri.joinPath(ctx.extension.extensionUri, 'examples', 'softmax_mistakes.loss');
      // A copy in an untitled editor: the example can be edited and checked without touching the installation.
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(example));
      const doc = await vscode.workspace.openTextDocument({ language: 'derivlens', content: text });
      await vscode.window.showTextDocument(doc);
    },
  };
}

export function registerCommands(ctx: Ctx, reports: ReportPanels): void {
  for (const [name, factory] of Object.entries(createCommands(ctx, reports))) {
    ctx.extension.subscriptions.push(vscode.commands.registerCommand(`derivlens.${name}`, factory(ctx)));
  }
}
