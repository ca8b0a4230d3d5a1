/**
 * End to end in a real VS Code: the packaged .vsix installed into code-server 4.100.3 (VS Code
 * 1.100.3), driven in headless Chromium with playwright-core: the language server's features as a
 * user meets them (Problems, hover math, semantic colours, completion, go to definition, rename,
 * outline, a quick fix), checks with verdicts in lenses and Test Explorer, the report, the
 * walkthrough, and an untrusted workspace. Screenshots go to test-output/e2e/ (and, with
 * DERIVLENS_SCREENSHOTS=1, to docs/screenshots/ for the README). Needs
 * `scripts/install-code-server.sh` (run by .ci/run); skipped elsewhere, failed on CI.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { type Frame, type Page, chromium } from 'playwright-core';

/** What openVsCode needs of node:test's context. */
type Skippable = { skip(message?: string): void };

const CODE_SERVER = resolve('.vscode-test/code-server/node_modules/.bin/code-server');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve('test-output/e2e');
const README_SHOTS = resolve('docs/screenshots');

/** A screenshot in test-output/e2e, copied to docs/screenshots when DERIVLENS_SCREENSHOTS=1 (the README shows those). */
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, name) });
  if (process.env['DERIVLENS_SCREENSHOTS'] === '1') copyFileSync(join(SHOTS, name), join(README_SHOTS, name));
}

/** The line of the active editor holding `text` (rendered lines only). */
function editorLine(page: Page, text: string) {
  return page.locator('.monaco-editor .view-line', { hasText: text }).first();
}

/** Puts the cursor on the `nth` occurrence of `word` as its own token in the line holding `lineText`. */
async function clickWord(page: Page, lineText: string, word: string, nth = 0): Promise<void> {
  await editorLine(page, lineText)
    .locator('span > span', { hasText: new RegExp(`^${word.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`) })
    .nth(nth)
    .click();
}

/** Hides the bottom panel when it is shown (for uncluttered screenshots). */
async function hidePanel(page: Page): Promise<void> {
  const hide = page.locator('.part.panel .action-label[aria-label^="Hide Panel"]');
  if (await hide.count()) await hide.first().click();
}

/** Waits until the locator matches exactly `n` elements. */
async function waitForCount(locator: ReturnType<Page['locator']>, n: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while ((await locator.count()) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} elements, found ${await locator.count()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The editor's cursor position as the status bar shows it ("Ln 3, Col 7"). */
async function cursor(page: Page): Promise<string> {
  return (
    await page
      .locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ })
      .first()
      .innerText()
  ).trim();
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

async function waitForHttp(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url, { redirect: 'manual' });
      if (r.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function command(page: Page, name: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${name}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator('.tab', { hasText: name }).first();
  if (await tab.count()) {
    await tab.click();
    await page.locator('.tab.active', { hasText: name }).first().waitFor({ timeout: 10_000 });
    return;
  }
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: name })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(async (e: unknown) => {
      await page.screenshot({ path: join(SHOTS, `failed-open-${name}.png`) });
      throw e;
    });
  await page.keyboard.press('Enter');
  await page
    .locator('.tab.active', { hasText: name })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(async (e: unknown) => {
      await page.screenshot({ path: join(SHOTS, `failed-open-${name}.png`) });
      throw e;
    });
}

/** Worker processes (the Node worker and its Python evaluator) started from the extension installed under extDir. */
function workerProcesses(extDir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n');
  return ps.filter((line) => line.includes(extDir) && (line.includes('dist/worker.js') || line.includes('python/evaluator.py')));
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
};

interface Session {
  root: string;
  ws: string;
  ext: string;
  page: Page;
  close: () => Promise<void>;
}

/**
 * Packs the .vsix, installs it into a fresh code-server with these user settings, opens the
 * workspace (prepared by `prepare(ws, root)`) in headless Chromium and waits for the workbench.
 */
async function openVsCode(
  t: Skippable,
  prefix: string,
  userSettings: Record<string, unknown>,
  prepare: (ws: string, root: string) => void,
): Promise<Session | undefined> {
  if (!existsSync(CODE_SERVER) || !existsSync(CHROMIUM)) {
    if (process.env['CI']) assert.fail('code-server or chromium is missing; .ci/run installs them with scripts/install-code-server.sh');
    t.skip('run scripts/install-code-server.sh to enable the VS Code end-to-end test');
    return undefined;
  }
  mkdirSync(SHOTS, { recursive: true });
  const root = mkdtempSync(join(tmpdir(), prefix));
  const [ws, ext, ud] = ['ws', 'ext', 'ud'].map((d) => join(root, d)) as [string, string, string];
  for (const d of [ws, ext, join(ud, 'User')]) mkdirSync(d, { recursive: true });
  prepare(ws, root);
  writeFileSync(join(ud, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...userSettings }));
  const vsix = join(root, 'derivlens.vsix');
  const pack = spawnSync(
    process.execPath,
    [resolve('node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--no-rewrite-relative-links', '-o', vsix],
    { encoding: 'utf8' },
  );
  assert.equal(pack.status, 0, pack.stderr + pack.stdout);
  const install = spawnSync(CODE_SERVER, ['--extensions-dir', ext, '--user-data-dir', ud, '--install-extension', vsix], {
    encoding: 'utf8',
  });
  assert.match(install.stdout, /successfully installed/, install.stderr);
  const port = await freePort();
  const server: ChildProcess = spawn(
    CODE_SERVER,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--extensions-dir',
      ext,
      '--user-data-dir',
      ud,
      ws,
    ],
    { stdio: 'ignore', detached: true },
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const close = async (): Promise<void> => {
    await browser.close();
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      server.kill();
    }
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, 30_000);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view').waitFor({ timeout: 30_000 });
    return { root, ws, ext, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function findFrame(page: Page, selector: string, ms: number): Promise<Frame> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      if (
        await f
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no frame shows ${selector}`);
}

/** A file for the editing features: completion, definition, rename, a quick fix, the outline. */
const FEATURES = `# Softmax least squares
dim n = 6, d = 4
given A : R^{n x d}   with ||A||_2 <= 1
given b : R^n         with b >= 0, sum(b) = 1
given c : R
var   x : R^d         with ||x||_2 <= 1
let f = softmax(A x)
let u = A x + c
loss L = 0.5 ||f - b||_2^2 + 0.5 ||x||_2^2

claim grad L = A^T (f ∘ (f - b) - <f, f - b> f) + x
claim hess L psd
`;

test(
  'the packaged extension in a real VS Code: Problems, hover math, colours, checks in lenses and Test Explorer, report, completion, definition, rename, a quick fix, outline, walkthrough',
  { timeout: 480_000 },
  async (t) => {
    let marker = '';
    const session = await openVsCode(
      t,
      'derivlens-e2e-',
      { 'security.workspace.trust.enabled': false, 'derivlens.budget': 'quick', 'derivlens.seed': 1 },
      (ws, root) => {
        copyFileSync('examples/softmax_mistakes.loss', join(ws, 'softmax_mistakes.loss'));
        copyFileSync('examples/exp_regression.loss', join(ws, 'exp_regression.loss'));
        writeFileSync(join(ws, 'features.loss'), FEATURES);
        writeFileSync(join(ws, 'broken.loss'), 'dim n = 6, d = 4\ngiven A : R^{n x d}\nvar x : R^n\nloss L = ||A x||_2^2\n');
        // A cloned repository naming the interpreter to run: derivlens.pythonPath is machine-scoped,
        // so this workspace value must be ignored even in a trusted workspace.
        marker = join(root, 'evil-python-ran');
        const evil = join(root, 'evil-python.sh');
        writeFileSync(evil, `#!/bin/sh\ntouch ${marker}\nexit 1\n`, { mode: 0o755 });
        mkdirSync(join(ws, '.vscode'), { recursive: true });
        writeFileSync(
          join(ws, '.vscode', 'settings.json'),
          JSON.stringify({ 'derivlens.pythonPath': evil, 'derivlens.backend': 'python' }),
        );
      },
    );
    if (!session) return;
    const { page, ext } = session;
    try {
      // 1. Problems: a shape error with its message, at the right place.
      await openFile(page, 'broken.loss');
      await command(page, 'View: Focus Problems');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'A x: A is R^{n x d} but x is R^n' });
      await problem.first().waitFor({ timeout: 30_000 });
      assert.match(await problem.first().innerText(), /\[Ln 4, Col 12\]|4, ?12|Ln 4/);
      await shot(page, '1-diagnostics.png');

      // 2. Hover over `grad` shows the gradient as an SVG image (TeX from the server, drawn by the client).
      await openFile(page, 'softmax_mistakes.loss');
      await page.locator('.codelens-decoration', { hasText: '▶ Check' }).first().waitFor({ timeout: 30_000 });
      await page
        .locator('.view-line span', { hasText: /^grad$/ })
        .first()
        .hover();
      const img = page.locator('.monaco-hover img[src^="data:image/svg+xml;base64,"]').first();
      await img.waitFor({ timeout: 20_000 });
      const src = (await img.getAttribute('src'))!;
      assert.match(Buffer.from(src.split(',')[1]!, 'base64').toString('utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      await shot(page, '2-hover-math.png');
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');

      // 3. Semantic colours: a dim, a given, a var and a let each have their own colour (the let's
      // line also shows its shape as an inlay hint: `let f: R^d = softmax(A x)`).
      await editorLine(page, 'let f: R^d = softmax(A x)').waitFor({ timeout: 20_000 });
      const colourOf = async (lineText: string, word: string): Promise<string> =>
        editorLine(page, lineText)
          .locator('span > span', { hasText: new RegExp(`^${word}$`) })
          .first()
          .evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { color: string } }).getComputedStyle(e).color);
      const end = Date.now() + 20_000;
      let colours: string[] = [];
      while (Date.now() < end) {
        colours = [
          await colourOf('given A : R^{d x d}', 'd'),
          await colourOf('given A : R^{d x d}', 'A'),
          await colourOf('var   x', 'x'),
          await colourOf('softmax(A x)', 'f'),
        ];
        if (new Set(colours).size === 4) break;
        await page.waitForTimeout(250);
      }
      assert.equal(new Set(colours).size, 4, `dim, given, var and let coloured apart: ${colours.join(' ')}`);
      await shot(page, '8-semantic-colours.png');

      // 4. Check claims in file: verdicts in the lenses, and the same check shown in Test Explorer.
      await page.locator('.view-line').first().click();
      await command(page, 'DerivLens: Check claims in file');
      await page.locator('.codelens-decoration', { hasText: '✗ refuted' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.codelens-decoration', { hasText: '✓' }).first().waitFor({ timeout: 60_000 });
      await waitForCount(page.locator('.codelens-decoration', { hasText: '✗ refuted' }), 6, 60_000);
      const lenses = await page.locator('.codelens-decoration').allInnerTexts();
      assert.equal(lenses.filter((l) => l.includes('✗ refuted')).length, 6, lenses.join(' | '));
      assert.equal(lenses.filter((l) => l.includes('✓')).length, 1, lenses.join(' | '));
      await shot(page, '3-codelens-verdicts.png');
      await command(page, 'View: Show Testing');
      const testing = page.locator('.test-explorer');
      await testing.waitFor({ timeout: 20_000 });
      const expand = testing.locator('.monaco-list-row[aria-expanded="false"]');
      while ((await expand.count()) > 0) await expand.first().click();
      // The check ran from a command, and Test Explorer shows its results.
      await testing.locator('.codicon-testing-failed-icon').first().waitFor({ timeout: 30_000 });
      await testing.locator('.codicon-testing-passed-icon').first().waitFor({ timeout: 30_000 });

      // 5. Test Explorer: run every claim of both files; passed and failed items.
      await openFile(page, 'exp_regression.loss');
      await command(page, 'Test: Run All Tests');
      await command(page, 'View: Show Testing');
      await testing.waitFor({ timeout: 20_000 });
      while ((await expand.count()) > 0) await expand.first().click();
      await testing.locator('.codicon-testing-failed-icon').first().waitFor({ timeout: 60_000 });
      await testing.locator('.codicon-testing-passed-icon').first().waitFor({ timeout: 60_000 });
      await shot(page, '4-test-explorer.png');
      // Both files were checked in that one run (side by side), by one worker process (and its one Python evaluator).
      await openFile(page, 'exp_regression.loss');
      await page.locator('.codelens-decoration', { hasText: '✗ refuted' }).first().waitFor({ timeout: 60_000 });
      await waitForCount(page.locator('.codelens-decoration', { hasText: '✗ refuted' }), 2, 60_000);
      const processes = workerProcesses(ext);
      assert.equal(
        processes.filter((p) => p.includes('dist/worker.js')).length,
        1,
        `one worker process under ${ext}: ${processes.join(' | ')}`,
      );
      assert.ok(processes.filter((p) => !p.includes('dist/worker.js')).length <= 1, `at most one evaluator: ${processes.join(' | ')}`);
      assert.equal(existsSync(marker), false, 'a workspace-level derivlens.pythonPath was executed');

      // 6. The report webview: KaTeX math, plots, verdict badges, and "Re-run at this point" instead of a CLI.
      await page.keyboard.press('Escape');
      await page.locator('.view-line').first().click();
      await openFile(page, 'softmax_mistakes.loss');
      await hidePanel(page);
      await command(page, 'DerivLens: Show report');
      const report = await findFrame(page, '.katex', 30_000);
      await report.locator('svg.plot').first().waitFor({ timeout: 10_000 });
      assert.ok((await report.locator('.badge.refuted').count()) >= 6);
      assert.ok((await report.locator('.katex').count()) >= 3);
      assert.equal(await report.locator('button[data-action="export"]').count(), 3, 'Export LaTeX / NumPy / JAX');
      assert.equal(await report.locator('text=derivlens eval').count(), 0, 'the report does not send editor users to the CLI');
      const csp = (await report.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
      assert.match(csp, /^default-src 'none';/);
      assert.match(csp, /script-src 'nonce-[^';]+'$/, 'scripts only with the nonce');
      assert.doesNotMatch(csp, /unsafe-eval/);
      await shot(page, '5-report-webview.png');
      await report.locator('svg.plot').first().scrollIntoViewIfNeeded();
      await shot(page, '6-report-plots.png');
      await report.locator('button[data-action="rerun-at-counterexample"]').first().click();
      const again = await findFrame(page, '.reproduced', 60_000);
      // This workspace runs the Python evaluator, which (unlike the CPU one, see test/lsp.test.ts) does not yet
      // take finite differences with every var fixed: the verdict there is refuted or inconclusive.
      assert.match(await again.locator('.reproduced').first().innerText(), /Re-run at the counterexample: (refuted|inconclusive)/i);
      await command(page, 'View: Close All Editor Groups');

      // 7. Completion: declared names with their shapes, and LaTeX commands with their Unicode symbol.
      await command(page, 'Notifications: Clear All Notifications');
      await hidePanel(page);
      await openFile(page, 'features.loss');
      await editorLine(page, 'claim hess L psd').click();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('claim grad L = ');
      await page.keyboard.press('Control+Space');
      const suggest = page.locator('.suggest-widget .monaco-list-row');
      await suggest.filter({ hasText: 'given A : R^{n x d}' }).first().waitFor({ timeout: 20_000 });
      await suggest.filter({ hasText: 'var x : R^d' }).first().waitFor({ timeout: 20_000 });
      await page.keyboard.type('A');
      await suggest.filter({ hasText: 'given A : R^{n x d}' }).first().waitFor({ timeout: 20_000 });
      await shot(page, '9-completion.png');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Backspace');
      await page.keyboard.press('Escape');
      await page.keyboard.type('\\lang');
      await page.keyboard.press('Control+Space');
      await suggest.filter({ hasText: '\\langle' }).filter({ hasText: '⟨' }).first().waitFor({ timeout: 20_000 });
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+K');
      await editorLine(page, 'claim grad L = \\lang').waitFor({ state: 'detached', timeout: 10_000 });

      // 8. Go to definition: from a use of A in a claim to its declaration.
      await clickWord(page, 'claim grad L = A^T', 'A');
      await page.keyboard.press('F12');
      await page.locator('.statusbar-item', { hasText: 'Ln 3, Col 7' }).first().waitFor({ timeout: 20_000 });
      assert.equal(await cursor(page), 'Ln 3, Col 7');

      // 9. Rename b → target: every occurrence changes.
      await clickWord(page, 'given b', 'b');
      await page.keyboard.press('F2');
      const renameInput = page.locator('.rename-box input');
      await renameInput.waitFor({ timeout: 20_000 });
      await renameInput.fill('target');
      await page.keyboard.press('Enter');
      await editorLine(page, '||f - target||_2^2').waitFor({ timeout: 20_000 });
      await editorLine(page, 'given target').waitFor({ timeout: 20_000 });
      await shot(page, '10-rename.png');

      // 10. A quick fix applied: c + a vector becomes c 1_n, and its error goes away.
      await clickWord(page, '= A x + c', 'c');
      await page.keyboard.press('Control+.');
      const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Add to every entry: c 1_n' });
      await fix.first().waitFor({ timeout: 20_000 });
      await shot(page, '11-quick-fix.png');
      await page.keyboard.press('Enter');
      await editorLine(page, '= A x + c 1_n').waitFor({ timeout: 20_000 });
      await command(page, 'View: Focus Problems');
      await page
        .locator('.markers-panel .monaco-list-row', { hasText: 'to add a scalar c' })
        .waitFor({ state: 'detached', timeout: 20_000 });

      // 11. Outline: declarations and claims of the file (the file list folded away to make room).
      await hidePanel(page);
      await command(page, 'Explorer: Focus on Outline View');
      const folders = page.locator('.pane-header[aria-expanded="true"]', { hasText: /^ws$/i });
      if (await folders.count()) await folders.first().click();
      const outline = page.locator('.outline-pane .monaco-list-row');
      await outline.filter({ hasText: 'target' }).first().waitFor({ timeout: 20_000 });
      // The list is virtual: go to its end to render the claims.
      await page.keyboard.press('End');
      await outline.filter({ hasText: 'hess L psd' }).first().waitFor({ timeout: 20_000 });
      await shot(page, '12-outline.png');

      // 12. The walkthrough: open an example, check it, read the report.
      await hidePanel(page);
      await command(page, 'Welcome: Open Walkthrough...');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Check the calculus of a paper with DerivLens' }).first().click();
      const walkthrough = page.locator('.gettingStartedContainer');
      await walkthrough.getByText('Open an example', { exact: true }).first().waitFor({ timeout: 20_000 });
      await walkthrough.getByText('Check its claims', { exact: true }).first().waitFor({ timeout: 20_000 });
      await walkthrough.getByText('Read the report', { exact: true }).first().waitFor({ timeout: 20_000 });
      await shot(page, '13-walkthrough.png');
      await walkthrough.getByRole('button', { name: 'Open the example' }).first().click();
      await page.locator('.codelens-decoration', { hasText: '▶ Check' }).first().waitFor({ timeout: 30_000 });

      // 13. The status bar item offers actions.
      await page.locator('.statusbar-item', { hasText: 'DerivLens' }).first().click();
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show output' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'failed.png') });
      throw e;
    } finally {
      await session.close();
    }
  },
);

test('an untrusted workspace gets diagnostics and hovers but starts no worker process', { timeout: 300_000 }, async (t) => {
  const settings = {
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
  };
  const session = await openVsCode(t, 'derivlens-untrusted-', settings, (ws) => {
    copyFileSync('examples/softmax_mistakes.loss', join(ws, 'softmax_mistakes.loss'));
    // A cloned repository trying to choose the program DerivLens runs: ignored (machine-scoped setting).
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      JSON.stringify({ 'derivlens.pythonPath': '/tmp/evil-python', 'derivlens.checkOnSave': true }),
    );
  });
  if (!session) return;
  const { page, ext } = session;
  try {
    await openFile(page, 'softmax_mistakes.loss');
    // Analysis still runs (CodeLens and hovers), but checks wait for trust.
    await page.locator('.codelens-decoration', { hasText: 'trust the workspace to run checks' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.view-line').first().click();
    await command(page, 'DerivLens: Check claims in file');
    await page.locator('.notifications-toasts', { hasText: 'only in a trusted workspace' }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+S');
    await page.waitForTimeout(3000);
    await shot(page, '7-untrusted.png');
    assert.deepEqual(workerProcesses(ext), [], 'no worker process in an untrusted workspace');
    assert.equal(spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.includes('/tmp/evil-python'), false);
    assert.equal(await page.locator('.codelens-decoration', { hasText: '✗ refuted' }).count(), 0, 'no verdicts without a worker');
  } finally {
    await session.close();
  }
});
