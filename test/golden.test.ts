/**
 * The golden vectors of the evaluators (test/golden/*.jsonl, written by scripts/record-golden.ts):
 * the CPU evaluator reproduces every recorded answer exactly, op by op. (The Python evaluator replays
 * the same files under pytest, to rounding: test/python.test.ts runs it.)
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import type { OpName } from '../src/numeric/evaluator/api';
import { SamplingFailed } from '../src/numeric/evaluator/api';
import { CpuEvaluator } from '../src/numeric/evaluator/cpu';
import type { RecordedOp } from '../src/numeric/evaluator/record';
import { decodeNumbers, encodeNumbers } from '../src/numeric/evaluator/wire';

const DIR = 'test/golden';
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();

test('golden vectors cover every evaluator op', () => {
  const seen = new Set(
    FILES.flatMap((f) =>
      readFileSync(`${DIR}/${f}`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as RecordedOp).op),
    ),
  );
  const ops: OpName[] = ['load', 'sample', 'fill', 'scalars', 'gather', 'assign', 'directions', 'move', 'evaluate', 'linear', 'mix'];
  ops.push('normalize', 'orthogonalize', 'norms', 'distances', 'dots', 'quad', 'apply', 'eigen', 'fetch', 'release', 'stats');
  assert.deepEqual(
    ops.filter((op) => !seen.has(op)),
    [],
  );
});

for (const file of FILES) {
  test(`golden ${file}: the CPU evaluator reproduces every answer`, async () => {
    const evaluator = new CpuEvaluator();
    const lines = readFileSync(`${DIR}/${file}`, 'utf8').trim().split('\n');
    for (const [k, line] of lines.entries()) {
      const entry = JSON.parse(line) as RecordedOp;
      const args = decodeNumbers(entry.args) as never;
      try {
        const answer = encodeNumbers(await evaluator.run(entry.op, args));
        assert.equal(entry.error, undefined, `op ${k} (${entry.op}) should have failed: ${entry.error?.message}`);
        assert.deepEqual(answer, entry.answer, `op ${k} (${entry.op})`);
      } catch (e) {
        if (!(e instanceof SamplingFailed) || !entry.error?.sampling) throw e;
        assert.equal(e.message, entry.error.message);
      }
    }
  });
}
