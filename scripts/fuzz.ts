/**
 * The long fuzz run: `node --import tsx scripts/fuzz.ts [COUNT] [SEED]` (default 100,000 inputs).
 * Prints the count, failures, the slowest input and throughput; exits 1 on any failure.
 */
import { fuzzInputs, fuzzOne } from '../test/fuzzgen';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
let failures = 0;
let slowest = 0;
const t0 = performance.now();
let k = 0;
for (const input of fuzzInputs(seed, count)) {
  const r = fuzzOne(input);
  slowest = Math.max(slowest, r.ms);
  if (r.failure) {
    failures++;
    if (failures <= 5) console.log(`FAIL: ${r.failure.problem}\n  input: ${JSON.stringify(r.failure.input.slice(0, 200))}`);
  }
  if (++k % 20000 === 0) console.log(`${k} inputs…`);
}
const s = (performance.now() - t0) / 1000;
console.log(`${k} inputs, ${failures} failures, slowest ${slowest.toFixed(1)} ms, ${(k / s).toFixed(0)} inputs/s (seed ${seed})`);
process.exit(failures ? 1 : 0);
