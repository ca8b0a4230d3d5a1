/**
 * A malicious .loss in a cloned repository can make DerivLens compute, nothing more. The code
 * that reads the untrusted text (analysis, derivation, exports) runs here under Node's permission
 * model with read access to the bundle and the one file and nothing else — no writes, no child
 * processes, no network — and so does the CPU worker that evaluates what the file describes. Any
 * attempt to do more would fail with ERR_ACCESS_DENIED, which the tests look for.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { analyzeDocument } from '../src/app/load';
import { WorkerClient } from '../src/numeric/client';
import { buildCheckParams } from '../src/numeric/request';
import { planClaims } from '../src/symbolic/claims';
import { capture } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'derivlens-malicious-'));
const PWNED = join(dir, 'pwned');

/** Inputs that would do harm if anything along the way interpreted them as more than math. */
const MALICIOUS: Record<string, string> = {
  'tex-io.loss': `dim n = 3\nvar x : R^n\nloss L = ||x||_2^2\nclaim grad L = 2 x \\input{/etc/passwd} \\write18{touch ${PWNED}}\n`,
  'href.loss': `dim n = 3\nvar x : R^n\nloss L = ||x||_2^2\nclaim grad L = \\href{javascript:alert(1)}{2 x}\nclaim <x, x> <= \\url{http://evil.example}\n`,
  'shell.loss': `dim n = 3\nvar x : R^n\nloss L = ||x||_2^2 # $(touch ${PWNED}) \`touch ${PWNED}\`\nclaim grad L = 2 x # <script>alert(1)</script>\n`,
  'proto.loss': [
    'dim n = 4, d = 3',
    'given constructor : R^{n x d}',
    'given toString : R^n',
    'var hasOwnProperty : R^d',
    'loss L = 0.5 ||constructor hasOwnProperty - toString||_2^2',
    'claim grad L = constructor^T (constructor hasOwnProperty - toString)',
    'claim hess L psd\n',
  ].join('\n'),
  'template.loss': `dim n = 3\nvar x : R^n\nlet \${process} = x\nloss L = {{constructor.constructor('return process')()}}\n`,
  'huge.loss': 'dim n = 99999999999, d = 3\nvar x : R^n\nloss L = ||x||_2^2\nclaim hess L psd\n',
  'script-name.loss': '<script>alert(1)</script>\ndim n = 2\nvar x : R^n\nloss L = sum(exp(x))\n',
};

for (const [name, text] of Object.entries(MALICIOUS)) writeFileSync(join(dir, name), text);

function sandboxed(args: string[], file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-permission',
      `--allow-fs-read=${resolve('dist')}/*`,
      `--allow-fs-read=${resolve('bin')}/*`,
      `--allow-fs-read=${file}`,
      resolve('bin/derivlens.js'),
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, DERIVLENS_DEBUG: '1' } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('analysing, deriving and exporting malicious files needs no file, process or network access', () => {
  for (const name of Object.keys(MALICIOUS)) {
    const file = join(dir, name);
    for (const args of [
      ['derive', file],
      ['export', file, '--latex', '--no-check'],
      ['export', file, '--numpy'],
    ]) {
      const r = sandboxed(args, file);
      const where = `${args.join(' ')}: exit ${r.status}\n${r.stderr}`;
      assert.doesNotMatch(r.stderr, /ERR_ACCESS_DENIED|Access to this API has been restricted/, where);
      assert.ok(r.status === 0 || r.status === 2, where);
      if (r.status === 2) assert.match(r.stderr, new RegExp(`${name}:\\d+:\\d+: error`), `rejections carry a position: ${where}`);
    }
  }
  assert.equal(existsSync(PWNED), false);
});

test('the CPU worker checks malicious files with no file, process or network access', { timeout: 60_000 }, async () => {
  const worker = new WorkerClient({
    command: process.execPath,
    args: ['--experimental-permission', `--allow-fs-read=${resolve('dist')}/*`, resolve('dist/worker.js')],
  });
  let checked = 0;
  try {
    for (const [name, text] of Object.entries(MALICIOUS)) {
      const { loaded } = analyzeDocument(name, text);
      if (!loaded || loaded.program.claims.length === 0) continue;
      const params = buildCheckParams(
        loaded.program,
        loaded.lowered,
        loaded.derivatives,
        planClaims(loaded.lowered, loaded.derivatives, loaded.program.claims),
        { seed: 1, budget: 'quick' },
      );
      if (name === 'huge.loss') {
        // No memory limit in the request: the worker applies its default and refuses.
        await assert.rejects(worker.check(params), /needs about .* over the limit/);
        continue;
      }
      const result = await worker.check(params);
      assert.equal(result.claims.length, params.claims.length, name);
      checked++;
    }
  } finally {
    await worker.stop();
  }
  assert.ok(checked >= 2, `${checked} malicious files reached the worker`);
  assert.equal(existsSync(PWNED), false);
});

test('the HTML report of a malicious file carries no link, script or remote load from it', async () => {
  let reports = 0;
  for (const name of Object.keys(MALICIOUS)) {
    const html = join(dir, `${name}.html`);
    const r = await capture(['check', join(dir, name), '--seed', '1', '--budget', 'quick', '--html', html]);
    // A file rejected outright writes no report; one whose only errors are in claims (left out,
    // exit 2) still reports on its other claims, and that report must be as safe.
    const rejected = r.code === 2 && !/in claims, which are left out/.test(r.err);
    if (rejected) {
      assert.equal(existsSync(html), false, `${name}: rejected input writes no report`);
      continue;
    }
    assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${name}: ${r.err}`);
    reports++;
    const { readFileSync } = await import('node:fs');
    const page = readFileSync(html, 'utf8');
    assert.doesNotMatch(page, /javascript:/i, `${name}: a javascript: URL survived`);
    assert.doesNotMatch(page, /<script>alert/i, `${name}: the file's <script> reached the page`);
    assert.doesNotMatch(page, /(src|href)="https?:/i, `${name}: a remote load`);
    assert.doesNotMatch(page, /evil\.example"/, `${name}: the file's URL became a link`);
  }
  assert.ok(reports >= 2, `${reports} reports written`);
});
