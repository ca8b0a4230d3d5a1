/** What the report's HTML shares with its shells (the CLI's file, the webview): the stylesheet and claim anchors. */

export function claimAnchor(fileIndex: number, claimIndex: number): string {
  return `f${fileIndex}-claim-${claimIndex + 1}`;
}

/** Colours come from VS Code's theme variables inside the webview, with fallbacks for the file. */
export const REPORT_STYLE = `
:root { color-scheme: light dark;
  --fg: var(--vscode-editor-foreground, #1b1b1f);
  --bg: var(--vscode-editor-background, #fdfdfd);
  --muted: var(--vscode-descriptionForeground, #666);
  --card: var(--vscode-editorWidget-background, #f3f4f6);
  --ok: #2b8a3e;
  --bad: #c92a2a;
  --unk: #e67700;
  --line: var(--vscode-panel-border, #ccc);
  }
@media (prefers-color-scheme: dark) { :root { --fg: var(--vscode-editor-foreground, #e6e6e6);
  --bg: var(--vscode-editor-background, #17181c);
  --muted: var(--vscode-descriptionForeground, #a0a0a0);
  --card: var(--vscode-editorWidget-background, #23252b);
  --line: var(--vscode-panel-border, #444);
  } }
button { background: var(--vscode-button-background, #2f6fde); color: var(--vscode-button-foreground, #fff); border: none; padding: 3px 10px; margin-right: 6px; border-radius: 2px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground, #2559b8); }
.actions { margin: .3em 0; }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); max-width: 1100px; margin: 2em auto; padding: 0 1em; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: .3em 0; }
.meta { color: var(--muted); }
.claim { background: var(--card); border-left: 4px solid var(--line); padding: .5em 1em; margin: 1em 0; border-radius: 4px; }
.claim.refuted { border-color: var(--bad); } .claim.holds, .claim.proved { border-color: var(--ok); } .claim.inconclusive { border-color: var(--unk); }
.badge { color: #fff; padding: 1px 8px; border-radius: 10px; font-size: 12px; text-transform: uppercase; }
.badge.proved, .badge.holds { background: var(--ok); } .badge.refuted { background: var(--bad); } .badge.inconclusive { background: var(--unk); }
.evidence th { text-align: left; font-weight: normal; color: var(--muted); padding-right: 1em; }
p.domain { color: var(--unk); }
pre.ce { max-height: 16em; overflow: auto; font-size: 12px; }
.plots { display: flex; flex-wrap: wrap; gap: 8px; }
svg.plot { background: var(--bg); font-size: 10px; fill: var(--fg); }
svg.plot .frame { fill: none; stroke: var(--line); } svg.plot .grid { stroke: var(--line); stroke-dasharray: 2 3; }
svg.plot .ref { stroke: var(--bad); stroke-dasharray: 6 3; } svg.plot .reflabel { fill: var(--bad); } svg.plot .title { font-size: 12px; font-weight: 600; }
`;
