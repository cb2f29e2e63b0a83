import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, after } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { methods, runNode } from './helpers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'mpts-targets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('target shipping errors are raised at start(), naming the function', () => {
  it('a closure over an outer variable', () => {
    const secret = 41;
    const addSecret = (x) => x + secret;
    const p = new mp.Process({ target: addSecret, args: [1] });
    assert.throws(() => p.start(), { name: 'TypeError', message: /'addSecret'.*uses 'secret'.*self-contained.*exported/ });
  });
  it('a non-exported method', () => {
    const obj = { method(x) { return x; } };
    assert.throws(() => new mp.Process({ target: obj.method }).start(), /'method'.*not exported.*export it/);
  });
  it('a built-in or bound function', () => {
    assert.throws(() => new mp.Process({ target: Math.max }).start(), /'max' is a built-in or bound function/);
    assert.throws(() => new mp.Process({ target: function f() {}.bind(null) }).start(), /built-in or bound/);
  });
  it('an explicit { module, name } whose module has a syntax error', () => {
    const file = join(dir, 'broken.mjs');
    writeFileSync(file, 'export function f( {\n');
    assert.throws(() => new mp.Process({ target: { module: file, name: 'f' } }).start(), /'f'.*broken\.mjs has a syntax error/);
  });
  it('a bad target argument', () => {
    assert.throws(() => new mp.Process({ target: 42 }), /target must be a function/);
    assert.throws(() => new mp.Process({ args: 'x' }), /args must be an array/);
  });
});

for (const method of methods) {
  describe(`the three ways a target reaches a '${method}' child`, () => {
    it('exported (found automatically), { module, name }, and self-contained by source', async () => {
      const file = join(dir, `ways-${method}.mjs`);
      writeFileSync(file, `
        import * as mp from 'multiprocessing-ts';
        export function exported(n) { console.log('exported', n); }
        export function named(n) { console.log('named', n); }
        if (mp.isMainProcess()) {
          const ctx = mp.getContext(${JSON.stringify(method)});
          const ps = [
            ctx.Process({ target: exported, args: [1] }),
            ctx.Process({ target: { module: new URL(import.meta.url), name: 'named' }, args: [2] }),
            ctx.Process({ target: (n) => console.log('source', n * 2), args: [3] }),
          ];
          for (const p of ps) { p.start(); await p.join(); }
          console.log('codes', ps.map((p) => p.exitcode).join(','));
        }
      `);
      // Resolving 'multiprocessing-ts' from a temp dir needs the package: run from the repo.
      const r = await runNode(['--import', new URL('./fixtures/resolve-self.mjs', import.meta.url).href, file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /exported 1\nnamed 2\nsource 6\ncodes 0,0,0/);
    });

    it("a target imported from a sibling module is found in the caller's imports, without the debugger", async () => {
      const r = await runNode([new URL('./fixtures/imported-target.mjs', import.meta.url).pathname, method]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()), { exitcode: 0, debugger: false });
    });
  });
}
