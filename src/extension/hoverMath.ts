/**
 * Hover middleware: the server sends math as ```latex fences (portable to every editor); VS Code's
 * hover sanitiser strips KaTeX/MathJax HTML but shows images, so each fence becomes a data: SVG
 * drawn by MathJax in the theme's text colour. Formulas too large to draw stay as LaTeX.
 */
import * as vscode from 'vscode';
import { MAX_TEX_LENGTH, svgDataUri, texToSvg } from './texSvg';

const FENCE = /```latex\n([\s\S]*?)\n```/g;

function withMath(value: string): string {
  const dark =
    vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.Dark ||
    vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.HighContrast;
  return value.replace(FENCE, (fence, tex: string) => {
    const svg = tex.length <= MAX_TEX_LENGTH ? texToSvg(tex, dark ? '#d4d4d4' : '#1e1e1e') : undefined;
    return svg ? `![${tex.length > 80 ? 'formula' : tex.replace(/[[\]]/g, '')}](${svgDataUri(svg)})` : fence;
  });
}

export function renderHoverMath(hover: vscode.Hover | null | undefined): vscode.Hover | null | undefined {
  if (!hover) return hover;
  const contents = hover.contents.map((c) => {
    const value = typeof c === 'string' ? c : 'value' in c ? c.value : '';
    return value.includes('```latex') ? new vscode.MarkdownString(withMath(value)) : c;
  });
  return new vscode.Hover(contents, hover.range);
}
