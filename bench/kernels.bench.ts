/**
 * The float64 kernels (src/numeric/kernels) against the pure-TypeScript reference and NumPy
 * (OpenBLAS/LAPACK, all cores) on the same sizes in the same run: GEMM and SYRK GFLOP/s (one
 * thread and split over the kernel threads), where the WebAssembly kernels and the thread split
 * start to pay, λ_min of a symmetric d×d matrix (tridiagonalisation + bisection + inverse
 * iteration) against the full decomposition and numpy.linalg.eigvalsh/eigh, and the spectral norm
 * of a data matrix (Lanczos, cold and warm-started) against the Gram-matrix eigensolve and NumPy.
 * Times are the best of several runs after a warm-up.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { gemmWasm, syrkWasm } from '../src/numeric/kernels/blas';
import { smallestEigenpairs } from '../src/numeric/kernels/eigen';
import { matrixExtremeEigenpair } from '../src/numeric/kernels/lanczos';
import { kernelThreads, setKernelThreads } from '../src/numeric/kernels/pool';
import { gemmReference, syrkReference } from '../src/numeric/kernels/reference';
import { spectralNorm } from '../src/numeric/kernels/spectral';
import { spectralNorm as gramSpectralNorm, symmetricEigen } from '../src/numeric/linalg';
import { Stream, streamKey } from '../src/numeric/rng';

const PYTHON = process.env['DERIVLENS_PYTHON'] || 'python3';

function gaussian(n: number, seed: number): Float64Array {
  const rng = new Stream(streamKey(seed));
  return Float64Array.from({ length: n }, () => rng.normal());
}

function symmetric(n: number, seed: number): Float64Array {
  const a = gaussian(n * n, seed);
  for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) a[j + i * n] = a[i + j * n]!;
  return a;
}

/** Best wall time in seconds over `reps` runs after one warm-up (none when reps is 1). */
function best(reps: number, fn: () => void): number {
  if (reps > 1) fn();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

/** Repetitions so that a call of about `flops` takes ~0.3 s in all. */
const repsFor = (flops: number, rate: number) => Math.max(1, Math.min(50, Math.round((0.3 * rate) / flops)));

const NUMPY = `
import json, sys, time
import numpy as np
cfg = json.loads(sys.argv[1])
def best(reps, fn):
    fn()
    t = float('inf')
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); t = min(t, time.perf_counter() - t0)
    return t
rng = np.random.default_rng(1)
out = {'numpy': np.__version__, 'gemm': {}, 'syrk': {}, 'eigvalsh': {}, 'eigh': {}, 'norm2': {}}
for n in cfg['gemm']:
    a = rng.standard_normal((n, n)); b = rng.standard_normal((n, n))
    out['gemm'][str(n)] = best(max(3, int(2e9 / (2 * n**3))), lambda: a @ b)
for rows, cols in cfg['syrk']:
    a = rng.standard_normal((rows, cols))
    out['syrk'][f'{rows}x{cols}'] = best(5, lambda: a.T @ a)
for d in cfg['eigen']:
    s = rng.standard_normal((d, d)); s = s + s.T
    out['eigvalsh'][str(d)] = best(3, lambda: np.linalg.eigvalsh(s))
    out['eigh'][str(d)] = best(3, lambda: np.linalg.eigh(s))
for rows, cols in cfg['norm']:
    a = rng.standard_normal((rows, cols))
    out['norm2'][f'{rows}x{cols}'] = best(3, lambda: np.linalg.norm(a, 2))
print(json.dumps(out))
`;

const GEMM_SIZES = [64, 128, 256, 512, 1024];
const SYRK_SHAPES: [number, number][] = [
  [1024, 64],
  [1024, 256],
  [4096, 256],
];
const EIGEN_SIZES = [64, 256, 1024];
const NORM_SHAPES: [number, number][] = [
  [256, 64],
  [1024, 64],
  [1024, 1024],
];

interface NumpyTimes {
  numpy: string;
  gemm: Record<string, number>;
  syrk: Record<string, number>;
  eigvalsh: Record<string, number>;
  eigh: Record<string, number>;
  norm2: Record<string, number>;
}

function numpyTimes(): NumpyTimes | undefined {
  const cfg = { gemm: GEMM_SIZES, syrk: SYRK_SHAPES, eigen: EIGEN_SIZES, norm: NORM_SHAPES };
  const r = spawnSync(PYTHON, ['-c', NUMPY, JSON.stringify(cfg)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`(NumPy unavailable: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return JSON.parse(r.stdout) as NumpyTimes;
}

const g = (flops: number, s: number | undefined) => (s === undefined ? '–' : (flops / s / 1e9).toFixed(2));
const ms = (s: number | undefined) => (s === undefined ? '–' : (s * 1000).toFixed(1));
const ratio = (x: number, y: number | undefined) => (y === undefined ? '–' : `${(x / y).toFixed(2)}×`);

/** Prints the header and returns a printer of rows right-aligned under it (the first column left-aligned). */
function table(title: string, headers: string[]): (...cells: string[]) => void {
  const widths = headers.map((h) => Math.max(h.length, 9));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(headers));
  return (...cells) => console.log(line(cells));
}

function main(): void {
  const threads = kernelThreads();
  console.log(`\nfloat64 kernels: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${threads} kernel threads, Node ${process.version}`);
  const np = numpyTimes();
  if (np) console.log(`NumPy ${np.numpy} in the same run`);

  const gemmRow = table('GEMM C = A·B, n×n (GFLOP/s; ratios of times, lower is better)', [
    'n',
    'TypeScript',
    'wasm 1 thread',
    'wasm split',
    'NumPy',
    'split/NumPy',
    'TS/1 thread',
  ]);
  for (const n of GEMM_SIZES) {
    const flops = 2 * n ** 3;
    const [a, b, c] = [gaussian(n * n, 1), gaussian(n * n, 2), new Float64Array(n * n)];
    const ts = best(n >= 1024 ? 1 : repsFor(flops, 0.5e9), () => gemmReference(n, n, n, a, b, c));
    setKernelThreads(1);
    const one = best(repsFor(flops, 10e9), () => gemmWasm(n, n, n, a, b, c, {}, 1));
    setKernelThreads(threads);
    const split = best(repsFor(flops, 10e9), () => gemmWasm(n, n, n, a, b, c, {}, 0));
    const ref = np?.gemm[String(n)];
    gemmRow(String(n), g(flops, ts), g(flops, one), g(flops, split), g(flops, ref), ratio(split, ref), ratio(ts, one));
  }

  const syrkRow = table('SYRK C = AᵀA, A rows×cols (GFLOP/s, rows·cols² flops; NumPy computes Aᵀ@A, 2·rows·cols²)', [
    'shape',
    'TypeScript',
    'wasm 1 thread',
    'wasm split',
    'NumPy Aᵀ@A',
    'split/NumPy',
  ]);
  for (const [rows, cols] of SYRK_SHAPES) {
    const flops = rows * cols * cols;
    const [a, c] = [gaussian(rows * cols, 3), new Float64Array(cols * cols)];
    const ts = best(rows * cols * cols > 1e9 ? 1 : 3, () => syrkReference(cols, rows, a, c, { trans: true }));
    const one = best(repsFor(flops, 10e9), () => syrkWasm(cols, rows, a, c, { trans: true }, 1));
    const split = best(repsFor(flops, 10e9), () => syrkWasm(cols, rows, a, c, { trans: true }, 0));
    const ref = np?.syrk[`${rows}x${cols}`];
    syrkRow(`${rows}×${cols}`, g(flops, ts), g(flops, one), g(flops, split), g(2 * flops, ref), ratio(split, ref));
  }

  const payRow = table('When the kernels pay (µs per call, copies included)', [
    'm×k·k×n',
    'm·n·k',
    'TypeScript',
    'wasm 1 thread',
    'wasm split',
  ]);
  for (const [m, k, n] of [
    [8, 8, 8],
    [16, 16, 16],
    [16, 64, 16],
    [32, 32, 32],
    [64, 64, 64],
    [96, 96, 96],
    [128, 128, 128],
    [256, 16, 256],
    [1024, 64, 64],
    [192, 192, 192],
    [256, 256, 256],
    [384, 384, 384],
  ] as const) {
    const [a, b, c] = [gaussian(m * k, 4), gaussian(k * n, 5), new Float64Array(m * n)];
    const reps = Math.max(3, Math.min(2000, Math.round(2e7 / (m * k * n))));
    const loop = best(reps, () => gemmReference(m, n, k, a, b, c));
    const one = best(reps, () => gemmWasm(m, n, k, a, b, c, {}, 1));
    const split = best(reps, () => gemmWasm(m, n, k, a, b, c, {}, 0));
    const us = (s: number) => (s * 1e6).toFixed(1);
    payRow(`${m}×${k}·${k}×${n}`, String(m * n * k), us(loop), us(one), us(split));
  }

  const eigenRow = table(
    'λ_min of a symmetric d×d matrix (ms): tridiagonalise + bisection (+ inverse iteration for v); Lanczos on the formed matrix (products); full decompositions',
    ['d', 'ours λ', 'ours λ,v', 'Lanczos λ,v', 'full λs', 'full λs,V', 'eigvalsh', 'eigh', 'λ/eigvalsh', 'λ,v/eigh', 'full/ours'],
  );
  for (const d of EIGEN_SIZES) {
    const a = symmetric(d, 6);
    const reps = d >= 1024 ? 2 : 5;
    const values = best(reps, () => smallestEigenpairs(a, d, 1, { vectors: false }));
    const pair = best(reps, () => smallestEigenpairs(a, d, 1));
    const lanczos = matrixExtremeEigenpair(a, d, { which: 'smallest' });
    const lanczosTime = best(reps, () => matrixExtremeEigenpair(a, d, { which: 'smallest' }));
    const fullValues = best(d >= 1024 ? 1 : 3, () => symmetricEigen(a, d, true));
    const full = best(d >= 1024 ? 1 : 3, () => symmetricEigen(a, d));
    const [ev, eh] = [np?.eigvalsh[String(d)], np?.eigh[String(d)]];
    eigenRow(
      String(d),
      ms(values),
      ms(pair),
      `${ms(lanczosTime)} (${lanczos.products})`,
      ms(fullValues),
      ms(full),
      ms(ev),
      ms(eh),
      ratio(values, ev),
      ratio(pair, eh),
      ratio(full, pair),
    );
  }

  const normRow = table('‖A‖₂ (ms): Lanczos on AᵀA, cold and warm (after a 1e-3 perturbation, from the last vector); products in ()', [
    'shape',
    'cold',
    'warm',
    'Gram+eigen',
    'NumPy norm 2',
    'cold/NumPy',
    'Gram/cold',
  ]);
  for (const [rows, cols] of NORM_SHAPES) {
    const a = gaussian(rows * cols, 7);
    const cold = spectralNorm(a, rows, cols);
    const coldTime = best(3, () => spectralNorm(a, rows, cols));
    const rng = new Stream(streamKey(8));
    const nearby = a.map((x) => x + 1e-3 * rng.normal());
    const warm = spectralNorm(nearby, rows, cols, { start: cold.vector });
    const warmTime = best(3, () => spectralNorm(nearby, rows, cols, { start: cold.vector }));
    const gram = best(1, () => gramSpectralNorm(a, rows, cols));
    const ref = np?.norm2[`${rows}x${cols}`];
    normRow(
      `${rows}×${cols}`,
      `${ms(coldTime)} (${cold.products})`,
      `${ms(warmTime)} (${warm.products})`,
      ms(gram),
      ms(ref),
      ratio(coldTime, ref),
      ratio(gram, coldTime),
    );
  }
}

main();
