/**
 * Hovers: over `grad`/`hess`, the loss name or a `let` name, the derived expression as math (an
 * SVG image rendered by MathJax, or a LaTeX block when too large); over a claim, its last verdict.
 */
import * as vscode from 'vscode';
import { derivativesSummary } from '../app/runClaims';
import { formatCounterexample } from '../app/text';
import { LATEX, printBundle } from '../symbolic/print';
import type { Ctx } from './ctx';
import { MAX_TEX_LENGTH, svgDataUri, texToSvg } from './texSvg';

function mathMarkdown(md: vscode.MarkdownString, tex: string): void {
  const dark =
    vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.Dark ||
    vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.HighContrast;
  const svg = tex.length <= MAX_TEX_LENGTH ? texToSvg(tex, dark ? '#d4d4d4' : '#1e1e1e') : undefined;
  if (svg) md.appendMarkdown(`![${tex.length > 80 ? 'formula' : tex.replace(/[[\]]/g, '')}](${svgDataUri(svg)})\n\n`);
  else md.appendCodeblock(tex, 'latex');
}

export function registerHover(ctx: Ctx): void {
  const provider: vscode.HoverProvider = {
    provideHover(doc, position) {
      const state = ctx.analysisOf(doc);
      const md = new vscode.MarkdownString();
      const wordRange = doc.getWordRangeAtPosition(position, /[A-Za-z][A-Za-z0-9_]*|∇/);
      const word = wordRange ? doc.getText(wordRange) : '';
      const offset = doc.offsetAt(position);
      const loaded = state.loaded;
      if (loaded) {
        const d = derivativesSummary(loaded);
        const L = loaded.lowered.lossName;
        if (word === 'grad' || word === '∇' || word === 'hess') {
          const order = word === 'hess' || doc.getText(new vscode.Range(position, position.translate(0, 3))).includes('²') ? 2 : 1;
          md.appendMarkdown(order === 1 ? `**Gradient of ${L}**\n\n` : `**Hessian of ${L}**\n\n`);
          for (const g of order === 1 ? d.grad : d.hess)
            mathMarkdown(
              md,
              order === 1 ? `\\nabla_{${g.wrt}} ${L} = ${g.latex}` : `\\nabla^2_{${(g.wrt as string[]).join(',')}} ${L} = ${g.latex}`,
            );
          for (const def of d.definitions) mathMarkdown(md, def.latex);
        } else if (word === L) {
          md.appendMarkdown(`**loss ${L}**\n\n`);
          mathMarkdown(md, `${L} = ${d.loss.latex}`);
          for (const g of d.grad) mathMarkdown(md, `\\nabla_{${g.wrt}} ${L} = ${g.latex}`);
        } else if (loaded.lowered.lets.has(word)) {
          const node = loaded.lowered.lets.get(word)!;
          const names = new Map([...loaded.lowered.graph.names].filter(([id]) => id !== node.id));
          md.appendMarkdown(`**let ${word}**\n\n`);
          mathMarkdown(md, `${word} = ${printBundle(LATEX, [node], names).roots[0]}`);
        }
      }
      const claimIndex = state.analysis.program.claims.findIndex((c) => c.span.start <= offset && offset <= c.span.end);
      const verdicts = ctx.verdictsOf(doc.uri);
      const outcome = claimIndex >= 0 ? verdicts?.outcome.claims.find((c) => c.claimIndex === claimIndex) : undefined;
      if (outcome) {
        const stale = verdicts!.version !== doc.version ? ' (the file changed since this run)' : '';
        md.appendMarkdown(`**${outcome.verdict}**${stale}: ${outcome.summary}\n\n`);
        const evidence = Object.entries(outcome.evidence)
          .map(([k, v]) => `${k} = ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`)
          .join(', ');
        md.appendMarkdown(`${evidence}\n\n`);
        const ce = formatCounterexample(outcome, '');
        if (ce.length) md.appendCodeblock(ce.join('\n'), 'text');
      }
      return md.value ? new vscode.Hover(md, wordRange) : undefined;
    },
  };
  ctx.extension.subscriptions.push(vscode.languages.registerHoverProvider({ language: 'derivlens' }, provider));
}
