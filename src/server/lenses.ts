/**
 * What the verdict store shows in the editor: a code lens per claim that type-checks (▶ Check,
 * queued, checking… with its progress, or the verdict) and a Problems entry per refuted or
 * inconclusive claim with its counterexample.
 */
import { type CodeLens, type Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentAnalysis } from '../analysis/document';
import { SERVER_COMMANDS } from './ext';
import { type VerdictStore, claimMessage } from './verdicts';

const LABEL: Record<string, string> = { proved: '✓ proved', holds: '✓ holds', refuted: '✗ refuted', inconclusive: '? inconclusive' };

export function codeLenses(
  doc: DocumentAnalysis,
  uri: string,
  store: VerdictStore,
  options: { trusted: boolean; clientCommands: ReadonlySet<string> },
): CodeLens[] {
  const commands = options.clientCommands;
  // A client that runs the commands itself (VS Code: with progress, Test Explorer, the report) gets
  // its own; any other client gets the server's check command for every lens.
  const checkCommand = (index: number) =>
    commands.has('derivlens.checkClaim')
      ? { command: 'derivlens.checkClaim', arguments: [uri, index] }
      : { command: SERVER_COMMANDS.check, arguments: [uri, [index]] };
  return store.views(uri, doc).map((v): CodeLens => {
    let title: string;
    let command = checkCommand(v.index);
    if (!options.trusted) title = '▶ Check (trust the workspace to run checks)';
    else if (v.status === 'queued') title = '$(clock) queued';
    else if (v.status === 'running') title = `$(sync~spin) checking…${v.progress !== undefined ? ` ${Math.round(100 * v.progress)}%` : ''}`;
    else if (v.status === 'done' && v.verdict) {
      const o = store.outcome(
        uri,
        doc.claims.find((c) => c.index === v.index)!,
        doc,
      );
      const count = o?.evidence['points'] ?? o?.evidence['pairs'];
      const unit = o?.evidence['points'] !== undefined ? 'points' : 'pairs';
      title = `${LABEL[v.verdict]}${v.verdict === 'holds' && typeof count === 'number' ? ` (${count} ${unit})` : ''}`;
      if (commands.has('derivlens.showReport')) command = { command: 'derivlens.showReport', arguments: [uri, v.index] };
    } else if (v.status === 'failed') title = '▶ Check (the last check stopped)';
    else if (doc.blocked) title = '▶ Check (fix the errors first)';
    else title = v.edited ? '▶ Check (edited since the last run)' : '▶ Check';
    return { range: { start: { line: v.line, character: 0 }, end: { line: v.line, character: 0 } }, command: { title, ...command } };
  });
}

/** Refuted (errors) and inconclusive (warnings) claims, linked to the client's text report when it has one. */
export function verdictDiagnostics(
  doc: DocumentAnalysis,
  td: TextDocument,
  store: VerdictStore,
  path: string,
  reportScheme?: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of doc.claims) {
    const r = store.get(td.uri, c.fingerprint);
    const o = r?.status === 'done' ? r.outcome : undefined;
    if (!o || (o.verdict !== 'refuted' && o.verdict !== 'inconclusive')) continue;
    const line = td.positionAt(c.span.start).line;
    const text = td.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
    const report = reportScheme
      ? [
          {
            location: {
              uri: `${reportScheme}:${encodeURI(path)}.report.txt?${encodeURIComponent(td.uri)}`,
              range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
            },
            message: 'full report with every claim and counterexample',
          },
        ]
      : [];
    out.push({
      range: { start: { line, character: 0 }, end: { line, character: text.length } },
      message: claimMessage(o),
      severity: o.verdict === 'refuted' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: `claim-${o.verdict}`,
      source: 'derivlens',
      ...(report.length ? { relatedInformation: report } : {}),
    });
  }
  return out;
}
