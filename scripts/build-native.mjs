// Builds the native core (native/*.c, native/buffer.cc; binding.gyp lists them) offline: node-gyp is pointed at the
// headers that ship with the running Node (<prefix>/include/node, or npm's `nodedir` setting if
// it holds this version's)
// through --nodedir, so it never downloads anything. The addon is kept per Node ABI
// (build/node-abi<N>/mpts.node, which src/core/native.ts loads first), so one checkout can hold
// builds for several Node versions (CI tests 20, 22 and 24 from one install).
// A failed build does not fail `npm install` (the library then works with the `thread` start
// method only), but it says so loudly with the reason, records that reason in
// build/node-abi<N>/build-error.txt (getContext('process') repeats it), and fails when
// MPTS_REQUIRE_NATIVE is set (CI).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const abiDir = `node-abi${process.versions.modules}`;
const errorFile = join(buildDir, abiDir, 'build-error.txt');

function fail(reason) {
  const lines = [
    `multiprocessing-ts: the native core was NOT built for Node ${process.version} (${process.execPath}).`,
    `  reason: ${reason}`,
    `  Without it only the 'thread' start method works: getContext('process'), and everything that`,
    `  starts child processes, will throw. Fix the cause, then run \`npm rebuild multiprocessing-ts\``,
    `  (it needs python3, make and a C/C++ compiler, and this Node's headers, offline).`,
  ];
  const bar = '!'.repeat(100);
  console.error(`\n${bar}\n${lines.join('\n')}\n${bar}\n`);
  try {
    mkdirSync(dirname(errorFile), { recursive: true });
    writeFileSync(errorFile, `${reason}\n`);
  } catch {
    /* the warning above is what matters */
  }
  process.exit(process.env.MPTS_REQUIRE_NATIVE ? 1 : 0);
}

if (process.platform !== 'linux') {
  console.warn(`multiprocessing-ts: the native core supports Linux only (this is ${process.platform}); only the 'thread' start method will be available`);
  process.exit(process.env.MPTS_REQUIRE_NATIVE ? 1 : 0);
}

// The headers must be this Node's own: npm's `nodedir` setting may name another version's
// (a machine-wide ~/.npmrc written for the system Node), and V8's headers differ per version.
function headersVersion(dir) {
  try {
    const h = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
    return Number(/#define NODE_MAJOR_VERSION (\d+)/.exec(h)?.[1]);
  } catch {
    return null;
  }
}
const major = Number(process.versions.node.split('.')[0]);
const candidates = [join(dirname(process.execPath), '..'), process.env.npm_config_nodedir].filter(Boolean);
const nodedir = candidates.find((d) => headersVersion(d) === major && existsSync(join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) {
  const seen = candidates.map((d) => `${join(d, 'include', 'node')} (${headersVersion(d) ? `Node ${headersVersion(d)}` : 'none'})`).join(', ');
  fail(`no headers of Node ${major} found: looked in ${seen}. This Node was installed without its headers: use a full Node distribution, or point npm's nodedir setting at this version's`);
}

function nodeGypBin() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const require = createRequire(import.meta.url);
  const candidates = [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.unshift(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed locally */
  }
  return candidates.find((c) => existsSync(c));
}

const gyp = nodeGypBin();
if (!gyp) fail('node-gyp not found (run the build through npm, which bundles it: `npm rebuild multiprocessing-ts`)');

// `node-gyp rebuild` starts by deleting build/: keep the other Node versions' addons aside.
const kept = join(root, '.mpts-build-kept');
const others = existsSync(buildDir) ? readdirSync(buildDir).filter((n) => /^node-abi\d+$/.test(n) && n !== abiDir) : [];
rmSync(kept, { recursive: true, force: true });
if (others.length) mkdirSync(kept);
for (const n of others) renameSync(join(buildDir, n), join(kept, n));

const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.stderr) process.stderr.write(result.stderr);

mkdirSync(buildDir, { recursive: true });
for (const n of others) renameSync(join(kept, n), join(buildDir, n));
rmSync(kept, { recursive: true, force: true });

if (result.status !== 0) {
  const output = String(result.stderr ?? '');
  const firstError = output.split('\n').find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l));
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  fail(firstError ? `compiling failed: ${firstError.trim()}` : `the build failed (${why})`);
}
mkdirSync(join(buildDir, abiDir), { recursive: true });
copyFileSync(join(buildDir, 'Release', 'mpts.node'), join(buildDir, abiDir, 'mpts.node'));
rmSync(errorFile, { force: true });
