/**
 * The committed kernels.wasm is what its AssemblyScript source compiles to, the bundles carry it
 * inline, and a bundle runs the kernels with no file access at all — under Node's permission
 * model without worker threads, where split calls stay on the calling thread.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const script = (name: string) => import(pathToFileURL(resolve('scripts', name)).href);

test('kernels.wasm is the compiled assembly/kernels.ts (npm run build:wasm rebuilds it)', { timeout: 120_000 }, async () => {
  const { compileKernels, KERNELS_WASM } = await script('build-wasm.mjs');
  const fresh: Uint8Array = await compileKernels();
  const committed = new Uint8Array(readFileSync(KERNELS_WASM));
  assert.ok(Buffer.from(fresh).equals(committed), `${KERNELS_WASM} differs from a fresh compile: run npm run build:wasm`);
});

test('the worker and CLI bundles carry the kernels inline', () => {
  const base64 = readFileSync('src/numeric/kernels/kernels.wasm').toString('base64');
  for (const bundle of ['dist/worker.js', 'dist/cli.js'])
    assert.ok(readFileSync(bundle, 'utf8').includes(base64), `${bundle} has kernels.wasm inlined`);
});

test('a bundle runs the kernels with no file access and no worker threads (permission model)', async () => {
  const { build } = await import('esbuild');
  const { inlineWasm } = await script('inline-wasm.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-kernels-'));
  const entry = join(dir, 'entry.ts');
  const kernels = resolve('src/numeric/kernels');
  writeFileSync(
    entry,
    `import { gemm, setKernelThreads, smallestEigenpairs, spectralNorm } from ${JSON.stringify(kernels)};
import { gemmReference } from ${JSON.stringify(join(kernels, 'reference'))};
setKernelThreads(2);
const n = 200;
const a = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i));
const c = gemm(n, n, n, a, a, new Float64Array(n * n));
const reference = gemmReference(n, n, n, a, a, new Float64Array(n * n));
const same = c.every((x, i) => Object.is(x, reference[i]));
const lambda = smallestEigenpairs(a.map((x, i) => x + a[(i % n) * n + Math.floor(i / n)]), n, 1).values[0];
console.log(JSON.stringify({ same, lambda, norm: spectralNorm(a, n, n).norm }));
`,
  );
  const bundle = join(dir, 'bundle.js');
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
    ...inlineWasm,
  });
  const r = spawnSync(process.execPath, ['--experimental-permission', `--allow-fs-read=${bundle}`, bundle], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /ERR_ACCESS_DENIED/);
  const out = JSON.parse(r.stdout);
  assert.equal(out.same, true, 'the product has the reference bits');
  assert.ok(Number.isFinite(out.lambda) && out.norm > 0, r.stdout);
});

test('without WebAssembly (DERIVLENS_KERNELS=typescript) every kernel falls back to the reference: the same bits', () => {
  const program = `
import { gemm, gemv, smallestEigenpairs, spectralNorm, syrk } from ${JSON.stringify(resolve('src/numeric/kernels'))};
const n = 150;
const a = Float64Array.from({ length: n * n }, (_, i) => Math.cos(i * 0.37));
const s = a.map((x, i) => x + a[(i % n) * n + Math.floor(i / n)]);
console.log(JSON.stringify({
  gemm: Array.from(gemm(n, n, n, a, a, new Float64Array(n * n), { transB: true })),
  syrk: Array.from(syrk(n, n, a, new Float64Array(n * n))),
  gemv: Array.from(gemv(n, n, a, a.subarray(0, n), new Float64Array(n))),
  norm: spectralNorm(a, n, n).norm,
  lambda: Array.from(smallestEigenpairs(s, n, 2).values),
}));`;
  const dir = mkdtempSync(join(tmpdir(), 'derivlens-kernels-'));
  writeFileSync(join(dir, 'entry.ts'), program);
  const runs = ['wasm', 'typescript'].map((kernels) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'entry.ts')], {
      encoding: 'utf8',
      env: { ...process.env, DERIVLENS_KERNELS: kernels },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { gemm: number[]; syrk: number[]; gemv: number[]; norm: number; lambda: number[] };
  });
  rmSync(dir, { recursive: true, force: true });
  const [wasm, ts] = runs as [(typeof runs)[0], (typeof runs)[0]];
  assert.deepEqual(ts.gemm, wasm.gemm);
  assert.deepEqual(ts.syrk, wasm.syrk);
  assert.deepEqual(ts.gemv, wasm.gemv);
  assert.equal(ts.norm, wasm.norm, 'the same products give the same Lanczos run');
  ts.lambda.forEach((v, i) =>
    assert.ok(Math.abs(v - wasm.lambda[i]!) <= 1e-11 * Math.abs(wasm.lambda[i]!), `λ_${i}: ${v} vs ${wasm.lambda[i]}`),
  );
});
