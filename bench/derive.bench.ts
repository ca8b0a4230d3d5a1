/**
 * Derivation time per shipped example (parse → check → lower → gradient → Hessian), after warm-up,
 * against a reference measured in the same run: one evaluation of the derived loss/gradient/Hessian
 * at a point. Target: every example's derivation < 50 ms.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DerivativePlan } from '../src/numeric/point';
import { analyze } from '../src/symbolic/analyze';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log('example                        derive ms (median of 20)   eval ms   derive/eval   target < 50 ms');
for (const file of readdirSync('examples')
  .filter((f) => f.endsWith('.loss'))
  .sort()) {
  const text = readFileSync(join('examples', file), 'utf8');
  for (let i = 0; i < 5; i++) analyze(text);
  const times: number[] = [];
  let last = analyze(text);
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    last = analyze(text);
    times.push(performance.now() - t0);
  }
  const plan = new DerivativePlan(last.lowered!, last.derivatives!);
  const inputs = new Map<string, Float64Array>();
  for (const d of [...last.program.givens, ...last.program.vars])
    inputs.set(d.name, new Float64Array(d.shape.rows.value * d.shape.cols.value).fill(0.1));
  const evalTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    plan.evaluate(inputs);
    evalTimes.push(performance.now() - t0);
  }
  const d = median(times);
  const e = median(evalTimes);
  console.log(
    `${file.padEnd(30)} ${d.toFixed(2).padStart(10)}                ${e.toFixed(3).padStart(8)}   ${(d / e).toFixed(1).padStart(8)}x     ${d < 50 ? 'ok' : 'SLOW'}`,
  );
}

// Deep let chains: every layer uses the previous one twice, so the derivative DAG is shared deeply.
for (const depth of [50, 100, 200]) {
  const lines = ['dim n = 4', 'var x : R^n', 'let y0 = x'];
  for (let i = 1; i <= depth; i++) lines.push(`let y${i} = tanh(y${i - 1}) ∘ y${i - 1} + y${i - 1}`);
  lines.push(`loss L = sum(y${depth})`);
  const text = lines.join('\n');
  analyze(text);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    analyze(text);
    times.push(performance.now() - t0);
  }
  console.log(`let chain, ${depth} layers (each used twice)`.padEnd(40) + `${median(times).toFixed(1).padStart(8)} ms (median of 5)`);
}
