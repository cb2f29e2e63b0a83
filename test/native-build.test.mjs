// The install step (scripts/build-native.mjs), run as npm runs it, on a copy of the package: a
// build that fails says so loudly with the compiler's reason, records it for
// getContext('process'), and fails the install only when MPTS_REQUIRE_NATIVE is set; a build
// that succeeds keeps the addons of other Node versions beside its own.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode } from './helpers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const abi = `node-abi${process.versions.modules}`;
const dirs = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function copyPackage({ broken }) {
  const dir = mkdtempSync(join(tmpdir(), 'mpts-build-'));
  dirs.push(dir);
  for (const f of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist']) cpSync(join(root, f), join(dir, f), { recursive: true });
  if (broken) appendFileSync(join(dir, 'native', 'buffer.cc'), '\n#error "deliberately broken for this test"\n');
  return dir;
}

const install = (dir, env = {}) => runNode([join(dir, 'scripts', 'build-native.mjs')], { env: { MPTS_REQUIRE_NATIVE: '', ...env }, timeout: 110_000 });

describe('native build at install', () => {
  it('a failing build warns loudly with the reason, records it, and exits 0 (1 under MPTS_REQUIRE_NATIVE)', async () => {
    const dir = copyPackage({ broken: true });
    const r = await install(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the native core was NOT built for Node/);
    assert.match(r.stderr, /reason: compiling failed: .*deliberately broken for this test/);
    assert.match(readFileSync(join(dir, 'build', abi, 'build-error.txt'), 'utf8'), /deliberately broken/);
    // The library then names that reason where the native core is needed.
    const use = await runNode(['--input-type=module', '-e', `
      const mp = await import(${JSON.stringify(join(dir, 'dist', 'esm', 'index.js'))});
      try { mp.getContext('process'); console.log('no error'); } catch (e) { console.log(e.message); }
      console.log(mp.getContext('thread') ? 'thread ok' : 'no thread');`]);
    assert.match(use.stdout, /could not be built at install for Node .*deliberately broken/);
    assert.match(use.stdout, /npm rebuild multiprocessing-ts/);
    assert.match(use.stdout, /thread ok/);
    const strict = await install(dir, { MPTS_REQUIRE_NATIVE: '1' });
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /deliberately broken/);
  });

  it("a good build goes to build/node-abi<N>/ and keeps other Node versions' builds", async () => {
    const dir = copyPackage({ broken: false });
    mkdirSync(join(dir, 'build', 'node-abi1'), { recursive: true });
    writeFileSync(join(dir, 'build', 'node-abi1', 'mpts.node'), 'another Node');
    const r = await install(dir, { MPTS_REQUIRE_NATIVE: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /NOT built/);
    assert.ok(existsSync(join(dir, 'build', abi, 'mpts.node')));
    assert.equal(existsSync(join(dir, 'build', abi, 'build-error.txt')), false);
    assert.equal(readFileSync(join(dir, 'build', 'node-abi1', 'mpts.node'), 'utf8'), 'another Node');
    const use = await runNode(['--input-type=module', '-e', `
      const mp = await import(${JSON.stringify(join(dir, 'dist', 'esm', 'index.js'))});
      console.log(mp.getContext('process').getStartMethod());`]);
    assert.equal(use.stdout.trim(), 'process', use.stderr);
  });
});
