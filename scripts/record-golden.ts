/**
 * Writes the golden vectors of the evaluators (test/golden/*.jsonl): the ops the check driver sends
 * for a few examples at the quick budget, with the CPU evaluator's answers. Run it when the driver or
 * the op set changes (`node --import tsx scripts/record-golden.ts`), and review the diff: every
 * evaluator must reproduce these answers (test/golden.test.ts, python/tests/test_golden.py).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runClaims } from '../src/numeric/driver/index';
import { CpuEvaluator } from '../src/numeric/evaluator/cpu';
import { RecordingEvaluator } from '../src/numeric/evaluator/record';
import { buildCheckParams } from '../src/numeric/request';
import { analyze } from '../src/symbolic/analyze';
import { planClaims } from '../src/symbolic/claims';

/** name → source, and the full-Hessian dimension from which the driver uses Lanczos. */
const CASES: [string, string, number?][] = [
  ['softmax_regression', readFileSync('examples/softmax_regression.loss', 'utf8')],
  ['relu_regression', readFileSync('examples/relu_regression.loss', 'utf8')],
  ['attention_regression', readFileSync('examples/attention_regression.loss', 'utf8')],
  ['softmax_data_perturbed', readFileSync('examples/softmax_data_perturbed.loss', 'utf8')],
  ['gmm_score', readFileSync('examples/gmm_score.loss', 'utf8')],
  [
    'large_d',
    `dim n = 16, d = 12
given A : R^{n x d} with ||A||_2 <= 2
given b : R^n       with b >= 0, sum(b) = 1
var   x : R^d       with ||x||_2 <= 2
loss L = 0.5 ||softmax(A x) - b||_2^2 + 0.01 ||x||_2^2
claim hess L psd
claim hess L pd
`,
    8,
  ],
  [
    'nonfinite',
    `dim n = 3
var x : R^n
loss L = log(<x, x> - 1)
claim grad L = 2 x / (<x, x> - 1)
claim hess L psd
claim lipschitz(L) <= 10
`,
  ],
  ['sampling', 'dim n = 3\ngiven b : R^n with b >= 1, sum(b) = 1\nvar x : R^n\nloss L = <b, x>^2\nclaim hess L psd\n'],
];

async function main(): Promise<void> {
  for (const [name, source, lanczos] of CASES) {
    const a = analyze(source);
    if (!a.program || !a.lowered || !a.derivatives) throw new Error(`${name}: ${a.diagnostics.map((d) => d.message).join('; ')}`);
    const params = buildCheckParams(a.program, a.lowered, a.derivatives, planClaims(a.lowered, a.derivatives, a.program.claims), {
      seed: 1,
      budget: 'quick',
    });
    const lines: string[] = [];
    const evaluator = new RecordingEvaluator(new CpuEvaluator(), (line) => lines.push(line));
    await runClaims(params, evaluator, { progress: async () => {}, ...(lanczos ? { lanczosMinDimension: lanczos } : {}) });
    writeFileSync(`test/golden/${name}.jsonl`, lines.join(''));
    console.log(`${name}: ${lines.length} ops, ${(lines.join('').length / 1024).toFixed(0)} KiB`);
  }
}

void main();
