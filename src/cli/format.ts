/** Terminal output of `derivlens check`: verdict lines, counterexamples, a progress bar. */
import { writeFileSync } from 'node:fs';
import type { FileOutcome } from '../app/check';
import { renderReport } from '../app/report';
import type { JsonValue, ProgressParams } from '../numeric/protocol';

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

export function writeReport(path: string, outcomes: FileOutcome[], assetsDir: string): void {
  writeFileSync(path, renderReport(outcomes, assetsDir));
}
