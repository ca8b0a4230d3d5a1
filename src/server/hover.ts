/**
 * Hover content: derived math over `grad`/`hess`/`∇`, the loss and `let` names (as LaTeX in
 * ```latex fences: the VS Code client draws them as SVG, other editors show the TeX); the
 * declaration of any other name; a built-in function's signature; and over a claim its status or
 * last verdict with the evidence and counterexample.
 */
import { BUILTIN_BY_NAME } from '../analysis/builtins';
import type { DocumentAnalysis } from '../analysis/document';
import { occurrenceAt } from '../analysis/symbols';
import type { Span } from '../language/diagnostics';
import { derivativesSummary } from '../app/runClaims';
import { LATEX, printBundle } from '../symbolic/print';
import type { ClaimRecord } from './verdicts';
import { claimMessage } from './verdicts';

const math = (tex: string): string => `\`\`\`latex\n${tex}\n\`\`\`\n\n`;

function evidenceLine(evidence: Record<string, number | string>): string {
  return Object.entries(evidence)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`)
    .join(', ');
}

export function hoverMarkdown(
  doc: DocumentAnalysis,
  offset: number,
  record: (fingerprint: string) => ClaimRecord | undefined,
): { markdown: string; span?: Span } | undefined {
  let md = '';
  let span: Span | undefined;
  const token = doc.tokens.at(offset);
  const loaded = doc.checkable;
  // Printing every derivative costs more than the rest of a hover: only where math is shown.
  const derived = () =>
    loaded
      ? derivativesSummary({
          path: '',
          text: doc.text,
          analysis: doc.analysis,
          program: doc.analysis.program,
          lowered: loaded.lowered,
          derivatives: loaded.derivatives,
        })
      : undefined;
  const L = loaded?.lowered.lossName;
  if (token?.kind === 'ident' && (token.text === 'grad' || token.text === 'hess')) {
    span = token.span;
    const next = doc.tokens.within({ start: token.span.end, end: token.span.end + 3 });
    const order = token.text === 'hess' || next[0]?.text === '2' || (next[0]?.text === '^' && next[1]?.text === '2') ? 2 : 1;
    const summary = derived();
    if (summary && L) {
      md += order === 1 ? `**Gradient of ${L}**\n\n` : `**Hessian of ${L}**\n\n`;
      for (const g of order === 1 ? summary.grad : summary.hess)
        md += math(order === 1 ? `\\nabla_{${g.wrt}} ${L} = ${g.latex}` : `\\nabla^2_{${(g.wrt as string[]).join(',')}} ${L} = ${g.latex}`);
      for (const def of summary.definitions) md += math(def.latex);
    } else md += `**${order === 1 ? 'Gradient' : 'Hessian'}**: ${doc.blocked?.message ?? 'the file has errors'}\n\n`;
  } else {
    const o = occurrenceAt(doc.symbols, offset);
    const builtin = doc.symbols.builtinCalls.find((b) => b.span.start <= offset && offset <= b.span.end);
    if (o) {
      span = o.span;
      const s = o.symbol;
      md += `**${s.kind}** \`${s.detail.replace(/^\w+ /, '')}\`\n\n`;
      const summary = s.kind === 'loss' ? derived() : undefined;
      if (s.kind === 'loss' && summary && L) {
        md += math(`${L} = ${summary.loss.latex}`);
        for (const g of summary.grad) md += math(`\\nabla_{${g.wrt}} ${L} = ${g.latex}`);
      } else if (s.kind === 'let' && loaded?.lowered.lets.has(s.name)) {
        const node = loaded.lowered.lets.get(s.name)!;
        const names = new Map([...loaded.lowered.graph.names].filter(([id]) => id !== node.id));
        md += math(`${s.name} = ${printBundle(LATEX, [node], names, undefined, loaded.lowered.graph.declaredNames).roots[0]}`);
      }
      const comment = trailingComment(doc.text, s.nameSpan.start);
      if (comment && s.kind !== 'param' && s.kind !== 'index') md += `${comment}\n\n`;
    } else if (builtin) {
      span = builtin.span;
      const b = BUILTIN_BY_NAME.get(builtin.name);
      if (b) md += `**function** \`${b.name}(${b.params.join(', ')})\`: ${b.summary}\n\n`;
    }
  }
  const claim = doc.claims.find((c) => c.span.start <= offset && offset <= c.span.end);
  if (claim) {
    const r = record(claim.fingerprint);
    if (r?.status === 'queued') md += '**queued**: waiting for the worker\n\n';
    else if (r?.status === 'running') md += `**checking…**${r.progress !== undefined ? ` ${Math.round(100 * r.progress)}%` : ''}\n\n`;
    else if (r?.status === 'failed') md += `**not checked**: ${r.failure}\n\n`;
    const o = r?.outcome;
    if (o && r?.status !== 'failed') {
      const [first, ...rest] = claimMessage(o).split('\ncounterexample:\n');
      md += `**${o.verdict}**: ${first!.replace(/^\w+: /, '')}\n\n${evidenceLine(o.evidence)}\n\n`;
      if (rest.length) md += `counterexample:\n\`\`\`text\n${rest.join('\n')}\n\`\`\`\n\n`;
      if (r.reproduced) md += `re-run at the counterexample: **${r.reproduced.verdict}**: ${r.reproduced.summary}\n\n`;
    }
  }
  return md ? { markdown: md.trimEnd(), ...(span ? { span } : {}) } : undefined;
}

/** The `# comment` at the end of the line holding `offset`, if any. */
function trailingComment(text: string, offset: number): string | undefined {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end < 0 ? text.length : end);
  const m = /(?:^|[^\\])[#%]\s*(.*)$/.exec(line);
  return m?.[1]?.trim() || undefined;
}
