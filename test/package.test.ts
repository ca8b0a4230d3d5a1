/** The .vsix ships what its Marketplace page and the editor need: README images, icons, the server, the walkthrough's example. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

test('the packaged .vsix contains every image and file its README shows or links, its icons, the language server and the walkthrough media', () => {
  const vsix = join(mkdtempSync(join(tmpdir(), 'derivlens-vsix-')), 'derivlens.vsix');
  const pack = spawnSync(
    process.execPath,
    [resolve('node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--no-rewrite-relative-links', '-o', vsix],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(pack.status, 0, pack.stderr + pack.stdout);
  const listing = spawnSync(process.execPath, [resolve('node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  const files = new Set(listing.stdout.split('\n').filter(Boolean));
  const unzip = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
  const inVsix = unzip.status === 0 ? new Set(unzip.stdout.split('\n').map((l) => l.replace(/^extension\//, ''))) : files;
  const readme = readFileSync('README.md', 'utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((p) => !/^https?:/.test(p));
  // Relative links (CONTRIBUTING.md, …) must resolve inside the package too.
  const links = [...readme.matchAll(/[^!]\[[^\]]*\]\(([^)\s#]+)\)/g)].map((m) => m[1]!).filter((p) => !/^[a-z]+:/.test(p));
  assert.ok(images.length >= 8, `README shows ${images.length} images`);
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
    icon: string;
    contributes: {
      languages: { icon: { light: string } }[];
      walkthroughs: { steps: { media: { image: string } }[] }[];
      snippets: { path: string }[];
    };
  };
  const needed = [
    ...images,
    ...links,
    manifest.icon,
    manifest.contributes.languages[0]!.icon.light.replace(/^\.\//, ''),
    ...manifest.contributes.walkthroughs[0]!.steps.map((s) => s.media.image),
    ...manifest.contributes.snippets.map((s) => s.path.replace(/^\.\//, '')),
    'examples/softmax_mistakes.loss',
    'dist/server.js',
    'dist/worker.js',
    'dist/extension.js',
    'CHANGELOG.md',
    'README.md',
  ];
  const missing = needed.filter((p) => !inVsix.has(p) && !files.has(p));
  assert.deepEqual(missing, [], `missing from the vsix (listed: ${[...inVsix].join(', ')})`);
  assert.ok(![...inVsix].some((p) => p.startsWith('src/') || p.startsWith('test/')), 'no sources or tests in the vsix');
});
