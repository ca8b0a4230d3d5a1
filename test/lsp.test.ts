/**
 * The language server through the protocol: `node dist/server.js --stdio` driven by a real LSP
 * client (vscode-languageserver-protocol over its pipes), every capability exercised as an editor
 * would — no internal calls. Checks run in the real CPU worker (budget quick, seed 1).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  DocumentHighlight,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  SemanticTokens,
  SignatureHelp,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { analyzeDocument } from '../src/analysis/document';
import { TOKEN_TYPES } from '../src/analysis/highlight';
import type { CheckResult } from '../src/server/ext';
import { LspClient, fileUri, positionOf } from './lspClient';

const SETTINGS = { settings: { budget: 'quick' as const, seed: 1, backend: 'cpu' as const }, reportScheme: 'derivlens-report' };

const FEATURES = `# Softmax least squares
dim n = 6, d = 4
const R = 2
given A : R^{n x d}   with ||A||_2 <= R   # the data matrix
given b : R^n  with b >= 0, sum(b) = 1
var x : R^d with ||x||_2 <= 1
let f = softmax(Ax)
loss L = 0.5 ||f - b||_2^2 + 0.5 ||x||_2^2

claim grad L = A^T (f ∘ (f - b) - <f, f - b> f) + x
claim hess L psd
`;

/** Applies LSP text edits to a text (in reverse order, as a client does). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const offset = (p: { line: number; character: number }): number => {
    const lines = text.split('\n');
    return lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  };
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start)))
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

/** Semantic tokens decoded to [text, type, modifiers]. */
function decode(text: string, tokens: SemanticTokens): [string, string, number][] {
  const lines = text.split('\n');
  const out: [string, string, number][] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < tokens.data.length; i += 5) {
    const [dl, dc, len, type, mods] = tokens.data.slice(i, i + 5) as [number, number, number, number, number];
    line += dl;
    char = dl === 0 ? char + dc : dc;
    out.push([lines[line]!.slice(char, char + len), TOKEN_TYPES[type]!, mods]);
  }
  return out;
}

describe('language server over stdio', () => {
  let lsp: LspClient;
  const uri = fileUri('test-output/lsp/features.loss');
  const at = (needle: string, nth = 0, delta = 0) => ({ textDocument: { uri }, position: positionOf(FEATURES, needle, nth, delta) });

  before(async () => {
    lsp = await LspClient.start(SETTINGS);
    lsp.open(uri, FEATURES);
    await lsp.until('first diagnostics', () => lsp.diagnostics.has(uri));
  });
  after(() => lsp.stop());

  test('diagnostics: none for a correct file; a shape error with its position and code', async () => {
    assert.deepEqual(lsp.diagnostics.get(uri), []);
    const broken = fileUri('test-output/lsp/broken.loss');
    lsp.open(broken, 'dim n = 6, d = 4\ngiven A : R^{n x d}\nvar x : R^n\nloss L = ||A x||_2^2\n');
    const d = await lsp.until('a shape error', () => lsp.diagnostics.get(broken)?.[0]);
    assert.equal(d.code, 'shape-mismatch');
    assert.equal(d.message, 'A x: A is R^{n x d} but x is R^n');
    assert.deepEqual(d.range, { start: { line: 3, character: 11 }, end: { line: 3, character: 14 } });
  });

  test('hover: the derived gradient as LaTeX, a declaration with its shape and comment, a built-in', async () => {
    const grad = await lsp.request<Hover>('textDocument/hover', at('grad L', 0, 1));
    const text = (grad.contents as { value: string }).value;
    assert.match(text, /\*\*Gradient of L\*\*/);
    assert.match(text, /```latex\n\\nabla_\{x\} L = /);
    const given = await lsp.request<Hover>('textDocument/hover', at('A^T', 0, 0));
    assert.match(
      (given.contents as { value: string }).value,
      /\*\*given\*\* `A : R\^\{n x d\} with \|\|A\|\|_2 <= R`[\s\S]*the data matrix/,
    );
    const let_ = await lsp.request<Hover>('textDocument/hover', at('f ∘', 0, 0));
    assert.match((let_.contents as { value: string }).value, /\*\*let\*\* `f : R\^n`[\s\S]*```latex\nf = \\mathrm\{softmax\}/);
    const softmax = await lsp.request<Hover>('textDocument/hover', at('softmax', 0, 2));
    assert.match((softmax.contents as { value: string }).value, /softmax\(v\)/);
  });

  test('completion: statement keywords, names with their shapes, functions, LaTeX commands with Unicode', async () => {
    const probe = fileUri('test-output/lsp/completion.loss');
    const text = `${FEATURES}cl\nclaim grad L = A^T x + \nlet g = \\lan\nclaim grad_ L = x\n`;
    lsp.open(probe, text);
    const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
    const keywords = await lsp.request<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: probe },
      position: positionOf(text, 'cl\n', 0, 2),
    });
    assert.deepEqual(labels(keywords).slice(0, 9), ['dim', 'const', 'given', 'var', 'let', 'loss', 'def', 'claim', 'sweep']);
    const names = await lsp.request<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: probe },
      position: positionOf(text, 'A^T x + \n', 0, 8),
    });
    const byLabel = new Map(names.map((i) => [i.label, i]));
    assert.equal(byLabel.get('A')?.detail, 'given A : R^{n x d} with ||A||_2 <= R');
    assert.equal(byLabel.get('x')?.detail, 'var x : R^d with ||x||_2 <= 1');
    assert.equal(byLabel.get('f')?.detail, 'let f : R^n');
    assert.equal(byLabel.get('n')?.detail, 'dim n = 6');
    assert.ok(byLabel.has('softmax') && byLabel.has('kron') && byLabel.has('lipschitz') && byLabel.has('psd'), labels(names).join(' '));
    const latex = await lsp.request<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: probe },
      position: positionOf(text, '\\lan', 0, 4),
    });
    const langle = latex.find((i) => i.label === '\\langle')!;
    assert.equal(langle.labelDetails?.description, '⟨');
    assert.equal((langle.textEdit as TextEdit).newText, '\\langle');
    assert.deepEqual((langle.textEdit as TextEdit).range.start, positionOf(text, '\\lan'));
    const vars = await lsp.request<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: probe },
      position: positionOf(text, 'grad_ ', 0, 5),
    });
    assert.deepEqual(labels(vars), ['x']);
  });

  test('signature help inside a call names the function and the argument', async () => {
    const probe = fileUri('test-output/lsp/signature.loss');
    const text = `${FEATURES}let k = kron(A, b\n`;
    lsp.open(probe, text);
    const help = await lsp.request<SignatureHelp>('textDocument/signatureHelp', {
      textDocument: { uri: probe },
      position: positionOf(text, 'kron(A, b', 0, 9),
    });
    assert.equal(help.signatures[0]!.label, 'kron(A, B)');
    assert.equal(help.activeParameter, 1);
  });

  test('definition, references and highlights, the A and x of a juxtaposed Ax included', async () => {
    const def = await lsp.request<Location>('textDocument/definition', at('Ax', 0, 1));
    assert.deepEqual(def.range.start, positionOf(FEATURES, 'var x', 0, 4));
    const refs = await lsp.request<Location[]>('textDocument/references', { ...at('A :', 0, 0), context: { includeDeclaration: true } });
    assert.deepEqual(
      refs.map((r) => r.range.start),
      [positionOf(FEATURES, 'A :'), positionOf(FEATURES, '||A||', 0, 2), positionOf(FEATURES, 'Ax'), positionOf(FEATURES, 'A^T')],
    );
    const highlights = await lsp.request<DocumentHighlight[]>('textDocument/documentHighlight', at('f -', 0, 0));
    assert.equal(highlights.length, 7, 'f: declared once, used six times');
  });

  test('rename: every occurrence (Ax → Wx), refused for a taken name or a keyword', async () => {
    const prepared = await lsp.request<{ placeholder: string }>('textDocument/prepareRename', at('Ax', 0, 0));
    assert.equal(prepared.placeholder, 'A');
    const edit = await lsp.request<WorkspaceEdit>('textDocument/rename', { ...at('A :', 0, 0), newName: 'W' });
    const renamed = applyEdits(FEATURES, edit.changes![uri]!);
    assert.match(renamed, /given W : R\^\{n x d\}   with \|\|W\|\|_2 <= R/);
    assert.match(renamed, /softmax\(Wx\)/);
    assert.match(renamed, /claim grad L = W\^T/);
    assert.deepEqual(analyzeDocument(renamed).analysis.diagnostics, []);
    await assert.rejects(lsp.request('textDocument/rename', { ...at('A :', 0, 0), newName: 'b' }), /already declared/);
    await assert.rejects(lsp.request('textDocument/rename', { ...at('A :', 0, 0), newName: 'claim' }), /meaning of its own/);
  });

  test('document symbols: the outline of declarations and claims', async () => {
    const symbols = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(
      symbols.map((s) => `${s.name}: ${s.detail}`),
      [
        'n: = 6',
        'd: = 4',
        'R: = 2',
        'A: R^{n x d} with ||A||_2 <= R',
        'b: R^n with b >= 0, sum(b) = 1',
        'x: R^d with ||x||_2 <= 1',
        'f: R^n',
        'L: R',
        'grad L = A^T (f ∘ (f - b) - <f, f - b> f) + x: compare',
        'hess L psd: definite',
      ],
    );
  });

  test('semantic tokens: dims, consts, givens, vars, lets, the loss, functions and claim words each their own kind', async () => {
    const tokens = decode(FEATURES, await lsp.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } }));
    const kind = (text: string, type: string): boolean => tokens.some(([t, k]) => t === text && k === type);
    for (const [text, type] of [
      ['n', 'dim'],
      ['R', 'const'],
      ['A', 'given'],
      ['b', 'given'],
      ['x', 'var'],
      ['f', 'let'],
      ['L', 'loss'],
      ['softmax', 'function'],
      ['claim', 'claim'],
      ['psd', 'claim'],
    ])
      assert.ok(kind(text, type), `${text} as ${type}: ${JSON.stringify(tokens)}`);
    const declarations = tokens.filter(([, , mods]) => mods & 1).map(([t]) => t);
    assert.deepEqual(declarations, ['n', 'd', 'R', 'A', 'b', 'x', 'f', 'L']);
  });

  test('inlay hints show the shape of each let; folding covers comments, paragraphs and statements', async () => {
    const hints = await lsp.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
    });
    assert.deepEqual(
      hints.map((h) => [h.position, h.label]),
      [[positionOf(FEATURES, 'f =', 0, 1), ': R^n']],
    );
    const folds = await lsp.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    assert.ok(
      folds.some((f) => f.startLine === 0 && f.endLine === 7 && f.kind === 'region'),
      JSON.stringify(folds),
    );
    assert.ok(
      folds.some((f) => f.startLine === 9 && f.endLine === 10),
      JSON.stringify(folds),
    );
  });

  test('formatting aligns the declarations, spaces canonically, is idempotent and keeps the meaning', async () => {
    const edits = await lsp.request<TextEdit[]>('textDocument/formatting', {
      textDocument: { uri },
      options: { tabSize: 2, insertSpaces: true },
    });
    const formatted = applyEdits(FEATURES, edits);
    // `with` aligned where the block's first declaration had it; the comment keeps its column.
    assert.match(formatted, /\ngiven A : R\^\{n x d\}   with \|\|A\|\|_2 <= R   # the data matrix\ngiven b : R\^n         with b >= 0/);
    assert.match(formatted, /\nvar   x : R\^d         with \|\|x\|\|_2 <= 1\n/);
    const again = fileUri('test-output/lsp/formatted.loss');
    lsp.open(again, formatted);
    assert.deepEqual(
      await lsp.request<TextEdit[]>('textDocument/formatting', {
        textDocument: { uri: again },
        options: { tabSize: 2, insertSpaces: true },
      }),
      [],
    );
    const [a, b] = [analyzeDocument(FEATURES), analyzeDocument(formatted)];
    assert.deepEqual(b.analysis.diagnostics, []);
    assert.equal(
      JSON.stringify(b.analysis.program, (k, v) => (k === 'span' ? undefined : v)),
      JSON.stringify(a.analysis.program, (k, v) => (k === 'span' ? undefined : v)),
    );
  });

  test('quick fixes for common diagnostics, applied: c 1_n, an ambiguous product, a missing transpose, a misspelt name', async () => {
    const fixes = fileUri('test-output/lsp/fixes.loss');
    const text = `dim n = 6, d = 4
given A : R^{n x d}
given c : R
given y : R^n
var x : R^d
let u = A x + c
let v = y y
let w = A y
let z = ||X||_2^2
loss L = ||x||_2^2
`;
    lsp.open(fixes, text);
    const diagnostics = await lsp.until('four errors', () =>
      lsp.diagnostics.get(fixes)?.length === 4 ? lsp.diagnostics.get(fixes) : undefined,
    );
    const actions = async (needle: string): Promise<CodeAction[]> => {
      const d = diagnostics.find((x) => x.range.start.line === positionOf(text, needle).line)!;
      return lsp.request<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri: fixes },
        range: d.range,
        context: { diagnostics: [d] },
      });
    };
    const scalar = await actions('A x + c');
    assert.equal(scalar[0]!.title, 'Add to every entry: c 1_n');
    assert.equal(scalar[0]!.kind, 'quickfix');
    assert.equal(scalar[0]!.diagnostics?.[0]?.code, 'shape-mismatch');
    assert.match(applyEdits(text, scalar[0]!.edit!.changes![fixes]!), /let u = A x \+ c 1_n\n/);
    const product = await actions('y y');
    assert.deepEqual(
      product.map((a) => a.title),
      ['Inner product: <y, y>', 'Elementwise product: y ∘ y', 'Outer product: y y^T'],
    );
    const transpose = await actions('A y');
    assert.deepEqual(
      transpose.map((a) => a.title),
      ['Add the missing transpose: A^T y'],
    );
    const name = await actions('||X||');
    assert.equal(name[0]!.title, "Change to 'x'");
    let fixed = text;
    for (const a of [scalar[0]!, product[0]!, transpose[0]!, name[0]!]) fixed = applyEdits(fixed, a.edit!.changes![fixes]!);
    assert.deepEqual(
      analyzeDocument(fixed).analysis.diagnostics.map((d) => d.message),
      [],
    );
  });

  test('claim rewrites: the derived gradient as the right-hand side, the missing transpose of a refuted claim', async () => {
    const mistakes = fileUri('test-output/lsp/mistakes.loss');
    const text = readFileSync('examples/softmax_mistakes.loss', 'utf8');
    lsp.open(mistakes, text);
    await lsp.until('analysis', () => lsp.lastState(mistakes));
    const missing = positionOf(text, 'claim grad L = A (f');
    const rewrites = await lsp.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: mistakes },
      range: { start: missing, end: missing },
      context: { diagnostics: [] },
    });
    const transpose = rewrites.find((a) => a.title.startsWith('Add the missing transpose'))!;
    assert.equal(transpose.title, 'Add the missing transpose: A → A^T');
    const corrected = applyEdits(text, transpose.edit!.changes![mistakes]!);
    assert.match(
      corrected,
      /claim grad L = A\^T \(f ∘ \(f - b\) - <f, f - b> f\) \+ A\^T diag\(w\)\^2 A x      # FALSE: missing transpose/,
    );
    const derived = rewrites.find((a) => a.title === 'Replace the right-hand side with the derived gradient')!;
    const replaced = applyEdits(text, derived.edit!.changes![mistakes]!);
    const line = replaced.split('\n')[positionOf(text, 'claim grad L = A (f').line]!;
    assert.match(line, /^claim grad L = A\^T /);
    // The replaced claim is then proved symbolically (both sides the same expression).
    lsp.change(mistakes, replaced);
    const index = analyzeDocument(replaced).claims.find((c) => c.span.start === replaced.indexOf(line))!.index!;
    const result = await lsp.request<CheckResult>('derivlens/check', { uri: mistakes, claims: [index] });
    assert.equal(result.claims[0]!.verdict, 'proved', JSON.stringify(result));
  });
});

describe('checks through the language server', () => {
  let lsp: LspClient;
  const text = readFileSync('examples/softmax_mistakes.loss', 'utf8');
  const uri = fileUri('test-output/lsp/checks.loss');

  before(async () => {
    lsp = await LspClient.start(SETTINGS);
    lsp.open(uri, text);
    await lsp.until('analysis', () => lsp.lastState(uri));
  });
  after(() => lsp.stop());

  test('code lenses say ▶ Check, then verdicts arrive claim by claim with a running state and n/7 claims', async () => {
    const before = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(
      before.map((l) => l.command!.title),
      Array(7).fill('▶ Check'),
    );
    assert.equal(before[0]!.command!.command, 'derivlens.server.check', 'a client without commands of its own gets the server command');
    const seen = lsp.states.length;
    await lsp.request('workspace/executeCommand', { command: 'derivlens.server.check', arguments: [uri] });
    const states = lsp.states.slice(seen).filter((s) => s.uri === uri);
    // One claim running at a time, the others queued; each verdict published as it is decided.
    assert.ok(
      states.some((s) => s.claims.filter((c) => c.status === 'running').length === 1 && s.claims.some((c) => c.status === 'queued')),
    );
    const doneCounts = states.map((s) => s.claims.filter((c) => c.status === 'done').length);
    for (let k = 1; k <= 7; k++) assert.ok(doneCounts.includes(k), `a state with ${k} decided claims: ${doneCounts.join(',')}`);
    assert.ok(states.some((s) => s.run?.done === 3 && s.run.total === 7));
    assert.ok(
      lsp.progress.some((p) => p.value.message === '3/7 claims'),
      'work-done progress counts claims',
    );
    assert.ok(lsp.lensRefreshes > 0, 'lenses are refreshed as verdicts arrive');
    const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(
      lenses.map((l) => l.command!.title),
      ['✓ holds (8 points)', ...Array(6).fill('✗ refuted')],
    );
    const problems = lsp.diagnostics.get(uri)!;
    assert.equal(problems.filter((d) => d.code === 'claim-refuted').length, 6);
    assert.match(problems[0]!.message as string, /^refuted: .*\ncounterexample:\n {2}A = /);
    assert.match(problems[0]!.relatedInformation![0]!.location.uri, /^derivlens-report:.*checks\.loss\.report\.txt\?file%3A/);
    const hover = await lsp.request<Hover>('textDocument/hover', {
      textDocument: { uri },
      position: positionOf(text, 'claim grad L = A (f', 0, 2),
    });
    assert.match((hover.contents as { value: string }).value, /\*\*refuted\*\*: the two sides differ/);
  });

  test('re-run at the counterexample reproduces the refutation with every given and var fixed', async () => {
    const index = lsp.lastState(uri)!.claims.find((c) => c.verdict === 'refuted')!.index;
    const result = await lsp.request<CheckResult>('derivlens/check', { uri, atCounterexample: index });
    assert.equal(result.reproduced?.verdict, 'refuted', JSON.stringify(result));
    const html = await lsp.request<{ content: string }>('derivlens/report', { uri, format: 'html' });
    assert.match(html.content, /Re-run at the counterexample: <span class="badge refuted">refuted/);
    assert.match(html.content, /data-action="rerun-at-counterexample"/);
    assert.doesNotMatch(html.content, /derivlens eval/, 'the editor report does not send users to the CLI');
  });

  test('reports, exports and counterexamples come from the same store', async () => {
    const report = await lsp.request<{ content: string }>('derivlens/report', { uri, format: 'text' });
    assert.match(report.content, /7 claims: 0 proved, 1 hold, 6 refuted, 0 inconclusive {2}\(seed 1, budget quick, cpu-node/);
    const latex = await lsp.request<{ content: string }>('derivlens/export', { uri, format: 'latex' });
    assert.match(latex.content, /\\begin\{tabular\}/);
    const numpy = await lsp.request<{ content: string }>('derivlens/counterexample', { uri, claim: 1, format: 'numpy' });
    assert.match(numpy.content, /^import numpy as np\n# counterexample for: grad L = /);
  });

  test('verdicts survive edits elsewhere; an edited claim says so; lenses survive errors in other claims and lets', async () => {
    // A comment and another claim edited: the first claim keeps its verdict.
    const edited = text.replace('# TRUE', '# TRUE (the paper)').replace('2 A^T diag(w)^2', '3 A^T diag(w)^2');
    lsp.change(uri, edited);
    const state = await lsp.until('the edit analysed', () => {
      const s = lsp.lastState(uri);
      return s && s.claims[4]?.status === 'unchecked' ? s : undefined;
    });
    assert.equal(state.claims[0]!.verdict, 'holds');
    assert.equal(state.claims[4]!.edited, true);
    const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.equal(lenses[4]!.command!.title, '▶ Check (edited since the last run)');
    // Errors in another claim and in an unused let: the other six claims keep their lenses and can be checked.
    const broken = edited
      .replace('let f = softmax(A x)', 'let f = softmax(A x)\nlet g = A + x')
      .replace('claim hess L = A^T', 'claim hess L = Q A^T');
    lsp.change(uri, broken);
    const errors = await lsp.until('errors', () =>
      lsp.diagnostics.get(uri)?.filter((d) => d.severity === 1 && typeof d.code === 'string' && !d.code.startsWith('claim-')).length === 2
        ? true
        : undefined,
    );
    assert.ok(errors);
    const kept = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(
      kept.map((l) => l.command!.title),
      ['✓ holds (8 points)', ...Array(3).fill('✗ refuted'), '▶ Check (edited since the last run)', '✗ refuted'],
    );
    const result = await lsp.request<CheckResult>('derivlens/check', { uri, claims: [4] });
    assert.equal(result.claims[0]!.verdict, 'refuted');
  });

  test('cancel stops a file check; claims that had no verdict go back to unchecked', async () => {
    const heavy = fileUri('test-output/lsp/heavy.loss');
    const bounds = Array.from({ length: 40 }, (_, k) => `claim hess L >= ${-k - 1} I_d`).join('\n');
    lsp.open(heavy, `${readFileSync('examples/softmax_regression.loss', 'utf8')}\n${bounds}\n`);
    await lsp.until('heavy analysed', () => lsp.lastState(heavy));
    const pending = lsp.request<CheckResult>('derivlens/check', { uri: heavy });
    await lsp.until('a claim decided', () => lsp.lastState(heavy)?.claims.some((c) => c.status === 'done'));
    lsp.connection.sendNotification('derivlens/cancel', { uri: heavy });
    const result = await pending;
    assert.ok(result.claims.length < 48, `${result.claims.length} of 48 claims decided`);
    const after = await lsp.until('nothing pending', () => {
      const s = lsp.lastState(heavy);
      return s && s.claims.every((c) => c.status === 'unchecked' || c.status === 'done') ? s : undefined;
    });
    assert.ok(after.claims.some((c) => c.status === 'unchecked'));
    assert.ok(after.claims.some((c) => c.status === 'done'));
  });
});

test('an untrusted workspace is analysed but starts no worker and refuses checks', async () => {
  const lsp = await LspClient.start({ ...SETTINGS, settings: { ...SETTINGS.settings, trusted: false } });
  try {
    const uri = fileUri('test-output/lsp/untrusted.loss');
    lsp.open(uri, readFileSync('examples/softmax_mistakes.loss', 'utf8'));
    await lsp.until('analysis', () => lsp.lastState(uri));
    const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(lenses.every((l) => l.command!.title === '▶ Check (trust the workspace to run checks)'));
    await assert.rejects(lsp.request('derivlens/check', { uri }), /only in a trusted workspace/);
    await assert.rejects(lsp.request('workspace/executeCommand', { command: 'derivlens.server.check', arguments: [uri] }), /trusted/);
    assert.deepEqual(lsp.children(), [], 'no child process');
    assert.ok(lsp.workerStatus.every((s) => s.backend === undefined));
  } finally {
    await lsp.stop();
  }
});
