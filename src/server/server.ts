/**
 * The DerivLens language server (`node dist/server.js --stdio`): diagnostics with claim verdicts,
 * hovers with derived math, completion, signature help, definition, references, highlights, rename,
 * outline, semantic tokens, code actions, formatting, inlay hints, folding and code lenses for any
 * LSP client; checks through derivlens/check or `workspace/executeCommand` (see ext.ts). Only this
 * layer does I/O; the content comes from src/analysis, checks from the worker via checks.ts.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeLensRefreshRequest,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  CodeActionKind,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type DocumentAnalysis, analyzeDocument } from '../analysis/document';
import { RenameError, rename, renameTarget } from '../analysis/rename';
import { identityAgrees } from '../app/agree';
import { counterexampleNumpy, exportLatex, exportPython } from '../app/export';
import type { Loaded } from '../app/load';
import { reportBody } from '../app/report';
import { derivationOutcome } from '../app/runClaims';
import { formatOutcome } from '../app/text';
import { CheckError, CheckRunner } from './checks';
import {
  DEFAULT_SETTINGS,
  type FileState,
  type InitializationOptions,
  SERVER_COMMANDS,
  type Settings,
  cancelNotification,
  checkRequest,
  counterexampleRequest,
  exportRequest,
  fileStateNotification,
  reportRequest,
  restartWorkerRequest,
  workerStatusNotification,
} from './ext';
import * as features from './features';
import { hoverMarkdown } from './hover';
import { codeLenses, verdictDiagnostics } from './lenses';
import { VerdictStore } from './verdicts';

const DEBOUNCE_MS = 100;

export function startServer(connection: Connection, distDir: string): void {
  const documents = new TextDocuments(TextDocument);
  const store = new VerdictStore();
  const cache = new Map<string, { version: number; doc: DocumentAnalysis }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let settings: Settings = { ...DEFAULT_SETTINGS };
  let init: InitializationOptions = {};
  let roots: string[] = [];
  let snippets = false;
  let lensRefresh = false;
  let workDone = false;

  const analysisOf = (uri: string): { doc: DocumentAnalysis; td: TextDocument } | undefined => {
    const td = documents.get(uri);
    if (!td) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === td.version) return { doc: hit.doc, td };
    const doc = analyzeDocument(td.getText());
    cache.set(uri, { version: td.version, doc });
    store.prune(uri, doc);
    return { doc, td };
  };

  const pathOf = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
  const shownPath = (uri: string): string => {
    const path = pathOf(uri);
    const root = roots.find((r) => path.startsWith(`${r}/`));
    return root ? relative(root, path) : path;
  };

  const loadedOf = (uri: string): Loaded | undefined => {
    const a = analysisOf(uri);
    const c = a?.doc.checkable;
    if (!a || !c) return undefined;
    const { doc } = a;
    return {
      path: pathOf(uri),
      text: doc.text,
      analysis: doc.analysis,
      program: doc.analysis.program,
      lowered: c.lowered,
      derivatives: c.derivatives,
    };
  };

  const log = (m: string): void => connection.console.info(m);

  // ---- publishing: Problems, lenses, file state ------------------------------------------------

  const progressReporters = new Map<string, { report(done: number, total: number): void }>();

  const publish = (uri: string): void => {
    const a = analysisOf(uri);
    if (!a) return;
    const { doc, td } = a;
    void connection.sendDiagnostics({
      uri,
      version: td.version,
      diagnostics: [...features.analysisDiagnostics(doc, td), ...verdictDiagnostics(doc, td, store, pathOf(uri), init.reportScheme)],
    });
    const batch = runner.batch(uri);
    const state: FileState = {
      uri,
      version: td.version,
      claims: store.views(uri, doc),
      ...(doc.blocked ? { blocked: doc.blocked.message } : {}),
      ...(batch ? { run: batch } : {}),
    };
    void connection.sendNotification(fileStateNotification, state);
    if (batch) progressReporters.get(uri)?.report(batch.done, batch.total);
    if (lensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  };

  const runner = new CheckRunner({
    store,
    settings: () => settings,
    document: (uri) => {
      const a = analysisOf(uri);
      return a ? { doc: a.doc, path: pathOf(uri) } : undefined;
    },
    changed: publish,
    status: (s) => void connection.sendNotification(workerStatusNotification, s),
    log,
    distDir,
  });

  const check = async (uri: string, claims: number[] | undefined, at: number | undefined, cancel?: AbortSignal) => {
    try {
      return await runner.check(uri, claims, at, cancel);
    } catch (e) {
      if (e instanceof CheckError) throw new ResponseError(1, e.message);
      throw e;
    }
  };

  // ---- lifecycle -------------------------------------------------------------------------------

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    init = (params.initializationOptions as InitializationOptions | undefined) ?? {};
    settings = { ...DEFAULT_SETTINGS, ...init.settings };
    roots = (params.workspaceFolders ?? []).map((f) => pathOf(f.uri));
    const caps = params.capabilities;
    snippets = caps.textDocument?.completion?.completionItem?.snippetSupport === true;
    lensRefresh = caps.workspace?.codeLens?.refreshSupport === true;
    workDone = caps.window?.workDoneProgress === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['\\', '_'] },
        signatureHelpProvider: { triggerCharacters: ['(', ','] },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        semanticTokensProvider: { legend: features.SEMANTIC_LEGEND, full: true },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        documentFormattingProvider: true,
        inlayHintProvider: true,
        foldingRangeProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [SERVER_COMMANDS.check, SERVER_COMMANDS.cancel] },
      },
      serverInfo: { name: 'derivlens' },
    };
  });

  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings as { derivlens?: Partial<Settings> } | undefined)?.derivlens;
    if (!s) return;
    const trustedBefore = settings.trusted;
    settings = { ...settings, ...s };
    if (settings.trusted !== trustedBefore) for (const td of documents.all()) publish(td.uri);
  });

  documents.onDidOpen((e) => publish(e.document.uri));
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => publish(uri), DEBOUNCE_MS),
    );
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    clearTimeout(timers.get(uri));
    cache.delete(uri);
    // A check of a closed file goes on (it has its own copy of the analysis); its verdicts wait in the store.
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  // ---- language features -----------------------------------------------------------------------

  const withDoc = <T>(uri: string, none: T, f: (doc: DocumentAnalysis, td: TextDocument) => T): T => {
    const a = analysisOf(uri);
    return a ? f(a.doc, a.td) : none;
  };

  connection.onHover((p) =>
    withDoc(p.textDocument.uri, null, (doc, td) => {
      const h = hoverMarkdown(doc, td.offsetAt(p.position), (fp) => store.get(p.textDocument.uri, fp));
      return h ? { contents: { kind: 'markdown', value: h.markdown }, ...(h.span ? { range: features.range(td, h.span) } : {}) } : null;
    }),
  );
  connection.onCompletion((p) =>
    withDoc(p.textDocument.uri, [], (doc, td) => features.completion(doc, td, td.offsetAt(p.position), snippets)),
  );
  connection.onSignatureHelp((p) => withDoc(p.textDocument.uri, null, (doc, td) => features.signatureHelp(doc, td.offsetAt(p.position))));
  connection.onDefinition((p) => withDoc(p.textDocument.uri, null, (doc, td) => features.definition(doc, td, td.offsetAt(p.position))));
  connection.onReferences((p) =>
    withDoc(p.textDocument.uri, [], (doc, td) => features.references(doc, td, td.offsetAt(p.position), p.context.includeDeclaration)),
  );
  connection.onDocumentHighlight((p) =>
    withDoc(p.textDocument.uri, [], (doc, td) => features.documentHighlights(doc, td, td.offsetAt(p.position))),
  );
  connection.onPrepareRename((p) =>
    withDoc(p.textDocument.uri, null, (doc, td) => {
      const t = renameTarget(doc, td.offsetAt(p.position));
      return t ? { range: features.range(td, t.span), placeholder: t.symbol.name } : null;
    }),
  );
  connection.onRenameRequest((p) =>
    withDoc(p.textDocument.uri, null, (doc, td) => {
      try {
        const edits = rename(doc, td.offsetAt(p.position), p.newName);
        return { changes: { [td.uri]: edits.map((e) => ({ range: features.range(td, e.span), newText: e.newText })) } };
      } catch (e) {
        if (e instanceof RenameError) throw new ResponseError(1, e.message);
        throw e;
      }
    }),
  );
  connection.onDocumentSymbol((p) => withDoc(p.textDocument.uri, [], features.documentSymbols));
  connection.languages.semanticTokens.on((p) => withDoc(p.textDocument.uri, { data: [] }, features.semanticTokens));
  connection.onFoldingRanges((p) => withDoc(p.textDocument.uri, [], (doc) => features.folding(doc)));
  connection.languages.inlayHint.on((p) => withDoc(p.textDocument.uri, [], (doc, td) => features.inlays(doc, td, p.range)));
  connection.onDocumentFormatting((p) => withDoc(p.textDocument.uri, [], (_doc, td) => features.formatting(td)));
  connection.onCodeAction((p) =>
    withDoc(p.textDocument.uri, [], (doc, td) =>
      features.actions(doc, td, p.range, p.context.diagnostics, {
        agrees: (d, claim) =>
          d.checkable && claim.typed
            ? identityAgrees(d.analysis.program, d.checkable.lowered, d.checkable.derivatives, claim.typed)
            : undefined,
        refuted: (claim) => store.get(td.uri, claim.fingerprint)?.outcome?.verdict === 'refuted',
      }),
    ),
  );

  connection.onCodeLens((p) =>
    withDoc(p.textDocument.uri, [], (doc, td) =>
      codeLenses(doc, td.uri, store, { trusted: settings.trusted, clientCommands: new Set(init.clientCommands ?? []) }),
    ),
  );

  // ---- checks ----------------------------------------------------------------------------------

  connection.onRequest(checkRequest, (p, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return check(p.uri, p.claims, p.atCounterexample, abort.signal);
  });
  connection.onNotification(cancelNotification, (p) => void runner.cancel(p.uri));
  connection.onRequest(restartWorkerRequest, () => runner.restart());
  connection.onExecuteCommand(async (p, token) => {
    const [uri, claims] = (p.arguments ?? []) as [string | undefined, number[] | undefined];
    if (p.command === SERVER_COMMANDS.cancel) return runner.cancel(uri);
    if (p.command !== SERVER_COMMANDS.check || typeof uri !== 'string') return undefined;
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const progress = workDone ? await connection.window.createWorkDoneProgress() : undefined;
    if (progress) {
      progress.begin('DerivLens', 0, `checking ${shownPath(uri)}`, true);
      progress.token.onCancellationRequested(() => abort.abort());
      progressReporters.set(uri, { report: (done, total) => progress.report(Math.round((100 * done) / total), `${done}/${total} claims`) });
    }
    try {
      return await check(uri, claims, undefined, abort.signal);
    } finally {
      progressReporters.delete(uri);
      progress?.done();
    }
  });

  // ---- reports and exports ---------------------------------------------------------------------

  const outcomeOf = (uri: string) => {
    const loaded = loadedOf(uri);
    const a = analysisOf(uri);
    if (!loaded || !a) return undefined;
    return { loaded, outcome: { ...store.fileOutcome(uri, a.doc, derivationOutcome(loaded)), file: shownPath(uri) } };
  };
  connection.onRequest(reportRequest, (p) => {
    const found = outcomeOf(p.uri);
    if (!found) return {};
    return { content: p.format === 'html' ? reportBody([found.outcome], { interactive: true }) : formatOutcome(found.outcome) };
  });
  connection.onRequest(exportRequest, (p) => {
    const found = outcomeOf(p.uri);
    if (!found) return {};
    return { content: p.format === 'latex' ? exportLatex(found.loaded, found.outcome) : exportPython(found.loaded, p.format) };
  });
  connection.onRequest(counterexampleRequest, (p) => {
    const found = outcomeOf(p.uri);
    const c = found?.outcome.claims.find((x) => x.claimIndex === p.claim);
    if (!c?.counterexample) return {};
    return { content: p.format === 'json' ? JSON.stringify(c.counterexample, null, 2) : counterexampleNumpy(c) };
  });

  connection.onShutdown(() => runner.dispose());
  documents.listen(connection);
  connection.listen();
}

if (require.main === module) startServer(createConnection(ProposedFeatures.all), __dirname);
