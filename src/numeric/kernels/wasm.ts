/**
 * The WebAssembly kernels on this thread: compiled and instantiated synchronously on first use, over
 * one shared memory (helper threads run the same module over it, see pool.ts). Operands are copied
 * into a stack-like arena in that memory for each call and results copied out.
 */
import bytes from './wasm-bytes';

/**
 * The module's exports (see assembly/kernels.ts for each contract); pointers are byte offsets,
 * sizes and leading dimensions in elements, flags 0 or 1.
 */
export interface KernelExports {
  gemmWorkBytes(m: number, n: number, k: number): number;
  /** transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work */
  gemm(...args: number[]): void;
  /** transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, count, work */
  gemmBatch(...args: number[]): void;
  /** trans, n, k, alpha, a, lda, beta, c, ldc, j0, j1, work */
  syrkColumns(...args: number[]): void;
  mirrorLower(n: number, c: number, ldc: number): void;
  gemv(trans: number, m: number, n: number, alpha: number, a: number, lda: number, x: number, beta: number, y: number): void;
  tridiagonalWorkBytes(n: number): number;
  tridiagonalize(n: number, a: number, lda: number, d: number, e: number, tau: number, work: number): void;
  applyReflectors(n: number, a: number, lda: number, tau: number, z: number, ldz: number, k: number): void;
}

/** The kernels a helper thread can run (by index in a record); each takes its workspace last. */
export const SPLITTABLE = ['gemm', 'gemmBatch', 'syrkColumns'] as const;
export type Splittable = (typeof SPLITTABLE)[number];

const PAGE_BYTES = 65536;
/** The module declares at most 65536 pages (4 GiB): address space only, pages are committed as used. */
const MAX_PAGES = 65536;
/** Arena allocations are aligned to cache lines. */
const ALIGN = 64;

interface Runtime {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: KernelExports;
}

let runtime: Runtime | undefined;

export function wasmRuntime(): Runtime {
  if (!runtime) {
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    runtime = { module, memory, exports: instance.exports as unknown as KernelExports };
  }
  return runtime;
}

export function kernels(): KernelExports {
  return wasmRuntime().exports;
}

let available: boolean | undefined;

/**
 * Whether the WebAssembly kernels can run here (a host without WebAssembly, or that refuses the
 * shared memory, gets the TypeScript reference everywhere: the same bits for the products).
 * DERIVLENS_KERNELS=typescript turns them off (tests of that path, debugging).
 */
export function wasmAvailable(): boolean {
  if (available === undefined && process.env.DERIVLENS_KERNELS === 'typescript') available = false;
  if (available === undefined) {
    try {
      wasmRuntime();
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** The WebAssembly memory cannot hold a call's operands (over 4 GiB, or the host refused to grow it). */
export class KernelMemoryError extends RangeError {}

/** Bump allocator over the shared memory; `withArena` frees what its callback allocated. */
export class Arena {
  private top = ALIGN;
  private view: Float64Array | undefined;

  /** Byte offset of n doubles (uninitialised), growing the memory when needed. */
  alloc(n: number): number {
    const at = this.top;
    const end = at + Math.ceil((n * 8) / ALIGN) * ALIGN;
    const { memory } = wasmRuntime();
    const have = memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      if (have / PAGE_BYTES + pages > MAX_PAGES)
        throw new RangeError(`kernel operands need ${end} bytes, over the 4 GiB WebAssembly limit`);
      memory.grow(pages);
    }
    this.top = end;
    return at;
  }

  /** Byte offset of a copy of src. */
  put(src: ArrayLike<number>): number {
    const at = this.alloc(src.length);
    this.f64().set(src, at / 8);
    return at;
  }

  /**
   * Byte offset of the first n doubles of src in the memory: its resident copy (see withResident)
   * when it has one, else a fresh copy.
   */
  operand(src: Float64Array, n: number): number {
    const at = resident.get(src);
    return at !== undefined && src.length >= n ? at : this.put(src.subarray(0, n));
  }

  /** A copy of n doubles from byte offset at. */
  take(at: number, n: number): Float64Array {
    return this.f64().slice(at / 8, at / 8 + n);
  }

  /** The whole memory as doubles; valid until the next alloc that grows the memory. */
  f64(): Float64Array {
    const buffer = wasmRuntime().memory.buffer;
    if (!this.view || this.view.buffer !== buffer) this.view = new Float64Array(buffer);
    return this.view;
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }
}

export const arena = new Arena();

/** Arrays copied into the memory for the length of a withResident call, by identity: their byte offsets. */
const resident = new Map<Float64Array, number>();

/** Arrays shorter than this are not made resident: copying them per call is cheap. */
const RESIDENT_MIN_LENGTH = 4096;

/**
 * Runs fn with the large arrays among `arrays` copied into the memory once, so that the products
 * fn makes with them read that copy instead of copying them again at every call (a point's data
 * matrix is an operand of a dozen products per evaluation). The arrays must not change during fn.
 */
export function withResident<T>(arrays: Iterable<Float64Array>, fn: () => T): T {
  if (!wasmAvailable()) return fn();
  const mark = arena.mark();
  const added: Float64Array[] = [];
  try {
    for (const a of arrays) {
      if (a.length < RESIDENT_MIN_LENGTH || resident.has(a)) continue;
      try {
        resident.set(a, arena.put(a));
      } catch (e) {
        // Memory that cannot grow only costs the copies this would have saved.
        if (e instanceof RangeError) break;
        throw e;
      }
      added.push(a);
    }
    return fn();
  } finally {
    for (const a of added) resident.delete(a);
    arena.release(mark);
  }
}

/** Forgets a resident copy of an array about to be written (a result stored into an operand). */
export function invalidateResident(a: Float64Array): void {
  resident.delete(a);
}

export function withArena<T>(fn: (arena: Arena) => T): T {
  const mark = arena.mark();
  try {
    return fn(arena);
  } finally {
    arena.release(mark);
  }
}
