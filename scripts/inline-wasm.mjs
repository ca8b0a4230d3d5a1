// esbuild options that inline the WebAssembly kernels into a bundle: src/numeric/kernels/wasm-bytes.ts
// (which reads kernels.wasm from disk when run from source) is replaced by the .wasm file itself,
// loaded as a Uint8Array by esbuild's binary loader, so a bundle reads nothing at run time.
import { join } from 'node:path';

export const inlineWasm = {
  loader: { '.wasm': 'binary' },
  plugins: [
    {
      name: 'inline-kernels-wasm',
      setup(build) {
        build.onResolve({ filter: /\/wasm-bytes$/ }, (args) => ({ path: join(args.resolveDir, 'kernels.wasm') }));
      },
    },
  ],
};
