/** Bundle entry of the CLI: runs `main` and turns an internal failure into a short report, not a stack dump. */
import { main } from './main';

export function run(argv: string[]): void {
  try {
    process.exitCode = main(argv);
  } catch (e) {
    process.stderr.write(`derivlens: internal error: ${(e as Error).message}\nThis is a bug in DerivLens; set DERIVLENS_DEBUG=1 for the stack trace.\n`);
    if (process.env['DERIVLENS_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 3;
  }
}
