/**
 * Extension state: per-document analyses (debounced as you type), the latest verdicts per file,
 * the worker (started lazily, restarted after a crash, stopped on deactivate) and the running check.
 * Everything here translates between VS Code and src/app; no analysis happens in this layer.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type CheckOptions, CheckFailed, type FileOutcome, checkFile } from '../app/check';
import { InputError, type Loaded, analyzeDocument } from '../app/load';
import { SourceFile } from '../language/diagnostics';
import { WorkerClient, WorkerDied } from '../numeric/client';
import type { Analysis } from '../symbolic/analyze';
import { readConfig } from './config';

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
  private worker?: WorkerClient;
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
    const state: DocumentState = { version: doc.version, analysis, file: new SourceFile(doc.uri.fsPath, text), ...(loaded ? { loaded } : {}) };
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

  private client(): WorkerClient {
    if (!this.worker) {
      const workerPath = join(this.extension.extensionPath, 'dist', 'worker.js');
      // Inside Electron, process.execPath is the editor binary; this makes it act as plain Node.
      this.worker = new WorkerClient({ command: process.execPath, args: [workerPath], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    }
    return this.worker;
  }

  async restartWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
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
    const options: CheckOptions = { seed: config.seed, budget: config.budget, ...(only ? { only } : {}) };
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DerivLens: checking ${only ? `${only.length} claim${only.length === 1 ? '' : 's'}` : 'claims'} in ${vscode.workspace.asRelativePath(doc.uri)}`, cancellable: true },
        async (_progress, cancel) => {
          cancel.onCancellationRequested(() => abort.abort());
          const outcome = await checkFile(this.client(), loaded, options, abort.signal);
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
      if (e instanceof CheckFailed || e instanceof WorkerDied) {
        this.worker = undefined;
        void vscode.window.showErrorMessage(`DerivLens: the worker stopped (${(e as Error).message.split('\n')[0]}). It will be restarted on the next check; no claim was marked as passing.`);
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
      merged = { ...outcome, claims: [...previous.outcome.claims.filter((c) => !fresh.has(c.claimIndex)), ...outcome.claims].sort((a, b) => a.claimIndex - b.claimIndex) };
    }
    this.verdicts.set(key, { version, outcome: merged });
    this.notify(doc.uri);
  }

  dispose(): void {
    this.cancel();
    void this.worker?.stop();
    this.changed.dispose();
    this.output.dispose();
  }
}
