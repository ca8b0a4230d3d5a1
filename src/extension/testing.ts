/**
 * Test Explorer: each claim (from derivlens/fileState) is a test item under its file. Running items
 * sends one check request per file; a check started anywhere else (a command, a lens, the report)
 * shows as a run too. Item states follow the claims' statuses as the server reports them, so
 * Test Explorer, lenses and Problems always agree: there is one store, in the server.
 */
import * as vscode from 'vscode';
import type { ClaimView, FileState } from '../server/ext';
import type { Ctx } from './ctx';

interface ActiveRun {
  run: vscode.TestRun;
  /** Claim indices this run reports; undefined: every claim of the file. */
  only?: Set<number>;
  reported: Map<number, string>;
  /** A run started by Test Explorer ends when its requests resolve, not on an idle file state. */
  owned: boolean;
}

export function registerTesting(ctx: Ctx): vscode.TestController {
  const controller = vscode.tests.createTestController('derivlens', 'DerivLens claims');
  const runs = new Map<string, ActiveRun>();

  const claimId = (uri: string, c: ClaimView): string => `${uri}#${c.index}`;

  const sync = (s: FileState): vscode.TestItem | undefined => {
    const uri = vscode.Uri.parse(s.uri);
    if (uri.scheme !== 'file') return undefined;
    const item = controller.items.get(s.uri) ?? controller.createTestItem(s.uri, vscode.workspace.asRelativePath(uri), uri);
    item.children.replace(
      s.claims.map((c) => {
        const child = item.children.get(claimId(s.uri, c)) ?? controller.createTestItem(claimId(s.uri, c), c.text, uri);
        child.label = c.text;
        child.range = new vscode.Range(c.line, 0, c.endLine, 0);
        return child;
      }),
    );
    controller.items.add(item);
    return item;
  };

  /** Reports the claims' statuses into a run; true when none of its claims is pending any more. */
  const report = (active: ActiveRun, s: FileState, item: vscode.TestItem): boolean => {
    let pending = false;
    for (const c of s.claims) {
      if (active.only && !active.only.has(c.index)) continue;
      const child = item.children.get(claimId(s.uri, c));
      if (!child) continue;
      const key = `${c.status}:${c.verdict ?? ''}`;
      if (active.reported.get(c.index) === key) {
        if (c.status === 'queued' || c.status === 'running') pending = true;
        continue;
      }
      active.reported.set(c.index, key);
      if (c.status === 'queued') {
        active.run.enqueued(child);
        pending = true;
      } else if (c.status === 'running') {
        active.run.started(child);
        pending = true;
      } else if (c.status === 'done' && c.verdict) {
        if (c.verdict === 'holds' || c.verdict === 'proved') active.run.passed(child);
        else {
          const message = new vscode.TestMessage(c.message ?? `${c.verdict}: ${c.summary ?? ''}`);
          message.location = new vscode.Location(vscode.Uri.parse(s.uri), new vscode.Range(c.line, 0, c.line, 0));
          if (c.verdict === 'refuted') active.run.failed(child, message);
          else active.run.errored(child, message);
        }
      } else if (c.status === 'failed') active.run.errored(child, new vscode.TestMessage(c.message ?? 'not checked'));
    }
    return !pending;
  };

  ctx.extension.subscriptions.push(
    ctx.onDidChangeFile((s) => {
      const item = sync(s);
      if (!item) return;
      let active = runs.get(s.uri);
      const busy = s.claims.some((c) => c.status === 'queued' || c.status === 'running');
      if (!active && busy) {
        // A check started outside Test Explorer.
        active = {
          run: controller.createTestRun(new vscode.TestRunRequest([item]), `DerivLens: ${item.label}`, true),
          reported: new Map(),
          owned: false,
        };
        runs.set(s.uri, active);
      }
      if (!active) return;
      const idle = report(active, s, item);
      if (idle && !active.owned) {
        active.run.end();
        runs.delete(s.uri);
      }
    }),
  );

  controller.resolveHandler = async (item) => {
    if (item) return;
    // Opening a document makes the server analyse it and send its claims.
    for (const uri of await vscode.workspace.findFiles('**/*.loss', '**/node_modules/**', 500))
      await vscode.workspace.openTextDocument(uri);
  };

  const runHandler = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const run = controller.createTestRun(request);
    const requested = request.include ?? [...controller.items].map(([, i]) => i);
    const byFile = new Map<string, Set<number> | undefined>();
    for (const item of requested) {
      const [file, index] = item.id.split('#') as [string, string | undefined];
      if (index === undefined) byFile.set(file, undefined);
      else if (!byFile.has(file) || byFile.get(file)) byFile.set(file, new Set([...(byFile.get(file) ?? []), Number(index)]));
    }
    // Files are checked side by side (each its own request; a settled file reports at once).
    await Promise.all(
      [...byFile].map(async ([file, only]) => {
        const previous = runs.get(file);
        if (previous && !previous.owned) previous.run.end();
        const active: ActiveRun = { run, ...(only ? { only } : {}), reported: new Map(), owned: true };
        runs.set(file, active);
        const uri = vscode.Uri.parse(file);
        await vscode.workspace.openTextDocument(uri);
        await ctx.check(uri, only ? [...only] : undefined, { token, quiet: true });
        const state = ctx.stateOf(uri);
        const item = controller.items.get(file);
        if (state && item) {
          report(active, state, item);
          // Claims that ended without a verdict (cancelled) are skipped.
          for (const c of state.claims)
            if ((!only || only.has(c.index)) && c.status !== 'done' && c.status !== 'failed') {
              const child = item.children.get(claimId(file, c));
              if (child) run.skipped(child);
            }
        }
        if (runs.get(file) === active) runs.delete(file);
      }),
    );
    run.end();
  };
  controller.createRunProfile('Check', vscode.TestRunProfileKind.Run, runHandler, true);
  ctx.extension.subscriptions.push(controller);
  return controller;
}
