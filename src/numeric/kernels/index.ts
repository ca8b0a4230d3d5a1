/**
 * Float64 kernels for the CPU evaluator and the check driver. Every matrix is a column-major
 * Float64Array with packed columns (leading dimension = rows); nothing here keeps state between
 * calls except the WebAssembly memory (grown as needed, never shrunk) and idle helper threads.
 *
 * Products (blas.ts): gemm, syrk, gemv, gemmBatch, matmul. WebAssembly with f64x2 SIMD, cache
 * blocked, split over the cores for large calls; the same bits as the TypeScript reference
 * (reference.ts) at every size, so the size thresholds only decide speed.
 *
 * Eigenvalues (eigen.ts): symmetricEigenpairs (any index range), smallestEigenpairs,
 * largestEigenpairs, dominantEigenpair (largest |λ|); the pieces tridiagonalize,
 * tridiagonalEigenvalues, tridiagonalEigenvectors and applyReflectors for callers that want several
 * ranges from one reduction.
 *
 * Operators known only by products (lanczos.ts): extremeEigenpair, the largest or smallest
 * eigenpair by Lanczos with full reorthogonalisation and restarts, warm-startable, with what it
 * certifies (e.g. λ_min of a Hessian from Hessian-vector products); matrixExtremeEigenpair, the
 * same on a formed matrix kept in WebAssembly memory (O(n²) per product).
 *
 * Spectral norm (spectral.ts): spectralNorm (Lanczos on AᵀA, warm-startable, with what it
 * certifies), spectralNormUpperBound, projectSpectralBall (the sampler's scaling).
 *
 * setKernelThreads limits the threads (1 = calling thread only); DERIVLENS_KERNEL_THREADS sets the
 * default (all cores, at most 8).
 */
export { type GemmBatchOptions, denseProductPays, gemm, gemmBatch, gemv, matmul, syrk } from './blas';
export {
  type EigenOptions,
  type Eigenpairs,
  type Tridiagonal,
  applyReflectors,
  dominantEigenpair,
  largestEigenpairs,
  smallestEigenpairs,
  symmetricEigenpairs,
  tridiagonalCountBelow,
  tridiagonalEigenvalues,
  tridiagonalEigenvectors,
  tridiagonalize,
} from './eigen';
export { type LanczosOptions, type LanczosResult, extremeEigenpair, matrixExtremeEigenpair } from './lanczos';
export { kernelThreads, setKernelThreads } from './pool';
export { withResident } from './wasm';
export type { GemmOptions, GemvOptions, SyrkOptions } from './reference';
export {
  type SpectralNorm,
  type SpectralNormOptions,
  type SpectralProjection,
  projectSpectralBall,
  spectralNorm,
  spectralNormUpperBound,
} from './spectral';
