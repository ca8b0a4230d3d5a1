/**
 * Extension state: per-document analyses (debounced as you type), the latest verdicts per file,
 * the worker (started lazily, restarted after a crash, stopped on deactivate) and the running check.
 * Everything here translates between VS Code and src/app; no analysis happens in this layer.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type RunClaimsOptions, ClaimRunFailed, type FileOutcome, runClaims } from '../app/runClaims';
import { InputError, type Loaded, analyzeDocument } from '../app/load';
import { SourceFile } from '../language/diagnostics';
import { type ConnectedWorker, connectWorker } from '../numeric/backends';
import { type WorkerClient, WorkerDied } from '../numeric/client';
import type { Analysis } from '../symbolic/analyze';
import { type Config, readConfig } from './config';

export interface DocumentState {
  version: number;
  analysis: Analysis;
  loaded?: Loaded;
  file: SourceFile;
}

export interface Verdicts {
  /** The document version the verdicts were computed for; older ones are shown as stale. */
  version: number;
  outcome: FileOutcome;
}

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('DerivLens');
  private readonly documents = new Map<string, DocumentState>();
  private readonly verdicts = new Map<string, Verdicts>();
  /** The worker and the settings it was started for; shared by all documents. */
  private worker?: { key: string; connected: Promise<ConnectedWorker> };
  /** Which backend and device ran the last check. */
  private readonly status = vscode.window.createStatusBarItem('derivlens.backend', vscode.StatusBarAlignment.Right, 100);
  /** Running checks by document: checks of different files run side by side; a new check of the same file replaces its old one. */
  private readonly running = new Map<string, AbortController>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a document's analysis or verdicts change. */
  readonly onDidChange = this.changed.event;

  constructor(readonly extension: vscode.ExtensionContext) {}

  analysisOf(doc: vscode.TextDocument): DocumentState {
    const key = doc.uri.toString();
    const cached = this.documents.get(key);
    if (cached && cached.version === doc.version) return cached;
    const text = doc.getText();
    const { analysis, loaded } = analyzeDocument(doc.uri.fsPath, text);
    const state: DocumentState = {
      version: doc.version,
      analysis,
      file: new SourceFile(doc.uri.fsPath, text),
      ...(loaded ? { loaded } : {}),
    };
    this.documents.set(key, state);
    return state;
  }

  forget(uri: vscode.Uri): void {
    this.documents.delete(uri.toString());
  }

  verdictsOf(uri: vscode.Uri): Verdicts | undefined {
    return this.verdicts.get(uri.toString());
  }

  notify(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The worker for the current settings, started on first use (and again after a settings change). */
  private async client(config: Config): Promise<WorkerClient> {
    const key = `${config.backend}\0${config.python}`;
    if (this.worker?.key !== key) {
      const previous = this.worker;
      const paths = {
        // Inside Electron, process.execPath is the editor binary; this makes it act as plain Node.
        node: {
          command: process.execPath,
          args: [join(this.extension.extensionPath, 'dist', 'worker.js')],
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        },
        pythonEvaluator: join(this.extension.extensionPath, 'python', 'evaluator.py'),
        python: config.python,
      };
      this.worker = { key, connected: connectWorker(config.backend, paths) };
      void previous?.connected.then(
        (w) => w.client.stop(),
        () => undefined,
      );
      this.worker.connected.then(
        (w) => {
          if (w.fallback) {
            this.output.appendLine(w.fallback);
            void vscode.window.showWarningMessage(`DerivLens: ${w.fallback}.`);
          }
          this.showBackend(w.info.backend, w.info.device);
        },
        () => undefined,
      );
    }
    try {
      return (await this.worker.connected).client;
    } catch (e) {
      this.worker = undefined;
      throw e;
    }
  }

  private showBackend(backend: string, device: string): void {
    this.status.text = `$(pulse) DerivLens: ${backend}`;
    this.status.tooltip = `DerivLens checks run in ${backend} on ${device}`;
    this.status.show();
  }

  async restartWorker(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.connected.then(
      (c) => c.client.stop(),
      () => undefined,
    );
  }

  cancel(): boolean {
    if (this.running.size === 0) return false;
    for (const r of this.running.values()) r.abort();
    return true;
  }

  /**
   * Checks a document's claims (all, or `only` those) in the worker under a cancellable
   * notification. Verdicts merge into the stored ones, so checking one claim keeps the others.
   */
  async check(doc: vscode.TextDocument, only?: number[], token?: vscode.CancellationToken): Promise<FileOutcome | undefined> {
    if (!this.trusted) {
      void vscode.window.showWarningMessage('DerivLens checks claims only in a trusted workspace (no worker process starts otherwise).');
      return undefined;
    }
    const state = this.analysisOf(doc);
    if (!state.loaded) {
      void vscode.window.showErrorMessage(`DerivLens: ${doc.uri.fsPath} has errors; fix them (see Problems) before checking.`);
      return undefined;
    }
    const loaded = state.loaded;
    // Verdicts belong to the text that was checked: an edit during the check makes them stale.
    const version = doc.version;
    const config = readConfig(doc.uri);
    const key = doc.uri.toString();
    this.running.get(key)?.abort();
    const abort = new AbortController();
    this.running.set(key, abort);
    token?.onCancellationRequested(() => abort.abort());
    const options: RunClaimsOptions = { seed: config.seed, budget: config.budget, ...(only ? { only } : {}) };
    try {
      return await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `DerivLens: checking ${only ? `${only.length} claim${only.length === 1 ? '' : 's'}` : 'claims'} in ${vscode.workspace.asRelativePath(doc.uri)}`,
          cancellable: true,
        },
        async (_progress, cancel) => {
          cancel.onCancellationRequested(() => abort.abort());
          const outcome = await runClaims(await this.client(config), loaded, options, abort.signal);
          this.showBackend(outcome.backend, outcome.device);
          this.store(doc, version, outcome);
          return outcome;
        },
      );
    } catch (e) {
      if (abort.signal.aborted) {
        this.output.appendLine(`check of ${doc.uri.fsPath} cancelled`);
        return undefined;
      }
      if (e instanceof InputError) {
        void vscode.window.showErrorMessage(`DerivLens: ${e.message}`);
        return undefined;
      }
      if (e instanceof ClaimRunFailed || e instanceof WorkerDied) {
        void vscode.window.showErrorMessage(
          `DerivLens: the worker stopped (${(e as Error).message.split('\n')[0]}). It will be restarted on the next check; no claim was marked as passing.`,
        );
        return undefined;
      }
      throw e;
    } finally {
      if (this.running.get(key) === abort) this.running.delete(key);
    }
  }

  private store(doc: vscode.TextDocument, version: number, outcome: FileOutcome): void {
    const key = doc.uri.toString();
    const previous = this.verdicts.get(key);
    let merged = outcome;
    if (previous && previous.version === version) {
      const fresh = new Set(outcome.claims.map((c) => c.claimIndex));
      merged = {
        ...outcome,
        claims: [...previous.outcome.claims.filter((c) => !fresh.has(c.claimIndex)), ...outcome.claims].sort(
          (a, b) => a.claimIndex - b.claimIndex,
        ),
      };
    }
    this.verdicts.set(key, { version, outcome: merged });
    this.notify(doc.uri);
  }

  dispose(): void {
    this.cancel();
    void this.restartWorker();
    this.status.dispose();
    this.changed.dispose();
    this.output.dispose();
  }
}
