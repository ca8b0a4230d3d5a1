/**
 * The report webview: one panel per file, reused. KaTeX math rendered in the extension host and
 * styled by media/katex; the only script is media/report.js, loaded with a nonce under a strict
 * CSP (no unsafe-eval, no remote resources); local resources are limited to media/.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { type ClaimOutcome, type FileOutcome, derivationOutcome } from '../app/runClaims';
import { exportLatex, exportPython } from '../app/export';
import { REPORT_STYLE, claimAnchor, reportBody } from '../app/report';
import type { Ctx } from './ctx';

/** Messages from the webview (media/report.js). */
export type FromWebview =
  | { type: 'rerun'; claim?: number }
  | { type: 'reveal'; line: number }
  | { type: 'copy-json' | 'copy-numpy'; claim: number }
  | { type: 'export'; format: 'latex' | 'numpy' | 'jax' };

/** Messages to the webview. */
export type ToWebview = { type: 'scrollTo'; anchor: string };

function numpy(c: ClaimOutcome): string {
  const ce = c.counterexample!;
  const lines = ['import numpy as np', `# counterexample for: ${c.text}`, `# ${c.verdict}: ${c.summary}`];
  const arr = (v: unknown): string =>
    typeof v === 'number' ? repr(v) : `np.array(${JSON.stringify(v, (_k, x) => (typeof x === 'number' ? Number(x) : x))})`;
  for (const [k, v] of Object.entries(ce.point)) lines.push(`${k} = ${arr(v)}`);
  if (ce.other) for (const [k, v] of Object.entries(ce.other)) lines.push(`${k}_other = ${arr(v)}`);
  for (const [k, v] of Object.entries(ce.values)) lines.push(`${k}_reported = ${arr(v)}`);
  if (ce.eigenvector) lines.push(`eigenvector = ${arr(ce.eigenvector)}`);
  return `${lines.join('\n')}\n`;
}

function repr(v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'np.nan' : v > 0 ? 'np.inf' : '-np.inf';
}

export class ReportPanels {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly ctx: Ctx) {}

  /** Opens (or reveals) the report of a document, scrolled to a claim when given. */
  show(doc: vscode.TextDocument, claimIndex?: number): void {
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
    this.render(doc, panel);
    if (claimIndex !== undefined)
      void panel.webview.postMessage({ type: 'scrollTo', anchor: claimAnchor(0, claimIndex) } satisfies ToWebview);
  }

  /** Re-renders open panels of a document after its verdicts change. */
  refresh(uri: vscode.Uri): void {
    const panel = this.panels.get(uri.toString());
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (panel && doc) this.render(doc, panel);
  }

  private outcome(doc: vscode.TextDocument): FileOutcome | undefined {
    const v = this.ctx.verdictsOf(doc.uri);
    if (v) return v.outcome;
    const loaded = this.ctx.analysisOf(doc).loaded;
    return loaded ? derivationOutcome(loaded) : undefined;
  }

  private render(doc: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media');
    const nonce = randomBytes(16).toString('base64');
    const found = this.outcome(doc);
    const outcome = found ? { ...found, file: vscode.workspace.asRelativePath(doc.uri) } : undefined;
    const body = outcome
      ? reportBody([outcome], { interactive: true })
      : `<p>${vscode.workspace.asRelativePath(doc.uri)} has errors; see Problems.</p>`;
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
    const doc = await vscode.workspace.openTextDocument(uri);
    switch (m.type) {
      case 'rerun':
        await this.ctx.check(doc, m.claim === undefined ? undefined : [m.claim]);
        return;
      case 'reveal': {
        const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
        const pos = new vscode.Position(Math.max(0, m.line - 1), 0);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos));
        return;
      }
      case 'export': {
        const loaded = this.ctx.analysisOf(doc).loaded;
        if (!loaded) return;
        const content = m.format === 'latex' ? exportLatex(loaded, this.ctx.verdictsOf(uri)?.outcome) : exportPython(loaded, m.format);
        const exported = await vscode.workspace.openTextDocument({ content, language: m.format === 'latex' ? 'latex' : 'python' });
        await vscode.window.showTextDocument(exported, vscode.ViewColumn.One);
        return;
      }
      case 'copy-json':
      case 'copy-numpy': {
        const c = this.ctx.verdictsOf(uri)?.outcome.claims.find((x) => x.claimIndex === m.claim);
        if (!c?.counterexample) return;
        await vscode.env.clipboard.writeText(m.type === 'copy-json' ? JSON.stringify(c.counterexample, null, 2) : numpy(c));
        void vscode.window.showInformationMessage(`DerivLens: counterexample copied as ${m.type === 'copy-json' ? 'JSON' : 'NumPy'}.`);
        return;
      }
    }
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
  }
}
