/** The HTML report: self-contained, no scripts or remote loads, math rendered, opened in Chromium. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';

const CHROMIUM = '/usr/bin/chromium';

test('check --html writes a self-contained report that Chromium renders', async (t) => {
  mkdirSync('test-output', { recursive: true });
  const html = resolve('test-output/report.html');
  const r = await capture([
    'check',
    'examples/softmax_regression.loss',
    'examples/softmax_mistakes.loss',
    '--seed',
    '3',
    '--budget',
    'quick',
    '--html',
    html,
  ]);
  assert.equal(r.code, 1, r.err);
  const text = readFileSync(html, 'utf8');
  assert.doesNotMatch(text, /<script/i);
  assert.doesNotMatch(text, /(src|href)="https?:/i, 'no remote resources');
  assert.match(text, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(text, /class="katex"/);
  assert.doesNotMatch(text, /katex-error/, 'every formula renders');
  assert.ok((text.match(/<svg class="plot"/g) ?? []).length >= 6, 'plots for λ_min, Lipschitz ratios and FD error');
  assert.match(text, /λ_min over samples/);
  assert.match(text, /Lipschitz ratio vs distance/);
  assert.match(text, /Finite-difference error vs step/);
  assert.match(text, /class="badge refuted"/);

  if (!existsSync(CHROMIUM)) {
    if (process.env['CI']) assert.fail(`${CHROMIUM} is missing; .ci/run installs it`);
    t.skip('chromium is not installed here (CI installs it)');
    return;
  }
  const png = resolve('test-output/report.png');
  const run = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(tmpdir(), `derivlens-chromium-${process.pid}`)}`,
      '--window-size=1200,2400',
      `--screenshot=${png}`,
      `file://${html}`,
    ],
    { timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr?.toString());
  assert.ok(statSync(png).size > 50_000, 'the screenshot shows a rendered page');
  const dom = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      `--user-data-dir=${join(tmpdir(), `derivlens-chromium-dom-${process.pid}`)}`,
      '--dump-dom',
      `file://${html}`,
    ],
    { timeout: 60_000 },
  );
  assert.match(dom.stdout.toString(), /<span class="katex-html"/);
});
