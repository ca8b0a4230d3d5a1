// Compiles the AssemblyScript kernels (src/numeric/kernels/assembly/kernels.ts) to
// src/numeric/kernels/kernels.wasm, which is committed: `npm run build:wasm` after editing the
// kernels; src/numeric/kernels/wasm.test.ts recompiles and fails when the committed bytes differ.
// The bundles inline the .wasm (scripts/build.mjs), so nothing is read from disk at run time.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const KERNELS_SOURCE = 'src/numeric/kernels/assembly/kernels.ts';
export const KERNELS_WASM = 'src/numeric/kernels/kernels.wasm';

/** asc flags: SIMD; memory imported and shared (the kernel threads run one module over one memory). */
const FLAGS = [
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--enable',
  'threads',
  '--importMemory',
  '--noExportMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
];

/** The compiled kernels module, in memory. */
export async function compileKernels() {
  const { default: asc } = await import('assemblyscript/asc');
  let binary;
  const { error, stderr } = await asc.main([KERNELS_SOURCE, ...FLAGS, '--outFile', 'kernels.wasm'], {
    writeFile(name, contents) {
      if (name.endsWith('.wasm')) binary = contents;
    },
  });
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const binary = await compileKernels();
  writeFileSync(KERNELS_WASM, binary);
  console.log(`${KERNELS_WASM}: ${binary.length} bytes`);
}
