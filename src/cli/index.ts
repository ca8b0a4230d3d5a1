/** Bundle entry of the CLI: runs `main` and turns an internal failure into a short report, not a stack dump. */
import { main } from './main';

export function run(argv: string[]): void {
  main(argv, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), distDir: __dirname, tty: process.stderr.isTTY })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((e: unknown) => {
      process.stderr.write(
        `derivlens: internal error: ${(e as Error).message}\nThis is a bug in DerivLens; set DERIVLENS_DEBUG=1 for the stack trace.\n`,
      );
      if (process.env['DERIVLENS_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 3;
    });
}
