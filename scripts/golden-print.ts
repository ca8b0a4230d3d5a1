// Regenerates test/golden/printed/*.txt: `derivlens derive` of every example (ASCII and LaTeX forms).
// Review every changed form by hand before committing: each must be what a paper would write.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture } from '../test/cli';

const dir = join('test', 'golden', 'printed');
mkdirSync(dir, { recursive: true });
void (async () => {
  for (const f of readdirSync('examples').filter((x) => x.endsWith('.loss'))) {
    const r = await capture(['derive', join('examples', f)]);
    writeFileSync(join(dir, f.replace(/\.loss$/, '.txt')), r.out);
  }
})();
