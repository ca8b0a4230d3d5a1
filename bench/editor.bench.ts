/**
 * The editor on a 5,000-line .loss file (the typing benchmark's file: a 20-layer chain of lets,
 * 1,600 claims, comments). In process: the editor analysis per keystroke (parse, check, lower,
 * differentiate, symbols, claims and fingerprints), semantic tokens, formatting the whole file.
 * Through the language server (`dist/server.js --stdio`, a real LSP client): the time from a
 * keystroke (didChange) to its diagnostics, debounce included. Target: < 300 ms per keystroke.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createProtocolConnection } from 'vscode-languageserver-protocol/node';
import { analyzeDocument } from '../src/analysis/document';
import { formatDocument } from '../src/analysis/format';
import { highlightTokens } from '../src/analysis/highlight';

const lines = ['dim n = 16, d = 8', 'given A : R^{n x d}', 'given b : R^n', 'var x : R^d', 'let u0 = A x'];
for (let i = 1; i < 20; i++) lines.push(`let u${i} = tanh(u${i - 1}) ∘ b + 0.5 u${i - 1}   # layer ${i}`);
lines.push('loss L = 0.5 ||u19 - b||_2^2 + 0.5 ||x||_2^2');
while (lines.length < 5000)
  lines.push(
    lines.length % 3
      ? `# note ${lines.length}: comments and claims make up most of a long file`
      : `claim <u${lines.length % 20}, b> <= ${lines.length}`,
  );
const base = lines.join('\n');
const keystrokes = 'claim ||x||_2 <= 3'.split('');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (f: () => unknown): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

const analysis: number[] = [];
const tokens: number[] = [];
let typed = '';
for (const ch of keystrokes) {
  typed += ch;
  let doc: ReturnType<typeof analyzeDocument> | undefined;
  analysis.push(time(() => (doc = analyzeDocument(`${base}\n${typed}`))));
  tokens.push(time(() => highlightTokens(doc!)));
}
const format = time(() => formatDocument(base));
console.log(
  `editor analysis per keystroke: median ${median(analysis).toFixed(1)} ms (max ${Math.max(...analysis).toFixed(1)} ms); ` +
    `semantic tokens ${median(tokens).toFixed(1)} ms; formatting the whole file ${format.toFixed(0)} ms`,
);

async function throughServer(): Promise<number[]> {
  const child = spawn(process.execPath, [resolve('dist/server.js'), '--stdio']);
  const c = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<number, () => void>();
  c.onNotification('textDocument/publishDiagnostics', (p: { version?: number }) => waiting.get(p.version ?? -1)?.());
  c.onNotification('derivlens/fileState', () => undefined);
  c.onNotification('window/logMessage', () => undefined);
  c.listen();
  await c.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  c.sendNotification('initialized', {});
  const uri = 'file:///bench/long.loss';
  const opened = new Promise<void>((r) => waiting.set(1, r));
  c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'derivlens', version: 1, text: base } });
  await opened;
  const latencies: number[] = [];
  let version = 1;
  let text = base;
  for (const ch of keystrokes) {
    text += ch;
    version++;
    const t0 = performance.now();
    const published = new Promise<void>((r) => waiting.set(version, r));
    c.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    await published;
    latencies.push(performance.now() - t0);
  }
  await c.sendRequest('shutdown');
  c.sendNotification('exit');
  c.dispose();
  return latencies;
}

void throughServer().then((l) => {
  const m = median(l);
  console.log(
    `through the language server, keystroke → diagnostics: median ${m.toFixed(0)} ms (max ${Math.max(...l).toFixed(0)} ms, ` +
      `100 ms of it debounce)  target < 300 ms: ${m < 300 ? 'ok' : 'SLOW'}`,
  );
});
