/**
 * The compiled kernels (kernels.wasm, built by scripts/build-wasm.mjs and committed). Run from
 * source (tests, benches) this reads the file; scripts/build.mjs replaces this module with the
 * file's bytes inlined (esbuild's binary loader), so the bundles read nothing at run time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const bytes = new Uint8Array(readFileSync(join(__dirname, 'kernels.wasm')));
export default bytes;
