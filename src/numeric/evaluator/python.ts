/**
 * The Python evaluator (python/evaluator.py: NumPy, JAX or PyTorch, CUDA when present), reached over
 * JSON-RPC on its stdio. Each op is one request; the evaluator answers cancellation from a reader
 * thread and sends a heartbeat every second while an op runs. If it exits, hangs (silent for
 * `silenceLimitMs` during an op) or writes garbage, `onDeath` is told why and every pending op fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  CancellationTokenSource,
  type MessageConnection,
  NotificationType,
  RequestType,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import { type Evaluator, type EvaluatorInfo, type OpAnswer, type OpArgs, type OpName, SamplingFailed } from './api';
import type { SamplingSpec } from '../protocol';
import { type SamplingFailure, samplingFailure } from '../sampling';
import { decodeNumbers, encodeNumbers } from './wire';

/** Error code the Python evaluator answers when the domain cannot be sampled. */
export const SAMPLING_FAILED = -32001;
export const EVALUATOR_PROTOCOL_VERSION = 2;

const heartbeat = new NotificationType<Record<string, never>>('evaluator/heartbeat');

export class EvaluatorDied extends Error {}

export interface PythonCommand {
  python: string;
  script: string;
  env?: NodeJS.ProcessEnv;
}

export class PythonEvaluator implements Evaluator {
  /** The loaded program's spec lists (the file's, then per-claim domains), to word sampling failures. */
  private domains: SamplingSpec[][] = [];

  private constructor(
    readonly info: EvaluatorInfo,
    private readonly child: ChildProcess,
    private readonly connection: MessageConnection,
    private readonly pending: Set<(e: Error) => void>,
    private readonly state: { dead?: string; lastHeard: number; inFlight: CancellationTokenSource[] },
  ) {}

  /** Starts the evaluator and waits for its hello; rejects with the reason (its stderr) if it cannot start. */
  static async start(cmd: PythonCommand, onDeath: (reason: string) => void, silenceLimitMs = 30_000): Promise<PythonEvaluator> {
    const child = spawn(cmd.python, [cmd.script], { stdio: ['pipe', 'pipe', 'pipe'], ...(cmd.env ? { env: cmd.env } : {}) });
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 50) stderr.shift();
      process.stderr.write(d.toString());
    });
    child.stdin!.on('error', () => {});
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const pending = new Set<(e: Error) => void>();
    const state: { dead?: string; lastHeard: number; inFlight: CancellationTokenSource[] } = { lastHeard: Date.now(), inFlight: [] };
    const tail = (): string => stderr.join('').trim().split('\n').slice(-5).join('\n');
    let watchdog: NodeJS.Timeout | undefined;
    const die = (reason: string): void => {
      if (state.dead) return;
      state.dead = `${reason}${tail() ? `\n${tail()}` : ''}`;
      clearInterval(watchdog);
      for (const reject of pending) reject(new EvaluatorDied(state.dead));
      pending.clear();
      connection.dispose();
      onDeath(state.dead);
    };
    child.on('exit', (code, signal) =>
      die(signal ? `the Python evaluator was killed by ${signal}` : `the Python evaluator exited with code ${code}`),
    );
    child.on('error', (e) => die(`the Python evaluator could not start: ${e.message}`));
    connection.onError(([e]) => {
      die(`the Python evaluator sent an unreadable message (${e.message})`);
      child.kill('SIGKILL');
    });
    connection.onNotification(heartbeat, () => (state.lastHeard = Date.now()));
    watchdog = setInterval(
      () => {
        if (pending.size && Date.now() - state.lastHeard > silenceLimitMs) {
          die(`the Python evaluator stopped responding (no message for ${(silenceLimitMs / 1000).toFixed(1)} s) and was stopped`);
          child.kill('SIGKILL');
        }
      },
      Math.min(1000, silenceLimitMs / 4),
    );
    watchdog.unref();
    connection.listen();
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned) throw new EvaluatorDied(state.dead ?? `the Python evaluator could not start: ${cmd.python}`);
    const evaluator = new PythonEvaluator({ backend: '', device: '', gpu: false }, child, connection, pending, state);
    const hello = (await evaluator.request('initialize', { protocolVersion: EVALUATOR_PROTOCOL_VERSION })) as EvaluatorInfo & {
      protocolVersion: number;
    };
    if (hello.protocolVersion !== EVALUATOR_PROTOCOL_VERSION) {
      child.kill();
      throw new EvaluatorDied(`the Python evaluator speaks protocol ${hello.protocolVersion}, not ${EVALUATOR_PROTOCOL_VERSION}`);
    }
    Object.assign(evaluator.info, {
      backend: hello.backend,
      device: hello.device,
      gpu: hello.gpu,
      ...(hello.iterativeEigenFrom ? { iterativeEigenFrom: hello.iterativeEigenFrom } : {}),
    });
    return evaluator;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private request(method: string, args: unknown): Promise<unknown> {
    if (this.state.dead) return Promise.reject(new EvaluatorDied(this.state.dead));
    const source = new CancellationTokenSource();
    this.state.inFlight.push(source);
    this.state.lastHeard = Date.now();
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      this.connection
        .sendRequest(new RequestType<unknown, unknown, unknown>(`evaluator/${method}`), encodeNumbers(args), source.token)
        .then(
          (r) => resolve(decodeNumbers(r)),
          (e: unknown) => {
            if (e instanceof ResponseError && e.code === SAMPLING_FAILED) reject(this.samplingFailed(e.data));
            else reject(this.state.dead ? new EvaluatorDied(this.state.dead) : e);
          },
        )
        .finally(() => {
          this.pending.delete(reject);
          this.state.inFlight = this.state.inFlight.filter((s) => s !== source);
          source.dispose();
          this.state.lastHeard = Date.now();
        });
    });
  }

  /** The evaluator names the spec and why; the words are the driver's (samplingFailure). */
  private samplingFailed(data: unknown): SamplingFailed {
    const { name, reason, domain } = (data ?? {}) as { name?: string; reason?: SamplingFailure; domain?: number };
    const spec = this.domains[domain ?? 0]?.find((s) => s.name === name);
    return new SamplingFailed(spec && reason ? samplingFailure(spec, reason) : `could not sample ${name ?? 'the domain'}`);
  }

  run<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpAnswer<K>> {
    if (op === 'load') {
      const p = (args as OpArgs<'load'>).program;
      this.domains = [p.sampling, ...(p.domains ?? [])];
    }
    return this.request(op, args) as Promise<OpAnswer<K>>;
  }

  /** Asks the evaluator to stop the op it is running (it answers that op with a cancellation error). */
  cancelInFlight(): void {
    for (const s of this.state.inFlight) s.cancel();
  }

  async close(): Promise<void> {
    this.state.dead ??= 'closed';
    this.connection.dispose();
    this.child.kill();
  }
}
