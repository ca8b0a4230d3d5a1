// Bundles the CLI and the VS Code extension (node, CommonJS; `vscode` is provided by the host).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' }),
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
