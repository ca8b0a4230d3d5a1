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

async function documentOf(arg: unknown): Promise<vscode.TextDocument | undefined> {
  return arg instanceof vscode.Uri ? vscode.workspace.openTextDocument(arg) : activeLossDocument();
}

export function createCommands(ctx: Ctx, reports: ReportPanels): Record<string, (ctx: Ctx) => Cmd> {
  return {
    checkFile: () => async (uri?: unknown) => {
      const doc = await documentOf(uri);
      if (doc && (await ctx.check(doc))) reports.refresh(doc.uri);
    },
    checkClaimAtCursor: () => async () => {
      const editor = vscode.window.activeTextEditor;
      const doc = activeLossDocument();
      if (!editor || !doc) return;
      const state = ctx.analysisOf(doc);
      const offset = doc.offsetAt(editor.selection.active);
      const line = editor.selection.active.line + 1;
      const index = state.analysis.program.claims.findIndex(
        (c) => (c.span.start <= offset && offset <= c.span.end) || state.file.lineCol(c.span.start).line === line,
      );
      if (index < 0) {
        void vscode.window.showInformationMessage('DerivLens: the cursor is not on a claim.');
        return;
      }
      await ctx.check(doc, [index]);
    },
    checkClaim: () => async (uri: unknown, index: unknown) => {
      const doc = await documentOf(uri);
      if (doc && typeof index === 'number') await ctx.check(doc, [index]);
    },
    derive: () => async (uri?: unknown) => {
      const doc = await documentOf(uri);
      if (!doc) return;
      if (!ctx.analysisOf(doc).loaded) {
        void vscode.window.showErrorMessage('DerivLens: the file has errors; see Problems.');
        return;
      }
      reports.show(doc);
    },
    showReport: () => async (uri?: unknown, index?: unknown) => {
      const doc = await documentOf(uri);
      if (doc) reports.show(doc, typeof index === 'number' ? index : undefined);
    },
    restartWorker: () => async () => {
      await ctx.restartWorker();
      void vscode.window.showInformationMessage('DerivLens: the worker will start afresh on the next check.');
    },
    cancel: () => () => {
      if (!ctx.cancel()) void vscode.window.showInformationMessage('DerivLens: no check is running.');
    },
  };
}

export function registerCommands(ctx: Ctx, reports: ReportPanels): void {
  for (const [name, factory] of Object.entries(createCommands(ctx, reports))) {
    ctx.extension.subscriptions.push(vscode.commands.registerCommand(`derivlens.${name}`, factory(ctx)));
  }
}
