/**
 * Starts a worker process and talks to it. If the worker dies, every pending request fails with
 * WorkerDied (never a silent success); the next request starts a fresh worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CancellationTokenSource, type MessageConnection, createMessageConnection } from 'vscode-jsonrpc/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  PROTOCOL_VERSION,
  type CheckParams,
  type CheckResult,
  type InitializeResult,
  type ProgressParams,
  checkRequest,
  initializeRequest,
  progressNotification,
} from './protocol';

export class WorkerDied extends Error {}

export interface WorkerCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export class WorkerClient {
  private child?: ChildProcess;
  private connection?: MessageConnection;
  private info?: InitializeResult;
  private exitReason?: string;
  private readonly stderr: string[] = [];
  private readonly onDeath = new Set<(reason: string) => void>();

  private lastHeard = 0;
  private hangReason?: string;

  constructor(
    private readonly worker: WorkerCommand,
    private readonly onProgress: (p: ProgressParams) => void = () => {},
    /**
     * A worker silent this long while a request is pending is taken as hung and killed. Workers
     * send progress at least every 100 ms while computing, so this only trips on a real hang.
     */
    private readonly silenceLimitMs = 30_000,
  ) {}

  /** Starts the worker if none is running; answers what it runs on. */
  start(): Promise<InitializeResult> {
    // Concurrent callers share one start: a second process would orphan the first.
    if (!this.starting) {
      this.starting = this.spawnWorker();
      this.starting.then(
        () => (this.starting = undefined),
        () => (this.starting = undefined),
      );
    }
    return this.starting;
  }

  private starting?: Promise<InitializeResult>;

  private async spawnWorker(): Promise<InitializeResult> {
    if (this.connection && this.info) return this.info;
    this.exitReason = undefined;
    const child = spawn(this.worker.command, this.worker.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(this.worker.env ? { env: this.worker.env } : {}),
    });
    this.child = child;
    // A worker that never started (or died) closes its pipes; the exit/error handlers below report it.
    child.stdin!.on('error', () => {});
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr.push(d.toString());
      if (this.stderr.length > 50) this.stderr.shift();
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection = connection;
    connection.onNotification(progressNotification, (p) => {
      this.lastHeard = Date.now();
      this.onProgress(p);
    });
    const died = (exit: string): void => {
      if (this.child !== child) return;
      const reason = this.hangReason ?? exit;
      this.hangReason = undefined;
      this.exitReason = reason;
      this.child = undefined;
      this.connection = undefined;
      this.info = undefined;
      connection.dispose();
      for (const f of this.onDeath) f(reason);
    };
    child.on('exit', (code, signal) => died(signal ? `the worker was killed by ${signal}` : `the worker exited with code ${code}`));
    child.on('error', (e) => died(`the worker could not start: ${e.message}`));
    connection.listen();
    // Nothing is written before the process exists: a missing interpreter fails here, cleanly.
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned) throw new WorkerDied(this.exitReason ?? `the worker could not start: ${this.worker.command}`);
    this.info = await this.guard(connection.sendRequest(initializeRequest, { protocolVersion: PROTOCOL_VERSION }));
    return this.info;
  }

  /** Runs a check; rejects with WorkerDied if the process goes away meanwhile. */
  async check(params: CheckParams, cancel?: AbortSignal): Promise<CheckResult> {
    await this.start();
    const source = new CancellationTokenSource();
    const onAbort = (): void => source.cancel();
    cancel?.addEventListener('abort', onAbort);
    try {
      return await this.guard(this.connection!.sendRequest(checkRequest, params, source.token));
    } finally {
      cancel?.removeEventListener('abort', onAbort);
      source.dispose();
    }
  }

  private guard<T>(request: Promise<T>): Promise<T> {
    this.lastHeard = Date.now();
    const child = this.child;
    const watchdog = setInterval(
      () => {
        if (!child || this.child !== child || Date.now() - this.lastHeard <= this.silenceLimitMs) return;
        this.hangReason = `the worker stopped responding (no message for ${(this.silenceLimitMs / 1000).toFixed(1)} s) and was stopped`;
        child.kill('SIGKILL');
      },
      Math.min(1000, this.silenceLimitMs / 4),
    );
    return new Promise<T>((resolve, reject) => {
      const onDeath = (reason: string): void => reject(new WorkerDied(`${reason}${this.stderrTail()}`));
      this.onDeath.add(onDeath);
      if (this.exitReason && !this.child) onDeath(this.exitReason);
      request.then(resolve, reject).finally(() => {
        this.onDeath.delete(onDeath);
        clearInterval(watchdog);
      });
    });
  }

  private stderrTail(): string {
    const tail = this.stderr.join('').trim().split('\n').slice(-5).join('\n');
    return tail ? `\n${tail}` : '';
  }

  /** The worker's process id (tests kill it to check crash handling). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    this.info = undefined;
    child.kill();
  }
}
