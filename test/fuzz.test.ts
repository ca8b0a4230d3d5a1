/** A few thousand hostile inputs in every test run; scripts/fuzz.ts runs 100,000+. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzInputs, fuzzOne } from './fuzzgen';

test('parser and checker survive 3,000 fuzzed inputs: no exception, none slow, every diagnostic positioned', () => {
  const failures = [];
  for (const input of fuzzInputs(20261122, 3000)) {
    const r = fuzzOne(input);
    if (r.failure) failures.push(r.failure);
  }
  assert.deepEqual(
    failures.slice(0, 3).map((f) => `${f.problem}\n--- input:\n${f.input.slice(0, 300)}`),
    [],
  );
});
