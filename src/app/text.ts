/** Plain-text rendering of check outcomes: verdict lines with counterexamples and a summary. */
import type { JsonValue } from '../numeric/protocol';
import type { ClaimOutcome, FileOutcome } from './runClaims';
import type { SweepOutcome } from './sweep';

const MARK: Record<string, string> = { proved: '✓ proved', holds: '✓ holds', refuted: '✗ refuted', inconclusive: '? inconclusive' };

function shortJson(v: JsonValue): string {
  const flat = Array.isArray(v) ? v.flat() : [v];
  const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));
  if (!Array.isArray(v)) return fmt(v);
  const shown = flat.slice(0, 8).map(fmt).join(', ');
  const more = flat.length > 8 ? `, … (${flat.length} entries)` : '';
  return Array.isArray(v[0]) ? `[[${shown}${more}]] (${v.length}×${(v[0] as number[]).length})` : `[${shown}${more}]`;
}

/** The counterexample of a claim as indented lines (empty when there is none). */
export function formatCounterexample(c: ClaimOutcome, indent = '        '): string[] {
  const ce = c.counterexample;
  if (!ce) return [];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(ce.point)) lines.push(`${indent}${k} = ${shortJson(v)}`);
  if (ce.other) for (const [k, v] of Object.entries(ce.other)) lines.push(`${indent}${k}' = ${shortJson(v)}`);
  for (const [k, v] of Object.entries(ce.values)) lines.push(`${indent}${k}: ${shortJson(v)}`);
  if (ce.eigenvector) lines.push(`${indent}eigenvector: ${shortJson(ce.eigenvector)}`);
  return lines;
}

export function formatOutcome(o: FileOutcome): string {
  const lines: string[] = [`${o.file}`];
  for (const c of o.claims) {
    lines.push(`  ${o.file}:${c.line}: ${MARK[c.verdict]}  ${c.text}`);
    lines.push(`      ${c.summary}`);
    if (c.outsideDomain) lines.push(`      ⚠ ${c.outsideDomain}`);
    if (c.counterexample) lines.push('      counterexample:', ...formatCounterexample(c));
  }
  const count = (v: string): number => o.claims.filter((c) => c.verdict === v).length;
  const tally = `${count('proved')} proved, ${count('holds')} hold, ${count('refuted')} refuted, ${count('inconclusive')} inconclusive`;
  lines.push(`  ${o.claims.length} claims: ${tally}  (seed ${o.seed}, budget ${o.budget}, ${o.backend} on ${o.device})`);
  return lines.join('\n');
}

/** A sweep as a table per claim: grid values, observed, claimed, slack; then the fitted growth. */
export function formatSweep(s: SweepOutcome): string {
  const lines = [
    `sweep of ${s.file} over ${s.grid.names.map((n, k) => `${n} in [${s.grid.values[k]!.join(', ')}]`).join(', ')} (seed ${s.seed})`,
  ];
  for (const c of s.claims) {
    lines.push(`  line ${c.line}: ${c.text}   [${c.quantity}]`);
    lines.push(
      `    ${s.grid.names.map((n) => n.padStart(8)).join('')}${'observed'.padStart(14)}${'claimed'.padStart(14)}${'slack'.padStart(10)}`,
    );
    for (const p of c.points) {
      const slack = c.direction === 'upper' ? p.claimed / p.observed : p.observed / p.claimed;
      const bad = c.direction === 'upper' ? p.observed > p.claimed : p.observed < p.claimed;
      const at = s.grid.names.map((n) => String(p.at[n]).padStart(8)).join('');
      const slackText = (Number.isFinite(slack) ? `${slack.toPrecision(3)}×` : '—').padStart(10);
      const numbers = `${p.observed.toPrecision(5).padStart(14)}${p.claimed.toPrecision(5).padStart(14)}${slackText}`;
      lines.push(`    ${at}${numbers}${bad ? '  ✗ violated' : ''}`);
    }
    lines.push(`    ${c.conclusion}`);
  }
  for (const f of s.failures)
    lines.push(
      `  not checked at ${Object.entries(f.at)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}: ${f.reason}`,
    );
  return lines.join('\n');
}
