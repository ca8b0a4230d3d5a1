/**
 * TeX → SVG with MathJax, for hovers: VS Code's hover sanitiser strips KaTeX/MathJax HTML, but it
 * shows images, so math goes in as a data: SVG. Only TeX that DerivLens printed itself is rendered.
 */
import { mathjax } from 'mathjax-full/js/mathjax.js';
import { TeX } from 'mathjax-full/js/input/tex.js';
import { SVG } from 'mathjax-full/js/output/svg.js';
import { liteAdaptor } from 'mathjax-full/js/adaptors/liteAdaptor.js';
import { RegisterHTMLHandler } from 'mathjax-full/js/handlers/html.js';
import { AllPackages } from 'mathjax-full/js/input/tex/AllPackages.js';

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const document = mathjax.document('', {
  InputJax: new TeX({ packages: AllPackages.filter((p: string) => p !== 'require' && p !== 'autoload') }),
  OutputJax: new SVG({ fontCache: 'local' }),
});

/** Larger formulas fall back to a LaTeX code block. */
export const MAX_TEX_LENGTH = 1200;

/** An `<svg>` string for the formula, coloured with `color`; undefined if MathJax reports an error. */
export function texToSvg(tex: string, color: string): string | undefined {
  const node = document.convert(tex, { display: true });
  const svg = adaptor.innerHTML(node);
  if (svg.includes('data-mjx-error') || svg.includes('merror')) return undefined;
  return svg.replace(/currentColor/g, color);
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
