/**
 * The CLI's edges: an empty file, an output to a missing directory or over an input, --data outside
 * the declared domain, --sweep values the file itself would reject. Each is a clear message and
 * exit 2 (or a warning and marked verdicts), and nothing is written or overwritten.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capture } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'derivlens-cli-edges-'));
const source = join(dir, 'softmax_regression.loss');
copyFileSync('examples/softmax_regression.loss', source);
const original = readFileSync(source, 'utf8');

test('an empty file (or only comments) is an error with a position, exit 2', async () => {
  for (const [name, text] of [
    ['empty.loss', ''],
    ['comments.loss', '# nothing yet\n'],
  ]) {
    const file = join(dir, name);
    writeFileSync(file, text);
    for (const command of ['check', 'derive']) {
      const r = await capture([command, file]);
      assert.equal(r.code, 2, `${command} ${name}`);
      assert.match(r.err, new RegExp(`${name}:1:1: error\\[no-loss\\]: the file has no statements`));
    }
  }
});

test('--html and --out to a missing directory, over an input or a .loss file: exit 2, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['check', source, '--budget', 'quick', '--html', join(dir, 'missing', 'report.html')],
      /--html .*: the directory .*missing does not exist/,
    ],
    [['check', source, '--budget', 'quick', '--html', source], /refusing to write over a \.loss file/],
    [['check', source, '--budget', 'quick', '--html', join(dir, 'other.loss')], /refusing to write over a \.loss file/],
    [['check', source, '--budget', 'quick', '--html', dir], /that is a directory/],
    [['export', source, '--numpy', '--out', join(dir, 'missing', 'x.py')], /--out .*: the directory .*missing does not exist/],
    [['export', source, '--latex', '--no-check', '--out', source], /refusing to write over a \.loss file/],
  ];
  const data = join(dir, 'data.json');
  writeFileSync(data, '{}');
  cases.push([['check', source, '--budget', 'quick', '--data', data, '--html', data], /that is an input file/]);
  for (const [args, message] of cases) {
    const r = await capture(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.out, '', 'nothing checked before the refusal');
  }
  assert.equal(readFileSync(source, 'utf8'), original, 'the source is untouched');
  assert.equal(readFileSync(data, 'utf8'), '{}');
  assert.equal(existsSync(join(dir, 'missing')), false);
  assert.equal(existsSync(join(dir, 'other.loss')), false);
});

test('--sweep values the file would reject in a sweep statement: exit 2, nothing written', async () => {
  const html = join(dir, 'sweep.html');
  for (const [spec, message] of [
    ['n in [0, 8]', /n is a dimension and takes positive whole numbers, not 0/],
    ['n in [8.5]', /not 8\.5/],
    ['n in [8], n in [16]', /n is given twice/],
    ['q in [1, 2]', /'q' is not a dim or const/],
    ['n = 8', /--sweep/],
  ] as const) {
    const r = await capture(['check', source, '--budget', 'quick', '--sweep', spec, '--html', html]);
    assert.equal(r.code, 2, `${spec}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(existsSync(html), false);
  }
  // The same values in the file itself are rejected by the checker, also with exit 2.
  const inFile = join(dir, 'sweep_in_file.loss');
  writeFileSync(inFile, `${original}sweep n in [0, 8]\n`);
  assert.equal((await capture(['check', inFile, '--budget', 'quick'])).code, 2);
});

test('--data outside the declared domain: a warning, and every verdict that depends on it is marked', async () => {
  const data = join(dir, 'w0.json');
  writeFileSync(data, JSON.stringify({ w: Array(16).fill(0) }));
  const r = await capture(['check', source, '--budget', 'quick', '--seed', '1', '--data', data, '--json']);
  assert.match(
    r.err,
    /warning: .*w0\.json: w breaks w >= 2, declared at .*softmax_regression\.loss:8; verdicts that depend on it are marked "data outside the declared domain"/,
  );
  const claims = (JSON.parse(r.out) as { claims: { text: string; outsideDomain?: string }[] }).claims;
  const marked = claims.filter((c) => c.outsideDomain).map((c) => c.text);
  // Every claim about the loss depends on w; <f, 1_n> = 1 and ||f||_2 <= 1 do not.
  assert.equal(marked.length, 6, JSON.stringify(claims.map((c) => [c.text, c.outsideDomain])));
  assert.ok(claims.find((c) => c.text === '<f, 1_n> = 1') && !claims.find((c) => c.text === '<f, 1_n> = 1')!.outsideDomain);
  assert.match(claims[0]!.outsideDomain!, /^data outside the declared domain: w breaks w >= 2$/);
  const text = await capture(['check', source, '--budget', 'quick', '--seed', '1', '--data', data]);
  assert.match(text.out, /⚠ data outside the declared domain: w breaks w >= 2/);
  // Data inside the domain: no warning, nothing marked.
  writeFileSync(data, JSON.stringify({ w: Array(16).fill(2.5) }));
  const inside = await capture(['check', source, '--budget', 'quick', '--seed', '1', '--data', data, '--json']);
  assert.doesNotMatch(inside.err, /warning/);
  assert.ok((JSON.parse(inside.out) as { claims: { outsideDomain?: string }[] }).claims.every((c) => !c.outsideDomain));
});
