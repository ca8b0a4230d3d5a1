// Bundles the CLI, the CPU worker, the language server and the VS Code extension (node, CommonJS;
// `vscode` comes from the host; the WebAssembly kernels inlined), prepares the KaTeX stylesheet with
// its woff2 fonts inlined for self-contained reports, and
// copies KaTeX into media/ for the webview.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inlineWasm } from './inline-wasm.mjs';

const require = createRequire(import.meta.url);
// mathjax-full reads its version from its package.json at run time unless PACKAGE_VERSION is defined.
const mathjaxVersion = JSON.parse(readFileSync(require.resolve('mathjax-full/package.json'), 'utf8')).version;
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', ...inlineWasm };
await Promise.all([
  // KaTeX stays in node_modules for the CLI (a dependency; only --html loads it): bundled, it was half
  // of dist/cli.js, read and parsed on every run.
  build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js', external: ['katex'] }),
  build({ ...common, entryPoints: ['src/numeric/worker.ts'], outfile: 'dist/worker.js' }),
  build({ ...common, entryPoints: ['src/server/server.ts'], outfile: 'dist/server.js' }),
  build({
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    minify: true,
    define: { PACKAGE_VERSION: JSON.stringify(mathjaxVersion) },
  }),
]);

const katexDir = join(dirname(require.resolve('katex/package.json')), 'dist');
const css = readFileSync(join(katexDir, 'katex.min.css'), 'utf8').replace(/src:([^;}]*)/g, (_, sources) => {
  const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
  if (!woff2) return `src:${sources}`;
  const data = readFileSync(join(katexDir, woff2[1])).toString('base64');
  return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
});
mkdirSync('dist', { recursive: true });
writeFileSync('dist/katex-inline.css', css);

// The webview loads KaTeX from media/ (its only local resource root).
mkdirSync('media/katex/fonts', { recursive: true });
copyFileSync(join(katexDir, 'katex.min.css'), 'media/katex/katex.min.css');
for (const f of readdirSync(join(katexDir, 'fonts')))
  if (f.endsWith('.woff2')) copyFileSync(join(katexDir, 'fonts', f), join('media/katex/fonts', f));
