/**
 * The report as HTML: KaTeX-rendered math, every claim with its verdict, evidence and
 * counterexample, and SVG plots. Two shells share the body: a self-contained file for the CLI (no
 * scripts, KaTeX CSS and fonts inlined) and the VS Code webview (buttons, theme colours).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Katex from 'katex';
import type { Plot } from '../numeric/protocol';
import type { ClaimOutcome, FileOutcome } from './runClaims';
import { REPORT_STYLE, claimAnchor } from './reportStyle';
import type { SweepOutcome } from './sweep';
import { formatCounterexample } from './text';

export { REPORT_STYLE, claimAnchor };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

let katexModule: typeof Katex | undefined;

/**
 * KaTeX on first use: loading it took 30–55 ms, and only reports need it. The CLI bundle leaves it
 * in node_modules (scripts/build.mjs); the server and extension bundles include its CommonJS build,
 * which esbuild wraps to run on this first `require` (a static import ran it at load).
 */
function katex(): typeof Katex {
  return (katexModule ??= require('katex') as typeof Katex);
}

/** TeX to HTML; an error renders as the escaped source inside the same box, never breaking the page. */
export function tex(source: string, display = true): string {
  return katex().renderToString(source, {
    displayMode: display,
    throwOnError: false,
    trust: false,
    maxExpand: 1000,
    strict: 'ignore',
    output: 'html',
  });
}

const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#1098ad', '#5c940d', '#e67700'];

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) out.push(e);
    const step = Math.max(1, Math.ceil(out.length / 6));
    return out.filter((_, i) => i % step === 0);
  }
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12 * span; t += step) out.push(t);
  return out;
}

export function svgPlot(p: Plot): string {
  const W = 460;
  const H = 260;
  const m = { l: 64, r: 16, t: 28, b: 44 };
  const tx = (v: number): number => (p.logX ? Math.log10(v) : v);
  const ty = (v: number): number => (p.logY ? Math.log10(Math.max(v, 1e-300)) : v);
  const pts = p.series
    .flatMap((s) => s.x.map((x, i) => [tx(x), ty(s.y[i]!)] as const))
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (p.reference && Number.isFinite(ty(p.reference.y))) pts.push([pts[0]?.[0] ?? 0, ty(p.reference.y)]);
  if (pts.length === 0) return `<div class="noplot">${esc(p.title)}: no finite data</div>`;
  let [x0, x1] = [Math.min(...pts.map((q) => q[0])), Math.max(...pts.map((q) => q[0]))];
  let [y0, y1] = [Math.min(...pts.map((q) => q[1])), Math.max(...pts.map((q) => q[1]))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const X = (v: number): number => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number): number => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const fmt = (v: number, log: boolean): string =>
    log ? `1e${v}` : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
  const parts: string[] = [];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" class="frame"/>`);
  for (const t of ticks(x0, x1, !!p.logX))
    parts.push(
      `<line x1="${X(t)}" x2="${X(t)}" y1="${m.t}" y2="${H - m.b}" class="grid"/><text x="${X(t)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(t, !!p.logX)}</text>`,
    );
  for (const t of ticks(y0, y1, !!p.logY))
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" class="grid"/><text x="${m.l - 4}" y="${Y(t) + 4}" text-anchor="end">${fmt(t, !!p.logY)}</text>`,
    );
  if (p.reference && Number.isFinite(ty(p.reference.y))) {
    const y = Y(ty(p.reference.y));
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" class="ref"/>` +
        `<text x="${W - m.r - 4}" y="${y - 4}" text-anchor="end" class="reflabel">${esc(p.reference.label)}</text>`,
    );
  }
  let colour = -1;
  p.series.forEach((s, k) => {
    if (!s.dashed) colour++;
    const c = COLORS[colour % COLORS.length];
    const xy = s.x.map((x, i) => [tx(x), ty(s.y[i]!)] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    const sorted = s.x.every((v, i) => i === 0 || v >= s.x[i - 1]!) || s.x.every((v, i) => i === 0 || v <= s.x[i - 1]!);
    if (sorted && xy.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${xy.map(([a, b]) => `${X(a).toFixed(1)},${Y(b).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [a, b] of xy) parts.push(`<circle cx="${X(a).toFixed(1)}" cy="${Y(b).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(`<text x="${m.l + 8}" y="${m.t + 14 + 13 * k}" fill="${c}">${esc(s.label)}</text>`);
  });
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="title">${esc(p.title)}</text>`);
  parts.push(`<text x="${(W + m.l) / 2}" y="${H - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  return `<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(p.title)}">${parts.join('')}</svg>`;
}

export interface BodyOptions {
  /** Webview: add copy / re-run / reveal buttons (wired by media/report.js). */
  interactive?: boolean;
}

function claimHtml(c: ClaimOutcome, id: string, fileIndex: number, opts: BodyOptions): string {
  const evidence = Object.entries(c.evidence)
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : v)}</td></tr>`,
    )
    .join('');
  let ce = '';
  if (c.counterexample) {
    const json = JSON.stringify(c.counterexample, null, 1);
    const shown = json.length > 20000 ? `${json.slice(0, 20000)}\n…` : json;
    // In the editor the button below re-runs the claim at this point; the file report names the CLI.
    const how = opts.interactive ? '' : ' (reproduce with <code>derivlens eval FILE --data point.json --at point.json</code>)';
    // Matrices as matrices (with their shapes) first; the JSON below is what `eval` reads back.
    const matrices = formatCounterexample(c, '').join('\n');
    ce = `<details open><summary>Counterexample${how}</summary><pre class="ce">${esc(matrices)}</pre><pre class="ce">${esc(shown)}</pre></details>`;
  }
  const domain = c.outsideDomain ? `<p class="domain">⚠ ${esc(c.outsideDomain)}</p>` : '';
  const reproduced = c.reproduced
    ? `<p class="reproduced">Re-run at the counterexample: <span class="badge ${c.reproduced.verdict}">${c.reproduced.verdict}</span> ${esc(c.reproduced.summary)}</p>`
    : '';
  const plots = (c.plots ?? []).map(svgPlot).join('');
  const data = `data-file="${fileIndex}" data-claim="${c.claimIndex}" data-line="${c.line}"`;
  const button = (action: string, label: string): string => `<button ${data} data-action="${action}">${label}</button>`;
  const copies = c.counterexample
    ? button('rerun-at-counterexample', 'Re-run at this point') +
      button('copy-json', 'Copy as JSON') +
      button('copy-numpy', 'Copy as NumPy')
    : '';
  const buttons = opts.interactive
    ? `<div class="actions">${button('rerun', 'Re-run')}${button('reveal', 'Show in editor')}${copies}</div>`
    : '';
  return `<section class="claim ${c.verdict}" id="${id}">
<h3><span class="badge ${c.verdict}">${c.verdict}</span> line ${c.line}: <code>${esc(c.text)}</code></h3>${buttons}
<p>${esc(c.summary)}</p>${domain}
<table class="evidence">${evidence}</table>${ce}${reproduced}<div class="plots">${plots}</div></section>`;
}

function fileHtml(o: FileOutcome, k: number, opts: BodyOptions): string {
  const d = o.derivatives;
  const defs = d.definitions.map((x) => tex(x.latex)).join('');
  const grads = d.grad.map((g) => tex(`\\nabla_{${g.wrt}} L = ${g.latex}`)).join('');
  const hess = d.hessBlocks
    ? tex(d.hessBlocks) + d.hess.map((h) => tex(`H_{${h.wrt.join('')}} = ${h.latex}`)).join('')
    : d.hess.map((h) => tex(`\\nabla^2_{${h.wrt.join(',')}} L = ${h.latex}`)).join('');
  const count = (v: string): number => o.claims.filter((c) => c.verdict === v).length;
  const tally = `${count('proved')} proved, ${count('holds')} hold, <b>${count('refuted')} refuted</b>, ${count('inconclusive')} inconclusive`;
  const meta = o.backend
    ? `seed ${o.seed} · budget ${esc(String(o.budget))} · ${esc(o.backend)} on ${esc(o.device)} · ${tally}`
    : 'not checked yet';
  const exportButton = (format: string, label: string): string => `<button data-action="export" data-format="${format}">${label}</button>`;
  const actions = opts.interactive
    ? ` <button data-file="${k}" data-action="rerun-all">Check all claims</button>` +
      exportButton('latex', 'Export LaTeX') +
      exportButton('numpy', 'Export NumPy') +
      exportButton('jax', 'Export JAX')
    : '';
  return `<article><h2>${esc(o.file)}</h2>
<p class="meta">${meta}${actions}</p>
<h3>Loss</h3>${tex(`L = ${d.loss.latex}`)}<h3>Gradient</h3>${grads}<h3>Hessian</h3>${hess}${defs ? `<h3>where</h3>${defs}` : ''}
${o.claims.length ? `<h3>Claims</h3>${o.claims.map((c) => claimHtml(c, claimAnchor(k, c.claimIndex), k, opts)).join('')}` : ''}</article>`;
}

/** The KaTeX stylesheet with its fonts inlined as data: URIs (prepared by the build). */
function katexCss(assetsDir: string): string {
  return readFileSync(join(assetsDir, 'katex-inline.css'), 'utf8');
}

export function reportBody(outcomes: FileOutcome[], opts: BodyOptions = {}): string {
  return outcomes.map((o, k) => fileHtml(o, k, opts)).join('');
}

/** Log-log plots of observed and claimed values against each swept name. */
export function sweepHtml(s: SweepOutcome): string {
  const sections = s.claims.map((c) => {
    const plots = s.grid.names.map((name) => {
      const others = s.grid.names.filter((n) => n !== name);
      const groups = new Map<string, typeof c.points>();
      for (const p of c.points) {
        const key = others.map((o) => `${o}=${p.at[o]}`).join(', ');
        groups.set(key, [...(groups.get(key) ?? []), p]);
      }
      const positive = c.points.every((p) => p.observed > 0 && p.claimed > 0);
      const series = [...groups].flatMap(([key, pts]) => {
        const sorted = [...pts].sort((a, b) => a.at[name]! - b.at[name]!);
        const suffix = key ? ` (${key})` : '';
        return [
          { label: `observed${suffix}`, x: sorted.map((p) => p.at[name]!), y: sorted.map((p) => p.observed) },
          { label: `claimed${suffix}`, x: sorted.map((p) => p.at[name]!), y: sorted.map((p) => p.claimed), dashed: true },
        ];
      });
      return svgPlot({
        title: `${c.quantity} vs ${name}`,
        xLabel: name,
        yLabel: c.quantity,
        logX: s.grid.values[s.grid.names.indexOf(name)]!.every((v) => v > 0),
        logY: positive,
        series,
      });
    });
    const [state, badge] = c.violatedAt ? ['refuted', 'violated'] : ['holds', 'holds'];
    const heading = `<h3><span class="badge ${state}">${badge}</span> line ${c.line}: <code>${esc(c.text)}</code></h3>`;
    return `<section class="claim ${state}">${heading}<p>${esc(c.conclusion)}</p><div class="plots">${plots.join('')}</div></section>`;
  });
  const grid = s.grid.names.map((n, k) => `${esc(n)} ∈ [${s.grid.values[k]!.join(', ')}]`).join(' · ');
  return `<article><h2>Sweep of ${esc(s.file)}</h2><p class="meta">${grid} · seed ${s.seed}</p>${sections.join('')}</article>`;
}

/** The self-contained file written by `derivlens check --html`. */
export function renderReport(outcomes: FileOutcome[], assetsDir: string, sweeps: SweepOutcome[] = []): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">
<title>DerivLens report</title><style>${katexCss(assetsDir)}</style><style>${REPORT_STYLE}</style></head>
<body><h1>DerivLens report</h1>${reportBody(outcomes)}${sweeps.map(sweepHtml).join('')}</body></html>`;
}
