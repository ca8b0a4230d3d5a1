/**
 * Printed derivatives are correct by construction: `derive --claims` output, appended to the file,
 * is proved claim by claim — exactly (one canonical form, or the exact identity test), never merely
 * "holds". On every example through the CLI (derive --claims, then check), and in-process on 300
 * random property-test losses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { capture } from './cli';
import { HEADER, scalar } from './lossgen';
import { roundTrip } from './roundtrip';

const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort();

test('derive --claims, appended to every example, is proved by check (CLI)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-printed-'));
  try {
    const files: { path: string; first: number; claims: number }[] = [];
    for (const f of EXAMPLES) {
      const text = readFileSync(join('examples', f), 'utf8');
      const derived = await capture(['derive', join('examples', f), '--claims']);
      assert.equal(derived.code, 0, `${f}: derive --claims failed: ${derived.err}`);
      const path = join(dir, f);
      writeFileSync(path, `${text}\n${derived.out}`);
      const first = text.split('\n').length + 1;
      files.push({ path, first, claims: derived.out.split('\n').filter((l) => l.startsWith('claim ')).length });
    }
    const r = await capture(['check', ...files.map((f) => f.path), '--json', '--seed', '7', '--budget', 'quick']);
    assert.ok(r.code === 0 || r.code === 1, `check failed (${r.code}): ${r.err}`);
    const outcomes = JSON.parse(r.out) as { file: string; claims: { line: number; text: string; verdict: string; summary: string }[] }[];
    for (const f of files) {
      const o = outcomes.find((x) => x.file === f.path)!;
      const appended = o.claims.filter((c) => c.line >= f.first);
      assert.equal(appended.length, f.claims, `${f.path}: ${appended.length} of ${f.claims} appended claims were checked`);
      for (const c of appended) assert.equal(c.verdict, 'proved', `${f.path}:${c.line}: ${c.text}\n  ${c.verdict}: ${c.summary}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('derived claims of every example are proved in-process', async () => {
  for (const f of EXAMPLES) {
    const r = await roundTrip(readFileSync(join('examples', f), 'utf8'));
    assert.deepEqual(r.failures, [], `${f}:\n${r.claims.join('\n')}`);
  }
});

test('derived claims of 300 random losses are proved (canonical form or exact identity test)', async () => {
  const losses = fc.sample(scalar(3), { seed: 20261130, numRuns: 300 });
  let canonical = 0;
  let exact = 0;
  for (const [k, expr] of losses.entries()) {
    const text = `${HEADER}loss L = ${expr}\n`;
    const r = await roundTrip(text, k + 1);
    assert.deepEqual(r.failures, [], `random loss ${k}: loss L = ${expr}\n${r.claims.join('\n')}`);
    canonical += r.byCanonicalForm;
    exact += r.byExactTest;
  }
  assert.equal(canonical + exact, 300 * 4, 'every loss has two gradients and four Hessian blocks');
});
