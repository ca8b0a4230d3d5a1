/**
 * The report webview: one panel per file, reused. The server renders the body (KaTeX math, verdict
 * badges, plots, buttons; derivlens/report); this panel wraps it under a strict CSP — the only script
 * is media/report.js, loaded with a nonce, no unsafe-eval, no remote resources, local resources
 * limited to media/ — and turns the buttons' messages into commands and server requests.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { REPORT_STYLE, claimAnchor } from '../app/reportStyle';
import { counterexampleRequest, exportRequest, reportRequest } from '../server/ext';
import type { Ctx } from './ctx';

/** Messages from the webview (media/report.js). */
export type FromWebview =
  | { type: 'rerun'; claim?: number }
  | { type: 'rerun-at-counterexample'; claim: number }
  | { type: 'reveal'; line: number }
  | { type: 'copy-json' | 'copy-numpy'; claim: number }
  | { type: 'export'; format: 'latex' | 'numpy' | 'jax' };

/** Messages to the webview. */
export type ToWebview = { type: 'scrollTo'; anchor: string };

export class ReportPanels {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: Ctx) {
    ctx.extension.subscriptions.push(ctx.onDidChangeFile((s) => this.scheduleRefresh(s.uri)));
  }

  /** Opens (or reveals) the report of a document, scrolled to a claim when given. */
  async show(doc: vscode.TextDocument, claimIndex?: number): Promise<void> {
    const key = doc.uri.toString();
    let panel = this.panels.get(key);
    if (!panel) {
      const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media');
      panel = vscode.window.createWebviewPanel(
        'derivlens.report',
        `DerivLens: ${vscode.workspace.asRelativePath(doc.uri)}`,
        vscode.ViewColumn.Beside,
        {
          enableScripts: true,
          localResourceRoots: [media],
          retainContextWhenHidden: true,
        },
      );
      this.panels.set(key, panel);
      panel.onDidDispose(() => this.panels.delete(key));
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(doc.uri, m));
    } else {
      panel.reveal(vscode.ViewColumn.Beside, true);
    }
    await this.render(doc.uri, panel);
    if (claimIndex !== undefined)
      void panel.webview.postMessage({ type: 'scrollTo', anchor: claimAnchor(0, claimIndex) } satisfies ToWebview);
  }

  /** Verdicts arrive claim by claim: re-render at most a few times a second. */
  private scheduleRefresh(uri: string): void {
    const panel = this.panels.get(uri);
    if (!panel || this.pending.has(uri)) return;
    this.pending.set(
      uri,
      setTimeout(() => {
        this.pending.delete(uri);
        void this.render(vscode.Uri.parse(uri), panel);
      }, 300),
    );
  }

  private async render(uri: vscode.Uri, panel: vscode.WebviewPanel): Promise<void> {
    const webview = panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media');
    const nonce = randomBytes(16).toString('base64');
    const { content } = await this.ctx.client.sendRequest(reportRequest, { uri: uri.toString(), format: 'html' });
    const body = content ?? `<p>${vscode.workspace.asRelativePath(uri)} has errors; see Problems.</p>`;
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    webview.html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${webview.asWebviewUri(vscode.Uri.joinPath(media, 'katex', 'katex.min.css'))}">
<style>${REPORT_STYLE}</style><title>DerivLens report</title></head>
<body>${body}<script nonce="${nonce}" src="${webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.js'))}"></script></body></html>`;
  }

  private async onMessage(uri: vscode.Uri, m: FromWebview): Promise<void> {
    const key = uri.toString();
    switch (m.type) {
      case 'rerun':
        await this.ctx.check(uri, m.claim === undefined ? undefined : [m.claim]);
        return;
      case 'rerun-at-counterexample':
        await vscode.commands.executeCommand('derivlens.rerunAtCounterexample', uri, m.claim);
        return;
      case 'reveal': {
        const doc = await vscode.workspace.openTextDocument(uri);
        const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
        const pos = new vscode.Position(Math.max(0, m.line - 1), 0);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos));
        return;
      }
      case 'export': {
        const { content } = await this.ctx.client.sendRequest(exportRequest, { uri: key, format: m.format });
        if (content === undefined) return;
        const exported = await vscode.workspace.openTextDocument({ content, language: m.format === 'latex' ? 'latex' : 'python' });
        await vscode.window.showTextDocument(exported, vscode.ViewColumn.One);
        return;
      }
      case 'copy-json':
      case 'copy-numpy': {
        const format = m.type === 'copy-json' ? 'json' : 'numpy';
        const { content } = await this.ctx.client.sendRequest(counterexampleRequest, { uri: key, claim: m.claim, format });
        if (content === undefined) return;
        await vscode.env.clipboard.writeText(content);
        void vscode.window.showInformationMessage(`DerivLens: counterexample copied as ${format === 'json' ? 'JSON' : 'NumPy'}.`);
        return;
      }
    }
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
  }
}
