/**
 * The check worker: a separate Node process serving the protocol in protocol.ts over stdio, so the
 * extension host and the CLI stay responsive. It runs the check driver (driver/) on an evaluator:
 * the CPU one in this process (`--evaluator cpu`, the default) or the Python one in a child process
 * (`--evaluator python --python PATH`). Bundled to dist/worker.js.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CancellationToken, ErrorCodes, ResponseError, createMessageConnection } from 'vscode-jsonrpc/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { LANCZOS_MIN_DIMENSION, runClaims } from './driver/index';
import type { Evaluator, EvaluatorInfo } from './evaluator/api';
import { CpuEvaluator } from './evaluator/cpu';
import { PythonEvaluator } from './evaluator/python';
import { RecordingEvaluator } from './evaluator/record';
import { type CheckParams, type CheckResult, PROTOCOL_VERSION, checkRequest, initializeRequest, progressNotification } from './protocol';
import { DEFAULT_MEMORY_LIMIT_BYTES, estimateBytes, formatBytes } from './request';

/** Yield to the event loop at least this often, so $/cancelRequest is seen promptly. */
const YIELD_MS = 10;
const PROGRESS_MS = 100;
/** While a check runs, progress is sent at least this often: the client takes a silent worker for a hung one. */
const HEARTBEAT_MS = 1000;

class Cancelled extends Error {}

/** JSON-RPC's RequestCancelled (LSP's value; vscode-jsonrpc 8 does not export it). */
export const REQUEST_CANCELLED = -32800;

export interface WorkerOptions {
  evaluator: 'cpu' | 'python';
  python?: string;
  /** python/evaluator.py of this installation. */
  pythonScript?: string;
}

/** How long the Python evaluator may stay silent during an op before it is taken as hung (tests shorten it). */
function silenceLimitMs(): number {
  const v = Number(process.env['DERIVLENS_EVALUATOR_SILENCE_MS']);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}

export function lanczosMinDimension(): number {
  const v = Number(process.env['DERIVLENS_LANCZOS_MIN_DIM']);
  return Number.isInteger(v) && v > 0 ? v : LANCZOS_MIN_DIMENSION;
}

/**
 * Runs one check on an evaluator; `progress` is throttled here. `result` resolves with the result or
 * rejects with Cancelled as soon as the token fires, whatever the evaluator is doing; `settled`
 * resolves once the driver has really stopped using the evaluator.
 */
export function check(
  params: CheckParams,
  evaluator: Evaluator,
  token: CancellationToken,
  progress: (claim: number, done: number, total: number) => void,
): { result: Promise<CheckResult>; settled: Promise<unknown> } {
  let lastYield = Date.now();
  let lastProgress = 0;
  let latest = { claim: params.claims[0]?.index ?? 0, done: 0, total: 1 };
  const heartbeat = setInterval(() => progress(latest.claim, latest.done, latest.total), HEARTBEAT_MS);
  const cancelled = new Promise<never>((_, reject) => token.onCancellationRequested(() => reject(new Cancelled())));
  cancelled.catch(() => {});
  const run = runClaims(params, evaluator, {
    lanczosMinDimension: lanczosMinDimension(),
    progress: async (claim, done, total) => {
      latest = { claim, done, total };
      const now = Date.now();
      if (now - lastYield >= YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
      if (token.isCancellationRequested) throw new Cancelled();
      if (now - lastProgress >= PROGRESS_MS || done === total) {
        lastProgress = now;
        progress(claim, done, total);
      }
    },
  });
  const settled = run.catch(() => undefined).finally(() => clearInterval(heartbeat));
  return { result: Promise.race([run, cancelled]), settled };
}

function main(): void {
  const { values } = parseArgs({
    options: { evaluator: { type: 'string', default: 'cpu' }, python: { type: 'string' }, script: { type: 'string' } },
  });
  const options: WorkerOptions = {
    evaluator: values.evaluator === 'python' ? 'python' : 'cpu',
    python: values.python ?? 'python3',
    pythonScript: values.script ?? resolve(__dirname, '..', 'python', 'evaluator.py'),
  };
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  let python: PythonEvaluator | undefined;
  let pythonQueue: Promise<unknown> = Promise.resolve();
  connection.onRequest(initializeRequest, async (p) => {
    if (p.protocolVersion !== PROTOCOL_VERSION) {
      throw new ResponseError(ErrorCodes.InvalidParams, `protocol ${p.protocolVersion} requested; this worker speaks ${PROTOCOL_VERSION}`);
    }
    let info: EvaluatorInfo = new CpuEvaluator().info;
    if (options.evaluator === 'python') {
      try {
        python ??= await PythonEvaluator.start(
          { python: options.python!, script: options.pythonScript! },
          (reason) => {
            // The evaluator is part of this worker: without it the worker ends, and the client says why.
            process.stderr.write(`derivlens worker: ${reason}\n`);
            process.exit(3);
          },
          silenceLimitMs(),
        );
      } catch (e) {
        throw new ResponseError(ErrorCodes.InternalError, (e as Error).message);
      }
      info = python.info;
    }
    return { protocolVersion: PROTOCOL_VERSION, ...info, ...(python?.pid ? { evaluatorPid: python.pid } : {}) };
  });
  connection.onRequest(checkRequest, async (params, token) => {
    const need = estimateBytes(params);
    const limit = params.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    if (need > limit)
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `this check needs about ${formatBytes(need)}, over the limit of ${formatBytes(limit)}`,
      );
    // DERIVLENS_RECORD=file.jsonl keeps every evaluator op and answer (golden vectors, python/replay.py).
    const record = process.env['DERIVLENS_RECORD'];
    const start = (evaluator: Evaluator) =>
      check(params, record ? RecordingEvaluator.toFile(evaluator, record) : evaluator, token, (claim, done, total) =>
        connection.sendNotification(progressNotification, { token: params.progressToken, claim, done, total }),
      );
    const answer = (result: Promise<CheckResult>): Promise<CheckResult> =>
      result.catch((e: unknown) => {
        if (e instanceof Cancelled) throw new ResponseError(REQUEST_CANCELLED, 'cancelled');
        throw new ResponseError(ErrorCodes.InternalError, `worker error: ${(e as Error).message}`);
      });
    if (!python) {
      // Each check gets its own CPU evaluator: checks of several files run side by side.
      const cpu = new CpuEvaluator(() => {
        if (token.isCancellationRequested) throw new Cancelled();
      });
      return answer(start(cpu).result);
    }
    // The Python evaluator holds one program at a time: checks take turns, each until its driver
    // has really stopped (a cancelled check answers at once but may still be finishing an op).
    const evaluator = python;
    const turn = pythonQueue.then(() => {
      if (token.isCancellationRequested) throw new Cancelled();
      token.onCancellationRequested(() => evaluator.cancelInFlight());
      return start(evaluator);
    });
    pythonQueue = turn.then((t) => t.settled).catch(() => undefined);
    const cancelledWhileQueued = new Promise<never>((_, reject) => token.onCancellationRequested(() => reject(new Cancelled())));
    cancelledWhileQueued.catch(() => {});
    return answer(Promise.race([turn.then((t) => t.result), cancelledWhileQueued]));
  });
  connection.onClose(() => {
    void python?.close();
    process.exit(0);
  });
  connection.listen();
}

if (require.main === module) main();
