// The CommonJS entry (require('multiprocessing-ts')): the ESM build bundled into one file by
// esbuild. Children always boot from the ESM build; dependencies stay external.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['dist/esm/index.js'],
  outfile: 'dist/cjs/index.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: Object.keys(pkg.dependencies ?? {}),
  supported: { 'dynamic-import': true },
  logLevel: 'warning',
});
