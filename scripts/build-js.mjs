// The JavaScript builds, by esbuild (tsc only type-checks and writes the .d.ts files):
// - dist/esm: the package as a few ES modules (with the Redis backend's subpath, its job runner
//   and the command, which share the same chunks, so a Pool and its backend share one codec). Every file a child or a user may import first
//   (the entry, a child's bootstrap, the pool's worker, the core) is an entry point; the code
//   they share is one chunk, so each module of the package exists once per thread and a child
//   compiles two or three files at start-up instead of forty. The command line (cli/main) and
//   the task its pool workers run (cli/task) are entry points of the same build, so that they
//   share those modules with the package (one Pool class, one runtime).
// - dist/cjs/index.cjs: the same for require(), one file. Children always boot from dist/esm.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Class names show in messages and reprs (Queue.get: ..., <Queue>): a bundle must not
  // rename them when two modules use the same name.
  keepNames: true,
  // Dependencies and the optional peers (bullmq, ioredis) are the user's own copies.
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})],
  logLevel: 'warning',
};

// JavaScript of an earlier build goes first (an old chunk, or a file an older layout emitted,
// would otherwise linger as a second copy of a module); the .d.ts files tsc just wrote stay.
rmSync('dist/cjs', { recursive: true, force: true });
for (const f of readdirSync('dist/esm', { recursive: true })) {
  if (/\.js(\.map)?$/.test(f)) rmSync(`dist/esm/${f}`);
}
await build({
  ...common,
  entryPoints: ['src/index.ts', 'src/spawn/bootstrap.ts', 'src/pool/worker.ts', 'src/managers/main.ts', 'src/core/core.ts', 'src/redis/index.ts', 'src/redis/job-runner.ts', 'src/cli/main.ts', 'src/cli/task.ts'],
  outbase: 'src',
  outdir: 'dist/esm',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/cjs/index.cjs',
  format: 'cjs',
  supported: { 'dynamic-import': true },
});
