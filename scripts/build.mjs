// Bundles the CLI, the CPU worker and the VS Code extension (node, CommonJS; `vscode` comes from the
// host), and prepares the KaTeX stylesheet with its woff2 fonts inlined for self-contained reports.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' }),
  build({ ...common, entryPoints: ['src/numeric/worker.ts'], outfile: 'dist/worker.js' }),
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);

const katexDir = join(dirname(createRequire(import.meta.url).resolve('katex/package.json')), 'dist');
const css = readFileSync(join(katexDir, 'katex.min.css'), 'utf8').replace(/src:([^;}]*)/g, (_, sources) => {
  const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
  if (!woff2) return `src:${sources}`;
  const data = readFileSync(join(katexDir, woff2[1])).toString('base64');
  return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
});
mkdirSync('dist', { recursive: true });
writeFileSync('dist/katex-inline.css', css);
