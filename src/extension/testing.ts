/** Test Explorer: each claim is a test item under its file; running one runs its check in the worker. */
import * as vscode from 'vscode';
import { formatCounterexample } from '../app/text';
import type { Ctx } from './ctx';

export function registerTesting(ctx: Ctx): vscode.TestController {
  const controller = vscode.tests.createTestController('derivlens', 'DerivLens claims');
  const fileItem = (doc: vscode.TextDocument): vscode.TestItem | undefined => {
    if (doc.languageId !== 'derivlens' || doc.uri.scheme !== 'file') return undefined;
    const state = ctx.analysisOf(doc);
    const id = doc.uri.toString();
    const item = controller.items.get(id) ?? controller.createTestItem(id, vscode.workspace.asRelativePath(doc.uri), doc.uri);
    item.children.replace(
      state.analysis.program.claims.map((claim, index) => {
        const child = controller.createTestItem(`${id}#${index}`, claim.text, doc.uri);
        const line = state.file.lineCol(claim.span.start).line - 1;
        child.range = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
        return child;
      }),
    );
    controller.items.add(item);
    return item;
  };
  controller.resolveHandler = async (item) => {
    if (item) return;
    for (const uri of await vscode.workspace.findFiles('**/*.loss', '**/node_modules/**', 500))
      fileItem(await vscode.workspace.openTextDocument(uri));
  };
  const run = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const run = controller.createTestRun(request);
    const requested = (request.include ?? [...gather(controller.items)]).filter((i) => i.id.includes('#') || i.children.size > 0);
    const byFile = new Map<string, Set<number> | 'all'>();
    for (const item of requested) {
      const [file, index] = item.id.split('#');
      if (index === undefined) byFile.set(file!, 'all');
      else if (byFile.get(file!) !== 'all')
        ((byFile.get(file!) as Set<number> | undefined) ?? (byFile.set(file!, new Set()).get(file!) as Set<number>)).add(Number(index));
    }
    // Files are checked side by side (each its own request; a settled file reports at once).
    await Promise.all(
      [...byFile].map(async ([file, which]) => {
        if (token.isCancellationRequested) return;
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(file));
        const parent = fileItem(doc);
        const items = [...gather(parent?.children)].filter((i) => which === 'all' || which.has(Number(i.id.split('#')[1])));
        items.forEach((i) => run.started(i));
        const outcome = await ctx.check(doc, which === 'all' ? undefined : [...which], token);
        for (const item of items) {
          const index = Number(item.id.split('#')[1]);
          const c = outcome?.claims.find((x) => x.claimIndex === index);
          if (!c) {
            run.skipped(item);
            continue;
          }
          const location = new vscode.Location(doc.uri, doc.lineAt(c.line - 1).range);
          if (c.verdict === 'holds' || c.verdict === 'proved') run.passed(item);
          else {
            const ce = formatCounterexample(c, '  ');
            const message = new vscode.TestMessage(`${c.verdict}: ${c.summary}${ce.length ? `\ncounterexample:\n${ce.join('\n')}` : ''}`);
            message.location = location;
            if (c.verdict === 'refuted') run.failed(item, message);
            else run.errored(item, message);
          }
        }
      }),
    );
    run.end();
  };
  controller.createRunProfile('Check', vscode.TestRunProfileKind.Run, run, true);
  const refresh = (doc: vscode.TextDocument): void => void fileItem(doc);
  vscode.workspace.textDocuments.forEach(refresh);
  ctx.extension.subscriptions.push(
    controller,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidSaveTextDocument(refresh),
  );
  return controller;
}

/** The claim items (ids `file#index`) under a collection; a file without claims yields none. */
function* gather(items: vscode.TestItemCollection | undefined): Generator<vscode.TestItem> {
  if (!items) return;
  for (const [, item] of items) {
    if (item.id.includes('#')) yield item;
    else yield* gather(item.children);
  }
}
