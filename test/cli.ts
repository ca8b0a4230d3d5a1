/** Runs the CLI in-process with captured output (the worker is the real bundled dist/worker.js). */
import { resolve } from 'node:path';
import { main } from '../src/cli/main';

export async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), distDir: resolve('dist') });
  return { code, out, err };
}
