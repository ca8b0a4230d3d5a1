/**
 * Adversarial claims (test/adversarial/*.loss): every claim line carries the verdict it must get —
 * `# TRUE` (holds or proved), `# FALSE` (refuted, with a counterexample) or `# INCONCLUSIVE` — at
 * seeds 1–5, the default budget, on the CPU evaluator. A file with `# ERROR` markers must be
 * rejected as input (exit 2) with an error diagnostic on each marked line and on no other line.
 * A failure lists every wrong verdict with its summary.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';

const DIR = 'test/adversarial';
const SEEDS = [1, 2, 3, 4, 5];
const WANT = { TRUE: ['holds', 'proved'], FALSE: ['refuted'], INCONCLUSIVE: ['inconclusive'] } as const;
type Marker = keyof typeof WANT;

interface Case {
  path: string;
  /** Source line → what the claim on it must get. */
  claims: Map<number, Marker>;
  /** Lines that must carry an input error. */
  errors: number[];
}

const cases: Case[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.loss'))
  .sort()
  .map((f) => {
    const path = join(DIR, f);
    const claims = new Map<number, Marker>();
    const errors: number[] = [];
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const m = /#\s*(TRUE|FALSE|INCONCLUSIVE|ERROR)\b/.exec(l);
        if (!m) return;
        if (m[1] === 'ERROR') errors.push(i + 1);
        else if (/^\s*claim\b/.test(l)) claims.set(i + 1, m[1] as Marker);
      });
    return { path, claims, errors };
  });

interface JsonClaim {
  line: number;
  text: string;
  verdict: string;
  summary: string;
  counterexample?: unknown;
}

test('the adversarial suite has claims of every kind of marker and input errors', () => {
  const markers = new Set(cases.flatMap((c) => [...c.claims.values()]));
  assert.deepEqual([...markers].sort(), ['FALSE', 'INCONCLUSIVE', 'TRUE']);
  assert.ok(cases.some((c) => c.errors.length > 0));
});

for (const c of cases.filter((x) => x.errors.length > 0)) {
  test(`${c.path}: rejected with an error on each marked line`, async () => {
    const r = await capture(['check', c.path, '--seed', '1', '--backend', 'cpu']);
    assert.equal(r.code, 2, `expected an input error, got exit ${r.code}\n${r.out}${r.err}`);
    const lines = [...r.err.matchAll(new RegExp(`${c.path.replace(/[.\\/]/g, '\\$&')}:(\\d+):\\d+: error\\[`, 'g'))].map((m) =>
      Number(m[1]),
    );
    assert.deepEqual([...new Set(lines)].sort(), c.errors, r.err);
  });
}

test('every adversarial claim gets its verdict at seeds 1–5 (default budget, CPU evaluator)', { timeout: 600_000 }, async () => {
  const files = cases.filter((c) => c.errors.length === 0);
  const wrong: string[] = [];
  for (const seed of SEEDS) {
    const r = await capture(['check', ...files.map((f) => f.path), '--json', '--seed', String(seed), '--backend', 'cpu']);
    assert.ok(r.code === 0 || r.code === 1, r.err);
    const parsed = JSON.parse(r.out) as { file: string; claims: JsonClaim[] } | { file: string; claims: JsonClaim[] }[];
    const outcomes = Array.isArray(parsed) ? parsed : [parsed];
    for (const f of files) {
      const claims = outcomes.find((o) => o.file === f.path)?.claims ?? [];
      for (const [line, marker] of f.claims) {
        const got = claims.find((x) => x.line === line);
        const ok = got && (WANT[marker] as readonly string[]).includes(got.verdict) && (got.verdict !== 'refuted' || got.counterexample);
        if (!ok)
          wrong.push(
            `seed ${seed} ${f.path}:${line} (${marker}): ${got ? `${got.verdict}: ${got.text}\n      ${got.summary}` : 'no result'}`,
          );
      }
    }
  }
  assert.deepEqual(wrong, [], `wrong verdicts:\n${wrong.join('\n')}`);
});
