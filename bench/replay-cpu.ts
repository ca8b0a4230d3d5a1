/**
 * Where DerivLens's CPU evaluator spends a recorded check's time, op by op: replays a
 * DERIVLENS_RECORD log through CpuEvaluator in-process (no CLI, no worker, no driver) and prints
 * seconds per op kind, for comparison with bench/reference_jax.py's `warm_by_op` on the same log.
 *
 *   node --import tsx bench/replay-cpu.ts ops.jsonl
 */
import { readFileSync } from 'node:fs';
import { SamplingFailed } from '../src/numeric/evaluator/api';
import { CpuEvaluator } from '../src/numeric/evaluator/cpu';
import type { RecordedOp } from '../src/numeric/evaluator/record';
import { decodeNumbers } from '../src/numeric/evaluator/wire';

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) throw new Error('usage: bench/replay-cpu.ts ops.jsonl');
  const entries = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedOp);
  const evaluator = new CpuEvaluator();
  const byOp = new Map<string, number>();
  const t0 = performance.now();
  for (const entry of entries) {
    const t = performance.now();
    try {
      await evaluator.run(entry.op, decodeNumbers(entry.args) as never);
    } catch (e) {
      if (!(e instanceof SamplingFailed && entry.error?.sampling)) throw e;
    }
    byOp.set(entry.op, (byOp.get(entry.op) ?? 0) + (performance.now() - t) / 1000);
  }
  const total = (performance.now() - t0) / 1000;
  await evaluator.close();
  const top = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, s]) => [op, Number(s.toFixed(4))]);
  console.log(JSON.stringify({ ops: entries.length, seconds: total, by_op: Object.fromEntries(top) }));
}

void main();
