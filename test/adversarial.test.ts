/**
 * Adversarial claims (test/adversarial/*.loss): each claim line says what it is — `# TRUE` (must
 * hold or be proved), `# FALSE` (must be refuted, with a counterexample) or `# INCONCLUSIVE` — and
 * every one is checked at seeds 1–5 at the default budget. A failure lists every wrong verdict with
 * its summary.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';

const DIR = 'test/adversarial';
const SEEDS = [1, 2, 3, 4, 5];
const WANT = { TRUE: ['holds', 'proved'], FALSE: ['refuted'], INCONCLUSIVE: ['inconclusive'] } as const;

interface JsonClaim {
  line: number;
  text: string;
  verdict: string;
  summary: string;
  counterexample?: unknown;
}

export function markers(text: string): Map<number, keyof typeof WANT> {
  const out = new Map<number, keyof typeof WANT>();
  text.split('\n').forEach((l, i) => {
    const m = /^\s*claim\b.*#\s*(TRUE|FALSE|INCONCLUSIVE)\b/.exec(l);
    if (m) out.set(i + 1, m[1] as keyof typeof WANT);
  });
  return out;
}

for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith('.loss'))
  .sort()) {
  const path = join(DIR, file);
  const expected = markers(readFileSync(path, 'utf8'));
  test(`adversarial ${file}: ${expected.size} claims at seeds ${SEEDS.join(', ')}`, { timeout: 300_000 }, async () => {
    assert.ok(expected.size > 0, 'no marked claims');
    const wrong: string[] = [];
    for (const seed of SEEDS) {
      const r = await capture(['check', path, '--json', '--seed', String(seed)]);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.err}`);
      const claims = (JSON.parse(r.out) as { claims: JsonClaim[] }).claims;
      for (const [line, truth] of expected) {
        const c = claims.find((x) => x.line === line);
        if (!c) {
          wrong.push(`seed ${seed}, line ${line}: no result`);
          continue;
        }
        const ok = (WANT[truth] as readonly string[]).includes(c.verdict) && (c.verdict !== 'refuted' || c.counterexample !== undefined);
        if (!ok) wrong.push(`seed ${seed}, line ${line} (${truth}) ${c.text}: ${c.verdict} — ${c.summary}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
}
