/**
 * A claim checked on its own (as the editor checks them, one request per claim) gets exactly the
 * verdict and evidence it gets in a whole-file check (as the CLI runs): sample streams are keyed on
 * the claim's index in its file, not on its position in the request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { analyzeDocument } from '../src/app/load';
import { runClaims } from '../src/app/runClaims';
import { WorkerClient } from '../src/numeric/client';

test('checking claims one by one gives the whole-file verdicts and evidence', { timeout: 120_000 }, async () => {
  const worker = new WorkerClient({ command: process.execPath, args: [resolve('dist/worker.js')] });
  try {
    for (const file of ['examples/softmax_regression.loss', 'examples/softmax_mistakes.loss']) {
      const { loaded } = analyzeDocument(file, readFileSync(file, 'utf8'));
      assert.ok(loaded);
      const whole = await runClaims(worker, loaded, { seed: 7, budget: 'quick' });
      for (const c of whole.claims) {
        const alone: (typeof whole.claims)[number] = (await runClaims(worker, loaded, { seed: 7, budget: 'quick', only: [c.claimIndex] }))
          .claims[0]!;
        assert.equal(alone.claimIndex, c.claimIndex);
        assert.equal(alone.verdict, c.verdict, `${file}:${c.line}`);
        assert.equal(alone.summary, c.summary, `${file}:${c.line}`);
        assert.deepEqual(alone.counterexample?.point, c.counterexample?.point, `${file}:${c.line}`);
      }
    }
  } finally {
    await worker.stop();
  }
});
