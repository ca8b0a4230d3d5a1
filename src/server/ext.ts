/**
 * DerivLens's extensions to the Language Server Protocol, declared once for both ends: the server
 * (src/server) and the VS Code client (src/extension) import this module. Other editors need none
 * of it: standard LSP serves diagnostics, hovers, completion, navigation, formatting, code lenses,
 * and `workspace/executeCommand` runs checks (SERVER_COMMANDS).
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { BackendChoice } from '../numeric/backends';
import type { Budget, Verdict } from '../numeric/protocol';

/**
 * Settings, pushed with `workspace/didChangeConfiguration` as `{ settings: { derivlens: … } }` (or
 * given in initializationOptions.settings). The VS Code client reads pythonPath from user settings
 * only, so a workspace cannot name the program the server starts.
 */
export interface Settings {
  budget: Budget;
  seed: number;
  backend: BackendChoice;
  /** Interpreter of the Python worker (default: $DERIVLENS_PYTHON, else python3). */
  pythonPath: string;
  /** False in an untrusted workspace: the server then analyses but never starts a worker. */
  trusted: boolean;
}

export const DEFAULT_SETTINGS: Settings = { budget: 'default', seed: 0, backend: 'cpu', pythonPath: '', trusted: true };

export interface InitializationOptions {
  settings?: Partial<Settings>;
  /**
   * Commands the client runs itself, which code lenses may name: `derivlens.checkClaim` (uri,
   * claim index) and `derivlens.showReport` (uri, claim index). Without them lenses use SERVER_COMMANDS.
   */
  clientCommands?: string[];
  /** URI scheme of the client's text report; Problems entries of refuted claims then link to it. */
  reportScheme?: string;
}

/** Commands served through `workspace/executeCommand`: check (uri, claim indices?) and cancel (uri?). */
export const SERVER_COMMANDS = { check: 'derivlens.server.check', cancel: 'derivlens.server.cancel' } as const;

/** Where a claim stands. */
export type ClaimStatus =
  /** Never checked, or edited since. */
  | 'unchecked'
  /** Waiting for the worker. */
  | 'queued'
  | 'running'
  | 'done'
  /** The worker stopped before deciding it; nothing was concluded. */
  | 'failed';

export interface ClaimView {
  /** Index among the claims that type-check: what check requests name. */
  index: number;
  /** 0-based lines of the claim statement. */
  line: number;
  endLine: number;
  text: string;
  status: ClaimStatus;
  /** The claim had a verdict before its last edit. */
  edited?: boolean;
  verdict?: Verdict;
  summary?: string;
  /** Verdict, summary and counterexample as plain text (Test Explorer messages). */
  message?: string;
  /** 0..1 while running. */
  progress?: number;
  hasCounterexample?: boolean;
}

export interface FileState {
  uri: string;
  version: number;
  claims: ClaimView[];
  /** Why no claim can be checked right now (errors in declarations or the loss). */
  blocked?: string;
  /** The checks of this file that are queued or running, counted per claim. */
  run?: { done: number; total: number };
}

/** Contract: sent after every change of a document's analysis or of any of its claims' status. */
export const fileStateNotification = new NotificationType<FileState>('derivlens/fileState');

export interface CheckParams {
  uri: string;
  /** Claim indices; all claims that type-check when absent. */
  claims?: number[];
  /** Re-run this one claim with every given and var fixed at its counterexample. */
  atCounterexample?: number;
}

export interface CheckResult {
  /** The checked claims as they ended (done, or failed when the worker stopped). */
  claims: ClaimView[];
  /** For atCounterexample: the verdict at that point. */
  reproduced?: { verdict: Verdict; summary: string; message: string };
}

/**
 * Contract: resolves when every requested claim is decided; verdicts arrive earlier through
 * fileState as each claim finishes. Cancelling it cancels its claims. Errors: untrusted workspace,
 * a file whose errors block checks, no counterexample to re-run at, a worker that failed to start.
 */
export const checkRequest = new RequestType<CheckParams, CheckResult, void>('derivlens/check');

/** Contract: cancels the queued and running checks of one file, or of every file. */
export const cancelNotification = new NotificationType<{ uri?: string }>('derivlens/cancel');

/** Contract: stops the worker; the next check starts a fresh one. */
export const restartWorkerRequest = new RequestType0<void, void>('derivlens/restartWorker');

export interface WorkerStatus {
  backend?: string;
  device?: string;
  /** Why the requested worker is not the one running (a Python fallback), or why it stopped. */
  message?: string;
  /** Claims queued or running across all files. */
  pending: number;
}

/** Contract: sent when the worker starts, falls back, stops, and when the number of pending claims changes. */
export const workerStatusNotification = new NotificationType<WorkerStatus>('derivlens/workerStatus');

export interface ReportParams {
  uri: string;
  /** html: the report body with Re-run / Show in editor / Copy / Export buttons; text: plain text. */
  format: 'html' | 'text';
}

/** Contract: undefined content when the file cannot be derived (errors). */
export const reportRequest = new RequestType<ReportParams, { content?: string }, void>('derivlens/report');

export interface ExportParams {
  uri: string;
  format: 'latex' | 'numpy' | 'jax';
}

export const exportRequest = new RequestType<ExportParams, { content?: string }, void>('derivlens/export');

export interface CounterexampleParams {
  uri: string;
  claim: number;
  format: 'json' | 'numpy';
}

/** Contract: undefined content when the claim has no counterexample. */
export const counterexampleRequest = new RequestType<CounterexampleParams, { content?: string }, void>('derivlens/counterexample');
