// Builds native/mpts.c offline: node-gyp is pointed at the headers that ship with the running
// Node (<prefix>/include/node) through --nodedir, so it never downloads anything.
// A failed build is not fatal: the library then falls back to its pure-JS core (thread start
// method only) and getContext('process') explains how to fix it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = join(dirname(process.execPath), '..');
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.warn(`mpts: no Node headers under ${nodedir}/include/node; skipping the native core`);
  process.exit(0);
}

function nodeGypBin() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const require = createRequire(import.meta.url);
  const candidates = [
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try { candidates.unshift(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not installed locally */ }
  return candidates.find((c) => existsSync(c));
}

const gyp = nodeGypBin();
if (!gyp) {
  console.warn('mpts: node-gyp not found; skipping the native core (thread start method only)');
  process.exit(0);
}
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.status !== 0) {
  console.warn('mpts: building the native core failed; only the thread start method will be available');
  process.exit(process.env.MPTS_REQUIRE_NATIVE ? 1 : 0);
}
