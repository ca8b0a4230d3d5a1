/** Terminal extras of `derivlens check`: the progress bar and the HTML report file. */
import { writeFileSync } from 'node:fs';
import type { FileOutcome } from '../app/runClaims';
import { renderReport } from '../app/report';
import type { SweepOutcome } from '../app/sweep';
import type { ProgressParams } from '../numeric/protocol';

/** A one-line progress bar on a terminal. */
export function progressBar(write: (s: string) => void): { update: (p: ProgressParams, claims: number) => void; done: () => void } {
  let shown = false;
  return {
    update(p, claims) {
      const frac = (p.claim + p.done / Math.max(p.total, 1)) / Math.max(claims, 1);
      const width = 30;
      const filled = Math.round(frac * width);
      write(`\r${'█'.repeat(filled)}${'░'.repeat(width - filled)} claim ${Math.min(p.claim + 1, claims)}/${claims} ${p.token ?? ''}`);
      shown = true;
    },
    done() {
      if (shown) write('\r\x1b[K');
    },
  };
}

export function writeReport(path: string, outcomes: FileOutcome[], assetsDir: string, sweeps: SweepOutcome[] = []): void {
  writeFileSync(path, renderReport(outcomes, assetsDir, sweeps));
}
