/**
 * Which worker runs a check: the bundled Node CPU worker, or the Python worker (python/worker.py,
 * NumPy/JAX/PyTorch, CUDA when present) that speaks the same protocol. `auto` uses Python only when
 * it reports a GPU. A Python that cannot start is reported once and replaced by the CPU worker, so
 * a check never fails for want of an interpreter.
 */
import { type WorkerCommand, WorkerClient } from './client';
import type { InitializeResult, ProgressParams } from './protocol';

export type BackendChoice = 'auto' | 'cpu' | 'python';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'python'];

export interface WorkerPaths {
  /** How to run dist/worker.js: Node (or Electron as Node) and its environment. */
  node: WorkerCommand;
  /** python/worker.py of this installation. */
  pythonWorker: string;
  /** The interpreter: from a machine-scoped setting or DERIVLENS_PYTHON, never from a workspace. */
  python: string;
  /** Environment of the Python worker (DERIVLENS_PY_BACKEND picks torch/jax/numpy). */
  env?: NodeJS.ProcessEnv;
}

export interface ConnectedWorker {
  client: WorkerClient;
  info: InitializeResult;
  /** Why the requested Python worker is not the one running (absent when it is, or for cpu). */
  fallback?: string;
}

export function pythonCommand(paths: WorkerPaths): WorkerCommand {
  return { command: paths.python, args: [paths.pythonWorker], env: { ...process.env, ...paths.env } };
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
    return cpu(`Python worker unavailable (${why.slice(-1)[0] ?? `${paths.python} gave no reason`}); using the CPU worker`);
  }
  if (choice === 'auto' && !info.gpu) {
    await client.stop();
    return cpu();
  }
  return { client, info };
}
