/**
 * A real LSP client for tests: starts `node dist/server.js --stdio` and speaks the protocol over its
 * pipes (vscode-languageserver-protocol's client side), recording every notification it is sent.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ClientCapabilities,
  type Diagnostic,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { FileState, InitializationOptions, WorkerStatus } from '../src/server/ext';

export const CAPABILITIES: ClientCapabilities = {
  textDocument: {
    completion: { completionItem: { snippetSupport: true } },
    publishDiagnostics: { relatedInformation: true },
  },
  workspace: { codeLens: { refreshSupport: true }, configuration: false },
  window: { workDoneProgress: true },
};

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly states: FileState[] = [];
  readonly workerStatus: WorkerStatus[] = [];
  readonly progress: { token: string | number; value: { kind: string; message?: string; percentage?: number } }[] = [];
  lensRefreshes = 0;
  private readonly waiters: (() => void)[] = [];
  private versions = new Map<string, number>();

  private constructor(readonly child: ChildProcess) {
    this.connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const wake = (): void => this.waiters.splice(0).forEach((w) => w());
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      wake();
    });
    this.connection.onNotification('derivlens/fileState', (s: FileState) => {
      this.states.push(s);
      wake();
    });
    this.connection.onNotification('derivlens/workerStatus', (s: WorkerStatus) => {
      this.workerStatus.push(s);
      wake();
    });
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onNotification('$/progress', (p: LspClient['progress'][number]) => {
      this.progress.push(p);
      wake();
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => {
      this.lensRefreshes++;
      return null;
    });
    this.connection.listen();
  }

  static async start(initializationOptions: InitializationOptions, capabilities: ClientCapabilities = CAPABILITIES): Promise<LspClient> {
    const child = spawn(process.execPath, [resolve('dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const client = new LspClient(child);
    await client.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(resolve('.')).href,
      workspaceFolders: [{ uri: pathToFileURL(resolve('.')).href, name: 'derivlens' }],
      capabilities,
      initializationOptions,
    });
    client.connection.sendNotification('initialized', {});
    return client;
  }

  /** Resolves when `predicate` holds, checked after each notification; fails after `ms`. */
  async until<T>(what: string, predicate: () => T | undefined | false, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  open(uri: string, text: string): void {
    this.versions.set(uri, 1);
    this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'derivlens', version: 1, text } });
  }

  /** Replaces the whole text (a new version). */
  change(uri: string, text: string): number {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  lastState(uri: string): FileState | undefined {
    return this.states.filter((s) => s.uri === uri).pop();
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** Child processes of the server (the worker, when one runs). */
  children(): string[] {
    const r = spawnSync('ps', ['-o', 'args=', '--ppid', String(this.child.pid)], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean);
  }

  async stop(): Promise<void> {
    await this.connection.sendRequest('shutdown').catch(() => undefined);
    this.connection.sendNotification('exit');
    await new Promise<void>((r) => {
      if (this.child.exitCode !== null) return r();
      const t = setTimeout(() => {
        this.child.kill();
        r();
      }, 3000);
      this.child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    this.connection.dispose();
  }
}

export function fileUri(path: string): string {
  return pathToFileURL(resolve(path)).href;
}

/** The position of the `nth` occurrence of `needle` in `text`, plus `delta` characters. */
export function positionOf(text: string, needle: string, nth = 0, delta = 0): { line: number; character: number } {
  let at = -1;
  for (let k = 0; k <= nth; k++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, at + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
