/** Plain-text rendering of check outcomes: verdict lines with counterexamples and a summary. */
import type { JsonValue } from '../numeric/protocol';
import type { ClaimOutcome, FileOutcome } from './runClaims';
import type { SweepOutcome } from './sweep';

const MARK: Record<string, string> = { proved: '✓ proved', holds: '✓ holds', refuted: '✗ refuted', inconclusive: '? inconclusive' };

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

/** Rows and columns shown of a matrix value; the rest is elided with its count. */
const SHOWN = 6;

/**
 * A value as text lines: a scalar or vector on one line, a matrix (rows of JSON, row-major) as its
 * rows, aligned, under its shape — the same orientation as the data it was computed from.
 */
export function valueLines(v: JsonValue): string[] {
  if (!Array.isArray(v)) return [fmt(v as number)];
  if (!Array.isArray(v[0])) {
    const flat = v as number[];
    const more = flat.length > 2 * SHOWN ? `, … (${flat.length} entries)` : '';
    return [
      `[${flat
        .slice(0, 2 * SHOWN)
        .map(fmt)
        .join(', ')}${more}]`,
    ];
  }
  const rows = v as number[][];
  const cols = rows[0]!.length;
  const cells = rows.slice(0, SHOWN).map((r) => [...r.slice(0, SHOWN).map(fmt), ...(cols > SHOWN ? ['…'] : [])]);
  const width = Math.max(...cells.flat().map((c) => c.length));
  const lines = cells.map((r) => `[${r.map((c) => c.padStart(width)).join('  ')}]`);
  if (rows.length > SHOWN) lines.push(`… (${rows.length - SHOWN} more rows)`);
  return [`(${rows.length}×${cols})`, ...lines];
}

function valueText(label: string, v: JsonValue, indent: string): string[] {
  const [first, ...rest] = valueLines(v);
  return [`${indent}${label}${first}`, ...rest.map((l) => `${indent}  ${l}`)];
}

/** The counterexample of a claim as indented lines (empty when there is none). */
export function formatCounterexample(c: ClaimOutcome, indent = '        '): string[] {
  const ce = c.counterexample;
  if (!ce) return [];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(ce.point)) lines.push(...valueText(`${k} = `, v, indent));
  if (ce.other) for (const [k, v] of Object.entries(ce.other)) lines.push(...valueText(`${k}' = `, v, indent));
  // `shape` is the common shape of lhs and rhs, shown with each matrix already.
  for (const [k, v] of Object.entries(ce.values)) if (k !== 'shape') lines.push(...valueText(`${k}: `, v, indent));
  if (ce.eigenvector) lines.push(...valueText('eigenvector: ', ce.eigenvector, indent));
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
