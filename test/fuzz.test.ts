/** A few thousand hostile inputs in every test run; scripts/fuzz.ts runs 100,000+. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzInputs, fuzzOne } from './fuzzgen';

/** A hang guard, not a speed target (`npm run fuzz` reports the slowest input; CI machines vary). */
const HANG_MS = 5000;

test('parser and checker survive 3,000 fuzzed inputs: no exception, no hang, every diagnostic positioned', () => {
  const failures = [];
  for (const input of fuzzInputs(20261122, 3000)) {
    const r = fuzzOne(input, HANG_MS);
    if (r.failure) failures.push(r.failure);
  }
  assert.deepEqual(
    failures.slice(0, 3).map((f) => `${f.problem}\n--- input:\n${f.input.slice(0, 300)}`),
    [],
  );
});
