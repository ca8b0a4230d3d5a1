/** Runs every example through the CPU and Python workers and prints where they differ. */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkerClient } from '../src/numeric/client';
import { buildCheckParams } from '../src/numeric/request';
import { planClaims } from '../src/symbolic/claims';
import { analyze } from '../src/symbolic/analyze';
import { compareResults } from '../src/numeric/parity';

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'numpy';
  const budget = (process.argv[3] ?? 'quick') as 'quick';
  const cpu = new WorkerClient({ command: process.execPath, args: [resolve('dist/worker.js')] });
  const py = new WorkerClient(
    {
      command: process.env['DERIVLENS_PYTHON'] ?? 'python3',
      args: [resolve('python/worker.py')],
      env: { ...process.env, DERIVLENS_PY_BACKEND: backend },
    },
    undefined,
    600_000,
  );
  let bad = 0;
  for (const f of readdirSync('examples')
    .filter((f) => f.endsWith('.loss'))
    .sort()) {
    const a = analyze(readFileSync(`examples/${f}`, 'utf8'));
    if (!a.lowered || !a.derivatives || !a.program) continue;
    const params = buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), {
      seed: 1,
      budget,
    });
    const t0 = Date.now();
    const r1 = await cpu.check(params);
    const t1 = Date.now();
    const r2 = await py.check(params);
    const t2 = Date.now();
    const diffs = compareResults(r1, r2, 1e-10);
    bad += diffs.length;
    console.log(
      `${f}: cpu ${t1 - t0} ms, ${backend} ${t2 - t1} ms, ${diffs.length} differences${diffs.length ? '\n  ' + diffs.slice(0, 8).join('\n  ') : ''}`,
    );
  }
  await cpu.stop();
  await py.stop();
  process.exitCode = bad ? 1 : 0;
}
void main();
