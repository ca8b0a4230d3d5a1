/**
 * The one store of verdicts. Every surface reads it: Problems and code lenses and hovers (from the
 * server), Test Explorer and the report (through derivlens/fileState and derivlens/report). A
 * verdict belongs to a claim's fingerprint (the claim and everything it depends on, spacing and
 * comments ignored), so editing one claim or a comment leaves the other verdicts standing.
 */
import type { ClaimInfo, DocumentAnalysis } from '../analysis/document';
import type { ClaimOutcome, FileOutcome } from '../app/runClaims';
import { formatCounterexample } from '../app/text';
import type { Budget } from '../numeric/protocol';
import type { ClaimStatus, ClaimView } from './ext';

export interface RunMeta {
  seed: number;
  budget: Budget;
  backend: string;
  device: string;
}

export interface ClaimRecord {
  status: Exclude<ClaimStatus, 'unchecked'>;
  outcome?: ClaimOutcome;
  /** 0..1 while running. */
  progress?: number;
  /** Why a check ended without a verdict. */
  failure?: string;
  /** The verdict of a re-run at the counterexample. */
  reproduced?: ClaimOutcome;
  /** What the stored outcome came from. */
  meta?: RunMeta;
  /** The record before a check began: restored when the check is cancelled. */
  before?: ClaimRecord;
}

interface FileRecords {
  records: Map<string, ClaimRecord>;
  /** Fingerprint of the last verdict per claim position: a different fingerprint there means "edited". */
  lastAt: Map<number, string>;
  meta?: RunMeta;
}

/** Verdict, summary and counterexample as plain text. */
export function claimMessage(c: ClaimOutcome): string {
  const ce = formatCounterexample(c, '  ');
  const domain = c.outsideDomain ? `\n${c.outsideDomain}` : '';
  return `${c.verdict}: ${c.summary}${domain}${ce.length ? `\ncounterexample:\n${ce.join('\n')}` : ''}`;
}

export class VerdictStore {
  private readonly files = new Map<string, FileRecords>();

  private file(uri: string): FileRecords {
    let f = this.files.get(uri);
    if (!f) this.files.set(uri, (f = { records: new Map(), lastAt: new Map() }));
    return f;
  }

  get(uri: string, fingerprint: string): ClaimRecord | undefined {
    return this.files.get(uri)?.records.get(fingerprint);
  }

  /** A check of the claim is waiting or running. */
  begin(uri: string, fingerprint: string, status: 'queued' | 'running'): void {
    const f = this.file(uri);
    const old = f.records.get(fingerprint);
    const before = old && (old.status === 'queued' || old.status === 'running') ? old.before : old;
    f.records.set(fingerprint, {
      ...(old?.outcome ? { outcome: old.outcome, meta: old.meta! } : {}),
      status,
      ...(before ? { before } : {}),
    });
  }

  progress(uri: string, fingerprint: string, fraction: number): void {
    const r = this.files.get(uri)?.records.get(fingerprint);
    if (r && r.status === 'running') r.progress = fraction;
  }

  done(uri: string, claim: ClaimInfo, outcome: ClaimOutcome, meta: RunMeta): void {
    const f = this.file(uri);
    f.records.set(claim.fingerprint, { status: 'done', outcome, meta });
    f.lastAt.set(claim.ordinal, claim.fingerprint);
    f.meta = meta;
  }

  reproduced(uri: string, fingerprint: string, outcome: ClaimOutcome): void {
    const r = this.files.get(uri)?.records.get(fingerprint);
    if (r) {
      const settled = r.before ?? r;
      this.files.get(uri)!.records.set(fingerprint, { ...settled, status: settled.outcome ? 'done' : settled.status, reproduced: outcome });
    }
  }

  failed(uri: string, fingerprint: string, why: string): void {
    const r = this.file(uri).records.get(fingerprint);
    this.file(uri).records.set(fingerprint, { ...(r?.before ?? {}), status: 'failed', failure: why });
  }

  /** A cancelled check: the claim shows what it showed before. */
  restore(uri: string, fingerprint: string): void {
    const f = this.files.get(uri);
    const r = f?.records.get(fingerprint);
    if (!f || !r) return;
    if (r.before) f.records.set(fingerprint, r.before);
    else f.records.delete(fingerprint);
  }

  /** Drops records no claim of the document has any more (keeping pending ones and a few recent ones for undo). */
  prune(uri: string, doc: DocumentAnalysis): void {
    const f = this.files.get(uri);
    if (!f) return;
    const live = new Set(doc.claims.map((c) => c.fingerprint));
    const stale = [...f.records].filter(([fp, r]) => !live.has(fp) && r.status !== 'queued' && r.status !== 'running');
    for (const [fp] of stale.slice(0, Math.max(0, stale.length - 2 * doc.claims.length))) f.records.delete(fp);
  }

  views(uri: string, doc: DocumentAnalysis): ClaimView[] {
    const f = this.files.get(uri);
    return doc.claims.flatMap((c): ClaimView[] => {
      if (c.index === undefined) return [];
      const r = f?.records.get(c.fingerprint);
      const base: ClaimView = {
        index: c.index,
        line: doc.file.lineCol(c.span.start).line - 1,
        endLine: doc.file.lineCol(c.span.end).line - 1,
        text: c.text,
        status: r?.status ?? 'unchecked',
      };
      if (!r) {
        const last = f?.lastAt.get(c.ordinal);
        return [last !== undefined && last !== c.fingerprint ? { ...base, edited: true } : base];
      }
      const o = r.status === 'done' ? r.outcome : undefined;
      return [
        {
          ...base,
          ...(o
            ? {
                verdict: o.verdict,
                summary: o.summary,
                message: claimMessage(o),
                ...(o.counterexample ? { hasCounterexample: true } : {}),
              }
            : {}),
          ...(r.status === 'running' && r.progress !== undefined ? { progress: r.progress } : {}),
          ...(r.status === 'failed' && r.failure ? { summary: r.failure, message: `not checked: ${r.failure}` } : {}),
        },
      ];
    });
  }

  /** The outcome of a claim as it stands now (line and text of the current document). */
  outcome(uri: string, claim: ClaimInfo, doc: DocumentAnalysis): ClaimOutcome | undefined {
    const r = this.files.get(uri)?.records.get(claim.fingerprint);
    if (!r?.outcome || claim.index === undefined) return undefined;
    return {
      ...r.outcome,
      line: doc.file.lineCol(claim.span.start).line,
      text: claim.text,
      claimIndex: claim.index,
      ...(r.reproduced ? { reproduced: { verdict: r.reproduced.verdict, summary: r.reproduced.summary } } : {}),
    };
  }

  /** Every verdict of the document, for the report; the derivatives come from the caller. */
  fileOutcome(uri: string, doc: DocumentAnalysis, base: FileOutcome): FileOutcome {
    const meta = this.files.get(uri)?.meta;
    const claims = doc.claims.flatMap((c) => this.outcome(uri, c, doc) ?? []);
    return { ...base, ...(meta ? meta : {}), claims };
  }
}
