/**
 * Helper threads for large kernel calls. Each helper (a worker_threads Worker) instantiates the same
 * WebAssembly module over the same shared memory and sleeps in Atomics.wait. A split call is a list
 * of independent kernel calls (column or row blocks of a product, ranges of a batch) written to a
 * shared record table; the calling thread and the helpers take records from one atomic counter until
 * none is left, and the caller blocks until every record is done. Taking records dynamically means a
 * helper that is still starting, or busy elsewhere on the machine, only makes the caller do more of
 * the work itself: the result never depends on which thread ran which record, and the call stays
 * synchronous.
 *
 * No helper is started where threads are unavailable (Node's permission model without
 * --allow-worker, or a failed start); every call then runs on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type KernelExports, SPLITTABLE, type Splittable, kernels, wasmRuntime, withArena } from './wasm';

/** At most this many threads in all (the caller and helpers). */
const MAX_THREADS = 8;
/** Records per split call: enough chunks to balance two to eight threads. */
const MAX_RECORDS = 64;
/** Record slots: kernel index, argument count, arguments (the last, the workspace, is per thread). */
const RECORD = 24;

// Control words (Int32 indices).
const SEQ = 0; // bumped for each split call; helpers wait on it
const NEXT = 1; // next record to take
const COUNT = 2; // records in the current call
const DONE = 3; // records finished
const ERROR = 4; // set when a helper's kernel threw
const CONTROL_WORDS = 8;
/** NEXT between calls, so a late helper's fetch-add can never take a record of the next call. */
const IDLE = 1 << 30;

const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, records, works, names, id } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((name) => kernels[name]);
const ctl = new Int32Array(control);
const rec = new Float64Array(records);
const work = new Float64Array(works);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  for (;;) {
    const i = Atomics.add(ctl, ${NEXT}, 1);
    if (i >= Atomics.load(ctl, ${COUNT})) break;
    const o = i * ${RECORD};
    const args = Array.from(rec.subarray(o + 2, o + 2 + rec[o + 1]));
    args[args.length - 1] = work[id];
    try {
      fns[rec[o]](...args);
    } catch {
      Atomics.store(ctl, ${ERROR}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

interface Pool {
  control: Int32Array;
  records: Float64Array;
  /** Workspace byte offset for each thread (0: the caller), set per call. */
  works: Float64Array;
  helpers: Worker[];
}

let requestedThreads = Number(process.env.DERIVLENS_KERNEL_THREADS) || Math.min(availableParallelism(), MAX_THREADS);
let pool: Pool | undefined;

/** Threads a split call may use (1 = the caller only); helpers start on the first split call. */
export function kernelThreads(): number {
  return Math.max(1, Math.min(requestedThreads, MAX_THREADS));
}

/** Sets how many threads split calls use (benchmarks, tests): 1 keeps calls on the caller; helpers, once started, stay. */
export function setKernelThreads(n: number): void {
  requestedThreads = Math.max(1, Math.min(Number.isFinite(n) ? Math.floor(n) : MAX_THREADS, MAX_THREADS));
}

/** Helper threads started so far (tests). */
export function helperCount(): number {
  return pool?.helpers.length ?? 0;
}

function threadsAllowed(): boolean {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  return !permission || permission.has('worker');
}

let threadsFailed = !threadsAllowed();

/** The pool with helpers for up to kernelThreads() threads in all, started as needed. */
function getPool(): Pool {
  if (!pool) {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    control[NEXT] = IDLE;
    pool = {
      control,
      records: new Float64Array(new SharedArrayBuffer(MAX_RECORDS * RECORD * 8)),
      works: new Float64Array(new SharedArrayBuffer(MAX_THREADS * 8)),
      helpers: [],
    };
  }
  const { module, memory } = wasmRuntime();
  while (!threadsFailed && pool.helpers.length + 1 < kernelThreads()) {
    const workerData = {
      module,
      memory,
      control: pool.control.buffer,
      records: pool.records.buffer,
      works: pool.works.buffer,
      names: SPLITTABLE,
      id: pool.helpers.length + 1,
    };
    try {
      const worker = new Worker(HELPER_SOURCE, { eval: true, workerData });
      // A helper that fails to start takes no records; the caller does them.
      worker.on('error', () => undefined);
      worker.unref();
      pool.helpers.push(worker);
    } catch {
      threadsFailed = true;
    }
  }
  return pool;
}

/**
 * Runs fn once per argument list (each without the trailing workspace argument), spread over the
 * kernel threads; workBytes is the workspace one call needs. Blocks until all are done.
 */
export function runSplit(fn: Splittable, argLists: number[][], workBytes: number): void {
  const ex: KernelExports = kernels();
  const threads = argLists.length > 1 ? kernelThreads() : 1;
  withArena((arena) => {
    if (threads === 1) {
      const work = arena.alloc(workBytes / 8);
      for (const args of argLists) ex[fn](...args, work);
      return;
    }
    const p = getPool();
    const ctl = p.control;
    // Every helper may take a record (even one started for an earlier, larger setting), so each gets a workspace.
    for (let t = 0; t <= p.helpers.length; t++) p.works[t] = arena.alloc(workBytes / 8);
    const index = SPLITTABLE.indexOf(fn);
    for (let start = 0; start < argLists.length; start += MAX_RECORDS) {
      const batch = argLists.slice(start, start + MAX_RECORDS);
      batch.forEach((args, i) => {
        const o = i * RECORD;
        p.records[o] = index;
        p.records[o + 1] = args.length + 1;
        p.records.set(args, o + 2);
      });
      Atomics.store(ctl, COUNT, batch.length);
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, ERROR, 0);
      Atomics.store(ctl, NEXT, 0);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      const work = p.works[0]!;
      for (;;) {
        const i = Atomics.add(ctl, NEXT, 1);
        if (i >= batch.length) break;
        ex[fn](...batch[i]!, work);
        Atomics.add(ctl, DONE, 1);
      }
      for (let done = Atomics.load(ctl, DONE); done < batch.length; done = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, done);
      Atomics.store(ctl, NEXT, IDLE);
      if (Atomics.load(ctl, ERROR)) throw new Error(`a kernel helper thread failed in ${fn}`);
    }
  });
}
