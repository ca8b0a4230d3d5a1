/**
 * Runs checks for the editor. The server drives them (see ARCHITECTURE.md): it owns the analysis and
 * the verdict store, so any LSP client gets checks through one request. Each claim is its own
 * request to the worker (the same samples as in a whole-file run, since sample streams are keyed on
 * the claim's index), so a verdict reaches Problems, lenses and Test Explorer as soon as its claim
 * is decided, with a running state per claim and "3/8 claims" per file. Claims of one file run one
 * after another; files run side by side in one worker process, started on first use and restarted
 * after a crash. No worker starts in an untrusted workspace.
 */
import { join } from 'node:path';
import type { ClaimInfo, DocumentAnalysis } from '../analysis/document';
import { InputError, type Loaded, dataFor } from '../app/load';
import { ClaimRunFailed, runClaims } from '../app/runClaims';
import { type ConnectedWorker, connectWorker } from '../numeric/backends';
import { type WorkerClient, WorkerDied } from '../numeric/client';
import type { JsonValue } from '../numeric/protocol';
import type { CheckResult, Settings, WorkerStatus } from './ext';
import { type VerdictStore, claimMessage } from './verdicts';

export class CheckError extends Error {}

/** What the runner needs from the server around it. */
export interface CheckHost {
  store: VerdictStore;
  settings(): Settings;
  /** The current analysis of an open document and its file path. */
  document(uri: string): { doc: DocumentAnalysis; path: string } | undefined;
  /** A claim's status changed: publish diagnostics, lenses, file state. */
  changed(uri: string): void;
  status(s: WorkerStatus): void;
  log(message: string): void;
  /** Where dist/ is (worker.js beside server.js). */
  distDir: string;
}

interface Job {
  uri: string;
  claim: ClaimInfo;
  loaded: Loaded;
  settings: Settings;
  /** Every given and var fixed here (a re-run at a counterexample). */
  fixed?: ReadonlyMap<string, Float64Array>;
  abort: AbortController;
  finished: Promise<void>;
  finish: () => void;
  error?: Error;
}

export class CheckRunner {
  private worker?: { key: string; connected: Promise<ConnectedWorker> };
  private readonly queues = new Map<string, Job[]>();
  private readonly running = new Map<string, Job>();
  /** Claims of the current batch per file (reset when the file's queue empties): "3/8 claims". */
  private readonly batches = new Map<string, { done: number; total: number }>();
  private lastProgress = 0;
  private lastInfo?: { backend: string; device: string };

  constructor(private readonly host: CheckHost) {}

  /** Queued plus running claims of a file, with how many of its batch are done. */
  batch(uri: string): { done: number; total: number } | undefined {
    return this.batches.get(uri);
  }

  private pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n + this.running.size;
  }

  private report(message?: string): void {
    this.host.status({ ...(this.lastInfo ?? {}), ...(message ? { message } : {}), pending: this.pending() });
  }

  async check(uri: string, indices: number[] | undefined, atCounterexample?: number, cancel?: AbortSignal): Promise<CheckResult> {
    const settings = this.host.settings();
    if (!settings.trusted)
      throw new CheckError('DerivLens checks claims only in a trusted workspace (no worker process starts otherwise).');
    const found = this.host.document(uri);
    if (!found) throw new CheckError(`${uri} is not open`);
    const { doc, path } = found;
    if (!doc.checkable) throw new CheckError(`${path} has errors; fix them (see Problems) before checking: ${doc.blocked?.message ?? ''}`);
    const loaded: Loaded = {
      path,
      text: doc.text,
      analysis: doc.analysis,
      program: doc.analysis.program,
      lowered: doc.checkable.lowered,
      derivatives: doc.checkable.derivatives,
    };
    const typed = doc.claims.filter((c) => c.index !== undefined);
    let fixed: Map<string, Float64Array> | undefined;
    let selected: ClaimInfo[];
    if (atCounterexample !== undefined) {
      const claim = typed.find((c) => c.index === atCounterexample);
      const point = claim && this.host.store.get(uri, claim.fingerprint)?.outcome?.counterexample?.point;
      if (!claim || !point) throw new CheckError('this claim has no counterexample to re-run at (check it first)');
      fixed = dataFor(doc.analysis.program, point as Record<string, JsonValue>, 'the counterexample', 'none');
      selected = [claim];
    } else {
      selected = indices ? typed.filter((c) => indices.includes(c.index!)) : typed;
      const unknown = (indices ?? []).filter((i) => !typed.some((c) => c.index === i));
      if (unknown.length) throw new CheckError(`no claim ${unknown.join(', ')} in ${path} (it may have changed)`);
    }
    const jobs = selected.map((claim) => this.enqueue(uri, claim, loaded, settings, fixed));
    const onCancel = (): void => jobs.forEach((j) => this.cancelJob(j));
    cancel?.addEventListener('abort', onCancel);
    this.host.changed(uri);
    this.report();
    try {
      await Promise.all(jobs.map((j) => j.finished));
    } finally {
      cancel?.removeEventListener('abort', onCancel);
    }
    const failure = jobs.find((j) => j.error)?.error;
    if (failure) throw failure;
    const now = this.host.document(uri)?.doc ?? doc;
    const views = this.host.store.views(uri, now);
    const claims = selected.flatMap((c) =>
      views.filter(
        (v) =>
          v.index === c.index && (v.status === 'done' || v.status === 'failed') && now.claims.some((x) => x.fingerprint === c.fingerprint),
      ),
    );
    if (fixed) {
      const r = this.host.store.get(uri, selected[0]!.fingerprint)?.reproduced;
      if (r) return { claims, reproduced: { verdict: r.verdict, summary: r.summary, message: claimMessage(r) } };
    }
    return { claims };
  }

  private enqueue(uri: string, claim: ClaimInfo, loaded: Loaded, settings: Settings, fixed?: ReadonlyMap<string, Float64Array>): Job {
    const queue = this.queues.get(uri) ?? [];
    this.queues.set(uri, queue);
    // The same claim already waiting (not a re-run at a point): wait for that one.
    const same = [...queue, ...(this.running.has(uri) ? [this.running.get(uri)!] : [])].find(
      (j) => j.claim.fingerprint === claim.fingerprint && !j.fixed && !fixed,
    );
    if (same) return same;
    let finish = (): void => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const job: Job = { uri, claim, loaded, settings, ...(fixed ? { fixed } : {}), abort: new AbortController(), finished, finish };
    queue.push(job);
    if (!fixed) this.host.store.begin(uri, claim.fingerprint, 'queued');
    const b = this.batches.get(uri) ?? { done: 0, total: 0 };
    b.total++;
    this.batches.set(uri, b);
    if (!this.running.has(uri)) void this.drain(uri);
    return job;
  }

  private cancelJob(job: Job): void {
    const queue = this.queues.get(job.uri) ?? [];
    const at = queue.indexOf(job);
    if (at >= 0) {
      queue.splice(at, 1);
      if (!job.fixed) this.host.store.restore(job.uri, job.claim.fingerprint);
      this.settle(job);
    } else if (this.running.get(job.uri) === job) job.abort.abort();
  }

  /** Cancels the queued and running checks of one file (or all). */
  cancel(uri?: string): boolean {
    const uris = uri ? [uri] : [...new Set([...this.queues.keys(), ...this.running.keys()])];
    let any = false;
    for (const u of uris) {
      for (const j of [...(this.queues.get(u) ?? [])]) {
        this.cancelJob(j);
        any = true;
      }
      const r = this.running.get(u);
      if (r) {
        this.cancelJob(r);
        any = true;
      }
    }
    return any;
  }

  private settle(job: Job): void {
    const b = this.batches.get(job.uri);
    if (b) b.done++;
    job.finish();
    this.host.changed(job.uri);
    this.report();
  }

  private async drain(uri: string): Promise<void> {
    const queue = this.queues.get(uri)!;
    while (queue.length > 0) {
      const job = queue.shift()!;
      this.running.set(uri, job);
      if (!job.fixed) this.host.store.begin(uri, job.claim.fingerprint, 'running');
      this.host.changed(uri);
      await this.run(job);
      this.running.delete(uri);
      this.settle(job);
    }
    this.batches.delete(uri);
    this.host.changed(uri);
  }

  private async run(job: Job): Promise<void> {
    const { uri, claim, loaded, settings } = job;
    const started = Date.now();
    try {
      const client = await this.client(settings);
      const outcome = await runClaims(
        client,
        loaded,
        { seed: settings.seed, budget: settings.budget, only: [claim.index!], ...(job.fixed ? { fixed: job.fixed } : {}) },
        job.abort.signal,
      );
      const c = outcome.claims[0]!;
      if (job.fixed) this.host.store.reproduced(uri, claim.fingerprint, c);
      else
        this.host.store.done(uri, claim, c, {
          seed: outcome.seed,
          budget: outcome.budget,
          backend: outcome.backend,
          device: outcome.device,
        });
      this.lastInfo = { backend: outcome.backend, device: outcome.device };
      this.host.log(
        `${loaded.path}:${c.line}: ${c.verdict}${job.fixed ? ' at the counterexample' : ''} (${Date.now() - started} ms): ${c.summary}`,
      );
    } catch (e) {
      if (job.abort.signal.aborted) {
        if (!job.fixed) this.host.store.restore(uri, claim.fingerprint);
        this.host.log(`${loaded.path}: check of "${claim.text}" cancelled`);
        return;
      }
      const why =
        e instanceof InputError
          ? e.message
          : e instanceof ClaimRunFailed || e instanceof WorkerDied
            ? `the worker stopped (${(e as Error).message.split('\n')[0]}). It will be restarted on the next check; no claim was marked as passing.`
            : undefined;
      if (why === undefined) throw e;
      if (!job.fixed) this.host.store.failed(uri, claim.fingerprint, why);
      this.host.log(`${loaded.path}: ${why}`);
      job.error = new CheckError(why);
      // The rest of this file's queue waits for the user: a claim that crashed the worker may again.
      for (const j of this.queues.get(uri)?.splice(0) ?? []) {
        if (!j.fixed) this.host.store.restore(uri, j.claim.fingerprint);
        j.error = new CheckError(why);
        this.settle(j);
      }
      this.report(why);
    }
  }

  /** The worker for these settings, started on first use (and again after a change of backend). */
  private async client(settings: Settings): Promise<WorkerClient> {
    const python = settings.pythonPath || process.env['DERIVLENS_PYTHON'] || 'python3';
    const key = `${settings.backend}\0${python}`;
    if (this.worker?.key !== key) {
      const previous = this.worker;
      const paths = {
        // In VS Code the server runs under Electron as Node; the worker must too.
        node: {
          command: process.execPath,
          args: [join(this.host.distDir, 'worker.js')],
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        },
        pythonEvaluator: join(this.host.distDir, '..', 'python', 'evaluator.py'),
        python,
      };
      this.worker = { key, connected: connectWorker(settings.backend, paths, (p) => this.onProgress(p)) };
      void previous?.connected.then(
        (w) => w.client.stop(),
        () => undefined,
      );
      this.worker.connected.then(
        (w) => {
          this.lastInfo = { backend: w.info.backend, device: w.info.device };
          this.host.log(`worker started: ${w.info.backend} on ${w.info.device}`);
          if (w.fallback) this.host.log(w.fallback);
          this.report(w.fallback);
        },
        (e: unknown) => this.host.log(`the worker could not start: ${(e as Error).message}`),
      );
    }
    try {
      return (await this.worker.connected).client;
    } catch (e) {
      this.worker = undefined;
      throw e instanceof WorkerDied ? e : new WorkerDied((e as Error).message);
    }
  }

  private onProgress(p: { token?: string; done: number; total: number }): void {
    for (const job of this.running.values()) {
      if (job.loaded.path !== p.token || job.fixed) continue;
      this.host.store.progress(job.uri, job.claim.fingerprint, p.total > 0 ? p.done / p.total : 0);
      // Lenses and Test Explorer follow progress a few times a second, not at the worker's rate.
      const now = Date.now();
      if (now - this.lastProgress > 250) {
        this.lastProgress = now;
        this.host.changed(job.uri);
      }
    }
  }

  async restart(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.connected.then(
      (c) => c.client.stop(),
      () => undefined,
    );
    this.report('the worker will start afresh on the next check');
  }

  async dispose(): Promise<void> {
    this.cancel();
    await this.restart();
  }
}
