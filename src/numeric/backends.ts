/**
 * Which evaluator the check worker (dist/worker.js, which runs the check driver) uses: the CPU one in
 * its own process, or the Python one (python/evaluator.py, NumPy/JAX/PyTorch, CUDA when present) in a
 * child process. `auto` uses Python only when it reports a GPU. A Python that cannot start is
 * reported once and replaced by the CPU evaluator, so a check never fails for want of an interpreter.
 */
import { type WorkerCommand, WorkerClient } from './client';
import type { InitializeResult, ProgressParams } from './protocol';

export type BackendChoice = 'auto' | 'cpu' | 'python';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'python'];

export interface WorkerPaths {
  /** How to run dist/worker.js: Node (or Electron as Node) and its environment. */
  node: WorkerCommand;
  /** python/evaluator.py of this installation. */
  pythonEvaluator: string;
  /** The interpreter: from a machine-scoped setting or DERIVLENS_PYTHON, never from a workspace. */
  python: string;
  /** Environment of the Python evaluator (DERIVLENS_PY_BACKEND picks torch/jax/numpy). */
  env?: NodeJS.ProcessEnv;
}

export interface ConnectedWorker {
  client: WorkerClient;
  info: InitializeResult;
  /** Why the requested Python worker is not the one running (absent when it is, or for cpu). */
  fallback?: string;
}

/** The check worker with the Python evaluator. */
export function pythonCommand(paths: WorkerPaths): WorkerCommand {
  return {
    command: paths.node.command,
    args: [...paths.node.args, '--evaluator', 'python', '--python', paths.python, '--script', paths.pythonEvaluator],
    env: { ...process.env, ...paths.node.env, ...paths.env },
  };
}

/** Starts and initialises the worker for `choice`. */
export async function connectWorker(
  choice: BackendChoice,
  paths: WorkerPaths,
  onProgress?: (p: ProgressParams) => void,
  silenceLimitMs?: number,
): Promise<ConnectedWorker> {
  const cpu = async (fallback?: string): Promise<ConnectedWorker> => {
    const client = new WorkerClient(paths.node, onProgress, silenceLimitMs);
    return { client, info: await client.start(), ...(fallback ? { fallback } : {}) };
  };
  if (choice === 'cpu') return cpu();
  const client = new WorkerClient(pythonCommand(paths), onProgress, silenceLimitMs);
  let info: InitializeResult;
  try {
    info = await client.start();
  } catch (e) {
    await client.stop();
    const why = (e as Error).message.trim().split('\n').filter(Boolean);
    return cpu(`Python evaluator unavailable (${why.slice(-1)[0] ?? `${paths.python} gave no reason`}); using the CPU evaluator`);
  }
  if (choice === 'auto' && !info.gpu) {
    await client.stop();
    return cpu();
  }
  return { client, info };
}
