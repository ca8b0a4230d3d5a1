/**
 * The worker protocol, declared once for both ends (the CLI/extension client and every worker:
 * the bundled Node CPU worker and, later, a Python one). JSON-RPC 2.0 over stdio, framed with
 * Content-Length headers (vscode-jsonrpc); cancellation is the standard `$/cancelRequest`.
 *
 * The client sends the IR of every expression the checks need and how to sample the data; the
 * worker draws the samples itself from the seed (counter-based RNG, see rng.ts), so no large arrays
 * cross the pipe except fixed data the user supplied.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { WireGraph } from '../symbolic/wire';

export const PROTOCOL_VERSION = 1;

export interface InitializeParams {
  protocolVersion: number;
}

export interface InitializeResult {
  protocolVersion: number;
  /** e.g. "cpu-node". */
  backend: string;
  /** e.g. "CPU (Node v20.20.2, x64)", "CUDA NVIDIA H100 (PyTorch 2.5, float64)". */
  device: string;
  /** True when checks run on a GPU (the Python evaluator on CUDA). */
  gpu?: boolean;
  /** Process id of the Python evaluator, when the worker runs one (diagnostics and fault tests). */
  evaluatorPid?: number;
}

/** Contract: the first request; a worker answering another protocolVersion must not be used. */
export const initializeRequest = new RequestType<InitializeParams, InitializeResult, void>('derivlens/initialize');

/** A constraint with its bound already evaluated to a number. */
export type NumericConstraint =
  /** ‖x − c‖ <= radius, where c (0 when absent) is the value of IR root `center`, which depends only on givens. */
  | { kind: 'normBall'; norm: '2' | 'F' | 'spectral' | '1'; radius: number; center?: number }
  | { kind: 'lower'; bound: number }
  | { kind: 'upper'; bound: number }
  | { kind: 'sum'; value: number }
  /** Symmetric; symmetric positive semidefinite (of each member, for a family). */
  | { kind: 'sym' }
  | { kind: 'psd' };

export interface SamplingSpec {
  name: string;
  role: 'given' | 'var';
  rows: number;
  cols: number;
  constraints: NumericConstraint[];
  /** Fixed values (column-major) from --data: not sampled. */
  fixed?: number[];
  /** A family of `blocks` matrices stacked by rows: each constraint applies to each member. */
  blocks?: number;
}

/** Something evaluated at a point: an IR root, or a derivative block assembled from the plan. */
export type Quantity =
  | { kind: 'expr'; root: number }
  /** The gradient stacked over the listed variables (indices into the vars). */
  | { kind: 'grad'; wrt: number[] }
  /** The Hessian block rows × cols over the listed variables. */
  | { kind: 'hess'; rows: number[]; cols: number[] };

export type WireClaim = {
  index: number;
  /** The claim's own domain (`claim … for ||X||_F <= 1`): every spec, with this claim's constraints. */
  sampling?: SamplingSpec[];
  /**
   * The exact gradient of the claim's search objective over `names` (the vars and unfixed givens):
   * one root per name, each scaled to its spec's size (searchRoots.ts); `inputs` say how a per-point
   * vector v (an eigenvector, for quadratic forms vᵀMv) is split into named inputs.
   */
  search?: { roots: number[]; inputs: { name: string; size: number }[]; names: string[] };
} & /** lhs = rhs at sampled points; a derivative of the loss is also checked against finite differences. */ (
  | { kind: 'identity'; lhs: Quantity; rhs: Quantity }
  /** Scalars: lhs <= rhs; square matrices: rhs − lhs ⪰ 0 (op '<=') in the Loewner order. */
  | { kind: 'order'; op: '<=' | '>='; lhs: Quantity; rhs: Quantity }
  | { kind: 'definite'; which: 'psd' | 'nsd' | 'pd' | 'nd'; subject: Quantity }
  | { kind: 'lipschitz'; of: Quantity; bound: Quantity }
);

export type Budget = 'quick' | 'default' | 'thorough' | number;

/** Root `bound` bounds |fl(of) − of| entrywise; `missing` says why a root has no bound (an op without a rule). */
export type RoundingBound = { of: number; bound: number; missing?: undefined } | { of: number; bound?: undefined; missing: string };

export interface CheckParams {
  ir: WireGraph;
  /** Roots of the loss, of ∇ per var, and of the Hessian blocks [a][b], in the IR. */
  loss: number;
  grads: number[];
  hess: number[][];
  claims: WireClaim[];
  sampling: SamplingSpec[];
  seed: number;
  budget: Budget;
  /**
   * Arguments of relu/abs/step/sign (IR roots): where one of them is near 0 the function has a
   * kink, so finite differences there compare nothing; such sample points are skipped and counted.
   */
  kinks?: number[];
  /**
   * Roots of ∇²L·v per var (row blocks of the Hessian times v), where v's part for var k is the
   * input named `$v<k>` (a column of vec(var k)'s length): exact vᵀHv and Hv without the Hessian.
   */
  hvp: number[];
  /** The rounding-error bound root of each side of an identity claim (see rounding.ts), or why there is none. */
  bounds?: RoundingBound[];
  /** Wall-clock limit per claim in ms; a claim cut off is inconclusive with what it had. */
  timeLimitMs?: number;
  /** Echoed in progress notifications. */
  progressToken?: string;
  /** A worker refuses (InvalidParams, with its estimate) a check whose estimated peak memory exceeds this. */
  memoryLimitBytes?: number;
}

export type Verdict = 'proved' | 'holds' | 'refuted' | 'inconclusive';

/** A point in the domain, as JSON data (vectors lists, matrices row-major lists of rows). */
export type JsonValue = number | number[] | number[][];
export type PointJson = Record<string, JsonValue>;

export interface Counterexample {
  /** Givens and vars at the failing point: ready for `derivlens eval --data/--at`. */
  point: PointJson;
  /** Second point of a Lipschitz pair. */
  other?: PointJson;
  /** Named quantities at the point (both sides, eigenvalue, ratio, …). */
  values: Record<string, JsonValue>;
  /** Eigenvector of a broken eigenvalue bound. */
  eigenvector?: number[];
}

export interface Series {
  label: string;
  x: number[];
  y: number[];
  /** Drawn dashed in the colour of the previous series (a bound next to its observation). */
  dashed?: boolean;
}

export interface Plot {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: Series[];
  /** Horizontal reference line (a claimed bound). */
  reference?: { label: string; y: number };
}

export interface ClaimResult {
  index: number;
  verdict: Verdict;
  /** One line: what was compared and found. */
  summary: string;
  /** Numbers behind the verdict (points tried, worst error, tolerance, best ratio, slack, …). */
  evidence: Record<string, number | string>;
  counterexample?: Counterexample;
  plots?: Plot[];
}

export interface CheckResult {
  backend: string;
  device: string;
  claims: ClaimResult[];
  /**
   * Where the time went, by kind of evaluation ("matrix formation": Hessians and other matrices
   * for eigensolves; "eigensolve"): seconds, planned flops and points. Workers may omit it.
   */
  stats?: Record<string, { seconds: number; flops: number; points: number }>;
}

/** Contract: answers every claim, in order; a cancelled request answers with RequestCancelled. */
export const checkRequest = new RequestType<CheckParams, CheckResult, void>('derivlens/check');

export interface ProgressParams {
  token?: string;
  claim: number;
  done: number;
  total: number;
}

/** Contract: sent by the worker while a check runs; purely informative. */
export const progressNotification = new NotificationType<ProgressParams>('derivlens/progress');
