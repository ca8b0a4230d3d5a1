/** `derivlens check`: decides every claim of the given files in the CPU worker and reports why. */
import { writeFileSync } from 'node:fs';
import { SourceFile } from '../language/diagnostics';
import { WorkerClient, WorkerDied } from '../numeric/client';
import type { Budget, CheckResult, ClaimResult, JsonValue, ProgressParams } from '../numeric/protocol';
import { buildCheckParams } from '../numeric/request';
import { type ClaimPlan, planClaims } from '../symbolic/claims';
import { ASCII, LATEX, printBundle } from '../symbolic/print';
import type { Loaded } from './load';
import { renderReport } from './report';

export interface FileOutcome {
  file: string;
  seed: number;
  budget: Budget;
  backend: string;
  device: string;
  claims: ClaimOutcome[];
  derivatives: { loss: { ascii: string; latex: string }; grad: { wrt: string; ascii: string; latex: string }[]; hess: { wrt: string[]; ascii: string; latex: string }[]; definitions: { name: string; ascii: string; latex: string }[] };
}

export interface ClaimOutcome extends Omit<ClaimResult, 'index'> {
  line: number;
  text: string;
  kind: string;
}

export class CheckFailed extends Error {}

function claimKind(p: ClaimPlan): string {
  switch (p.kind) {
    case 'identity':
      return p.lhs.kind === 'grad' || (p.claim.kind === 'compare' && p.claim.lhs.k === 'deriv' && p.claim.lhs.order === 1) ? 'gradient' : p.lhs.kind === 'hess' || (p.claim.kind === 'compare' && p.claim.lhs.k === 'deriv') ? 'hessian' : 'identity';
    case 'order':
      return 'inequality';
    case 'definite':
      return p.which;
    case 'lipschitz':
      return 'lipschitz';
    case 'unsupported':
      return 'unsupported';
  }
}

export function derivativesSummary(loaded: Loaded): FileOutcome['derivatives'] {
  const { lowered, derivatives } = loaded;
  const roots = [lowered.loss, ...derivatives.grads, ...derivatives.hess.flat()];
  const ascii = printBundle(ASCII, roots, lowered.graph.names);
  const latex = printBundle(LATEX, roots, lowered.graph.names);
  const vars = lowered.vars.map((v) => (v.kind === 'var' ? v.name : ''));
  const k = vars.length;
  const at = (i: number) => ({ ascii: ascii.roots[i]!, latex: latex.roots[i]! });
  return {
    loss: at(0),
    grad: vars.map((wrt, i) => ({ wrt, ...at(1 + i) })),
    hess: vars.flatMap((r, i) => vars.map((c, j) => ({ wrt: [r, c], ...at(1 + k + i * k + j) }))),
    definitions: ascii.definitions.map((d, i) => ({ name: d.name, ascii: d.text, latex: `${latex.definitions[i]!.name} = ${latex.definitions[i]!.text}` })),
  };
}

export async function checkFile(client: WorkerClient, loaded: Loaded, options: { seed: number; budget: Budget; fixed: Map<string, Float64Array>; timeLimitMs?: number }, cancel?: AbortSignal): Promise<FileOutcome> {
  const { program, lowered, derivatives } = loaded;
  const plans = planClaims(lowered, derivatives, program.claims);
  const params = buildCheckParams(program, lowered, derivatives, plans, { seed: options.seed, budget: options.budget, fixed: options.fixed, ...(options.timeLimitMs ? { timeLimitMs: options.timeLimitMs } : {}) });
  params.progressToken = loaded.path;
  let result: CheckResult;
  try {
    result = await client.check(params, cancel);
  } catch (e) {
    if (e instanceof WorkerDied) throw new CheckFailed(`${loaded.path}: the worker stopped during the check (${e.message}); no claim of this file was decided. Run the command again to restart it.`);
    throw e;
  }
  const byIndex = new Map(result.claims.map((c) => [c.index, c]));
  const file = new SourceFile(loaded.path, loaded.text);
  const claims = plans.map((p, index): ClaimOutcome => {
    const base = { line: file.lineCol(p.claim.span.start).line, text: p.claim.text, kind: claimKind(p) };
    if (p.kind === 'identity' && p.proved) return { ...base, verdict: 'proved', summary: 'both sides are the same expression after canonicalisation', evidence: { method: 'symbolic' } };
    if (p.kind === 'unsupported') return { ...base, verdict: 'inconclusive', summary: p.message, evidence: { reason: 'unsupported' } };
    const r = byIndex.get(index);
    if (!r) return { ...base, verdict: 'inconclusive', summary: 'the worker returned no result for this claim', evidence: { reason: 'missing result' } };
    return { ...base, verdict: r.verdict, summary: r.summary, evidence: r.evidence, ...(r.counterexample ? { counterexample: r.counterexample } : {}), ...(r.plots ? { plots: r.plots } : {}) };
  });
  return { file: loaded.path, seed: options.seed, budget: options.budget, backend: result.backend, device: result.device, claims, derivatives: derivativesSummary(loaded) };
}

const MARK: Record<string, string> = { proved: '✓ proved', holds: '✓ holds', refuted: '✗ refuted', inconclusive: '? inconclusive' };

function shortJson(v: JsonValue): string {
  const flat = Array.isArray(v) ? v.flat() : [v];
  const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
  if (!Array.isArray(v)) return fmt(v);
  const shown = flat.slice(0, 8).map(fmt).join(', ');
  const more = flat.length > 8 ? `, … (${flat.length} entries)` : '';
  return Array.isArray(v[0]) ? `[[${shown}${more}]] (${v.length}×${(v[0] as number[]).length})` : `[${shown}${more}]`;
}

export function formatOutcome(o: FileOutcome): string {
  const lines: string[] = [`${o.file}`];
  for (const c of o.claims) {
    lines.push(`  ${o.file}:${c.line}: ${MARK[c.verdict]}  ${c.text}`);
    lines.push(`      ${c.summary}`);
    if (c.counterexample) {
      const ce = c.counterexample;
      lines.push('      counterexample:');
      for (const [k, v] of Object.entries(ce.point)) lines.push(`        ${k} = ${shortJson(v)}`);
      if (ce.other) for (const [k, v] of Object.entries(ce.other)) lines.push(`        ${k}' = ${shortJson(v)}`);
      for (const [k, v] of Object.entries(ce.values)) lines.push(`        ${k}: ${shortJson(v)}`);
      if (ce.eigenvector) lines.push(`        eigenvector: ${shortJson(ce.eigenvector)}`);
    }
  }
  const count = (v: string): number => o.claims.filter((c) => c.verdict === v).length;
  lines.push(`  ${o.claims.length} claims: ${count('proved')} proved, ${count('holds')} hold, ${count('refuted')} refuted, ${count('inconclusive')} inconclusive  (seed ${o.seed}, budget ${o.budget}, ${o.backend} on ${o.device})`);
  return lines.join('\n');
}

/** A one-line progress bar on a terminal. */
export function progressBar(write: (s: string) => void): { update: (p: ProgressParams, claims: number) => void; done: () => void } {
  let shown = false;
  return {
    update(p, claims) {
      const frac = (p.claim + p.done / Math.max(p.total, 1)) / Math.max(claims, 1);
      const width = 30;
      const filled = Math.round(frac * width);
      write(`\r${'█'.repeat(filled)}${'░'.repeat(width - filled)} claim ${Math.min(p.claim + 1, claims)}/${claims} ${p.token ?? ''}`);
      shown = true;
    },
    done() {
      if (shown) write('\r\x1b[K');
    },
  };
}

export function writeReport(path: string, outcomes: FileOutcome[], mediaDir: string): void {
  writeFileSync(path, renderReport(outcomes, mediaDir));
}

