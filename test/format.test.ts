/** Source formatting: Prettier for TypeScript/JavaScript/JSON, ruff for Python, and no line over 200 characters anywhere. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const SOURCE_DIRS = ['src', 'test', 'bench', 'scripts', 'python', 'media'];
const SOURCE = /\.(ts|mjs|js|py|css|json)$/;
const SKIP = /(^|\/)(katex|__pycache__|golden)(\/|$)/;
const MAX_LINE = 200;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (SKIP.test(p)) return [];
    return statSync(p).isDirectory() ? sources(p) : SOURCE.test(name) ? [p] : [];
  });
}

test('TypeScript, JavaScript and JSON are formatted with Prettier (npx prettier --write . fixes it)', () => {
  const r = spawnSync(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `prettier --check found unformatted files:\n${r.stdout}${r.stderr}`);
});

const ruff = spawnSync('ruff', ['--version'], { encoding: 'utf8' });
test(
  'Python is formatted with ruff (ruff format fixes it)',
  { skip: ruff.status === 0 ? false : 'ruff is not installed (.ci/run installs it from the local wheel index)' },
  () => {
    const r = spawnSync('ruff', ['format', '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `ruff format --check:\n${r.stdout}${r.stderr}`);
  },
);

test(`no source line is longer than ${MAX_LINE} characters`, () => {
  const long = SOURCE_DIRS.flatMap(sources).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => ([...line].length > MAX_LINE ? [`${file}:${i + 1} (${[...line].length} characters)`] : [])),
  );
  assert.deepEqual(long, []);
});
