/**
 * Where DerivLens's CPU evaluator spends a recorded check's time, op by op: replays a
 * DERIVLENS_RECORD log through CpuEvaluator in-process (no CLI, no worker, no driver) and prints
 * seconds per op kind, for comparison with bench/reference_jax.py's `warm_by_op` on the same log.
 * With --passes=N it replays the log N times in one process and reports the last pass (by_op) and
 * every pass's total.
 *
 *   node --import tsx bench/replay-cpu.ts ops.jsonl [--passes=N]
 */
import { readFileSync } from 'node:fs';
import { SamplingFailed } from '../src/numeric/evaluator/api';
import { CpuEvaluator } from '../src/numeric/evaluator/cpu';
import type { RecordedOp } from '../src/numeric/evaluator/record';
import { decodeNumbers } from '../src/numeric/evaluator/wire';

async function main(): Promise<void> {
  const [path, passesFlag] = process.argv.slice(2);
  if (!path) throw new Error('usage: bench/replay-cpu.ts ops.jsonl [--passes N]');
  const passes = passesFlag?.startsWith('--passes=') ? Number(passesFlag.slice('--passes='.length)) : 1;
  const entries = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedOp);
  // Pass 1 runs cold (code not yet optimised, as in a fresh worker); later passes run warm, like the
  // warm pass of bench/reference_jax.py.
  const seconds: number[] = [];
  let byOp = new Map<string, number>();
  for (let pass = 0; pass < passes; pass++) {
    const evaluator = new CpuEvaluator();
    byOp = new Map<string, number>();
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
    seconds.push((performance.now() - t0) / 1000);
    await evaluator.close();
  }
  const top = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, s]) => [op, Number(s.toFixed(4))]);
  console.log(
    JSON.stringify({ ops: entries.length, seconds: seconds[seconds.length - 1], passes: seconds, by_op: Object.fromEntries(top) }),
  );
}

void main();
