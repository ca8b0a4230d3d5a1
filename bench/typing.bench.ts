/**
 * Diagnostics while typing in a 5,000-line .loss file (a 20-layer chain of lets, 1,600 claims,
 * comments): each keystroke re-analyses the whole file
 * (parse, check, lower, differentiate — what the editor runs, debounced). Target: < 100 ms per
 * keystroke. Reference in the same run: lexing + parsing alone.
 */
import { parse } from '../src/language/parser';
import { analyze } from '../src/symbolic/analyze';
import { FUNCTIONS } from '../src/symbolic/ops';

const lines = ['dim n = 16, d = 8', 'given A : R^{n x d}', 'given b : R^n', 'var x : R^d', 'let u0 = A x'];
for (let i = 1; i < 20; i++) lines.push(`let u${i} = tanh(u${i - 1}) ∘ b + 0.5 u${i - 1}   # layer ${i}`);
lines.push('loss L = 0.5 ||u19 - b||_2^2 + 0.5 ||x||_2^2');
while (lines.length < 5000)
  lines.push(
    lines.length % 3
      ? `# note ${lines.length}: comments and claims make up most of a long file`
      : `claim <u${lines.length % 20}, b> <= ${lines.length}`,
  );
const base = lines.join('\n');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const keystrokes = 'claim ||x||_2 <= 3'.split('');
const full: number[] = [];
const parseOnly: number[] = [];
for (let round = 0; round < 3; round++) {
  let typed = '';
  for (const ch of keystrokes) {
    typed += ch;
    const text = `${base}\n${typed}`;
    let t0 = performance.now();
    analyze(text);
    full.push(performance.now() - t0);
    t0 = performance.now();
    parse(text, new Set(FUNCTIONS.keys()));
    parseOnly.push(performance.now() - t0);
  }
}
const f = median(full);
const p = median(parseOnly);
console.log(
  `5,000-line file, ${keystrokes.length} keystrokes × 3: full analysis median ${f.toFixed(1)} ms ` +
    `(max ${Math.max(...full).toFixed(1)} ms), parse only ${p.toFixed(1)} ms, ratio ${(f / p).toFixed(1)}×  ` +
    `target < 100 ms: ${f < 100 ? 'ok' : 'SLOW'}`,
);
