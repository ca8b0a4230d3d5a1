/**
 * The client side of the language server: starts it, pushes settings (machine-scoped python,
 * workspace trust), mirrors each file's claim states from derivlens/fileState for Test Explorer
 * and the report, and runs checks under a cancellable progress notification ("3/8 claims").
 * Everything here translates between VS Code and the server; no analysis happens in this layer.
 */
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, ResponseError, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import {
  type CheckResult,
  type FileState,
  type InitializationOptions,
  type WorkerStatus,
  cancelNotification,
  checkRequest,
  fileStateNotification,
  restartWorkerRequest,
  workerStatusNotification,
} from '../server/ext';
import { readSettings } from './config';
import { renderHoverMath } from './hoverMath';

export const REPORT_SCHEME = 'derivlens-report';

export class Ctx implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('DerivLens', { log: true });
  readonly client: LanguageClient;
  private readonly states = new Map<string, FileState>();
  private readonly changed = new vscode.EventEmitter<FileState>();
  /** Fires when the server sends a file's claim states. */
  readonly onDidChangeFile = this.changed.event;
  private readonly status = new vscode.EventEmitter<WorkerStatus>();
  readonly onWorkerStatus = this.status.event;
  /** Checks started from this window, by file: their progress notifications follow fileState. */
  private readonly progress = new Map<string, (state: FileState) => void>();

  constructor(readonly extension: vscode.ExtensionContext) {
    const module = extension.asAbsolutePath('dist/server.js');
    const server: ServerOptions = { run: { module, transport: TransportKind.stdio }, debug: { module, transport: TransportKind.stdio } };
    const initializationOptions: InitializationOptions = {
      settings: readSettings(),
      clientCommands: ['derivlens.checkClaim', 'derivlens.showReport'],
      reportScheme: REPORT_SCHEME,
    };
    const options: LanguageClientOptions = {
      documentSelector: [{ language: 'derivlens' }],
      outputChannel: this.output,
      initializationOptions,
      middleware: {
        provideHover: async (doc, position, token, next) => renderHoverMath(await next(doc, position, token)),
      },
    };
    this.client = new LanguageClient('derivlens', 'DerivLens', server, options);
  }

  async start(): Promise<void> {
    this.extension.subscriptions.push(
      this.client.onNotification(fileStateNotification, (s) => {
        this.states.set(s.uri, s);
        this.progress.get(s.uri)?.(s);
        this.changed.fire(s);
      }),
      this.client.onNotification(workerStatusNotification, (s) => this.status.fire(s)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('derivlens')) this.pushSettings();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.pushSettings()),
    );
    await this.client.start();
  }

  private pushSettings(): void {
    void this.client.sendNotification('workspace/didChangeConfiguration', { settings: { derivlens: readSettings() } });
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  stateOf(uri: vscode.Uri): FileState | undefined {
    return this.states.get(uri.toString());
  }

  /**
   * Checks claims of a document (all, or `claims`; or one claim at its counterexample) under a
   * cancellable notification that counts claims as they are decided. Resolves with the result, or
   * undefined after telling the user why nothing was checked.
   */
  async check(
    uri: vscode.Uri,
    claims?: number[],
    options: { atCounterexample?: number; token?: vscode.CancellationToken; quiet?: boolean } = {},
  ): Promise<CheckResult | undefined> {
    if (!this.trusted) {
      void vscode.window.showWarningMessage('DerivLens checks claims only in a trusted workspace (no worker process starts otherwise).');
      return undefined;
    }
    const key = uri.toString();
    const what =
      options.atCounterexample !== undefined
        ? 'a claim at its counterexample'
        : claims
          ? `${claims.length} claim${claims.length === 1 ? '' : 's'}`
          : 'claims';
    const run = async (progress?: vscode.Progress<{ message?: string; increment?: number }>, cancel?: vscode.CancellationToken) => {
      const source = new vscode.CancellationTokenSource();
      cancel?.onCancellationRequested(() => source.cancel());
      options.token?.onCancellationRequested(() => source.cancel());
      let reported = 0;
      this.progress.set(key, (s) => {
        if (!s.run || !progress) return;
        const fraction = s.run.done / Math.max(1, s.run.total);
        progress.report({ message: `${s.run.done}/${s.run.total} claims`, increment: 100 * (fraction - reported) });
        reported = fraction;
      });
      try {
        return await this.client.sendRequest(
          checkRequest,
          {
            uri: key,
            ...(claims ? { claims } : {}),
            ...(options.atCounterexample !== undefined ? { atCounterexample: options.atCounterexample } : {}),
          },
          source.token,
        );
      } finally {
        this.progress.delete(key);
        source.dispose();
      }
    };
    try {
      return options.quiet
        ? await run()
        : await vscode.window.withProgress(
            {
              location: vscode.ProgressLocation.Notification,
              title: `DerivLens: checking ${what} in ${vscode.workspace.asRelativePath(uri)}`,
              cancellable: true,
            },
            run,
          );
    } catch (e) {
      if (e instanceof ResponseError) {
        if (e.code === -32800) {
          this.output.appendLine(`check of ${uri.fsPath} cancelled`);
          return undefined;
        }
        void vscode.window.showErrorMessage(`DerivLens: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  cancel(uri?: vscode.Uri): void {
    void this.client.sendNotification(cancelNotification, uri ? { uri: uri.toString() } : {});
  }

  async restartWorker(): Promise<void> {
    await this.client.sendRequest(restartWorkerRequest);
  }

  /** Claims queued or running in any file. */
  get pending(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.claims.filter((c) => c.status === 'queued' || c.status === 'running').length;
    return n;
  }

  dispose(): void {
    this.changed.dispose();
    this.status.dispose();
    this.output.dispose();
  }
}
