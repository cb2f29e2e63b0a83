// SharedMemory and ShareableList: named segments attachable from children and unrelated
// processes, clear errors, and no leak when the creator is killed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync, statfsSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/sync-targets.mjs';
import { methods, runNode } from './helpers.mjs';

const inShm = (name) => existsSync(`/dev/shm/${name}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('SharedMemory in one process', () => {
  it('create, attach by name, buf, close, unlink', () => {
    const sm = mp.SharedMemory({ create: true, size: 100 });
    assert.match(sm.name, /^mpts-\d+-[0-9a-f]+$/);
    assert.equal(sm.size, 100);
    assert.ok(inShm(sm.name));
    sm.buf[99] = 5;
    const other = new mp.SharedMemory({ name: sm.name });
    assert.equal(other.buf[99], 5);
    assert.equal(other.size, 100);
    other.close();
    assert.throws(() => other.buf, /is closed/);
    other.close();
    sm.unlink();
    assert.ok(!inShm(sm.name));
    assert.equal(sm.buf[99], 5, 'the mapping outlives the name');
    sm.close();
  });

  it('names given by the user; using-style dispose closes without unlinking', () => {
    const name = `mpts-test-${process.pid}-named`;
    const sm = mp.SharedMemory({ name, create: true, size: 10 });
    assert.equal(sm.name, name);
    assert.throws(() => mp.SharedMemory({ name, create: true, size: 10 }), (e) => e.code === 'EEXIST' && /already exists/.test(e.message));
    sm[Symbol.dispose]();
    assert.throws(() => sm.buf, /closed/);
    assert.ok(inShm(name));
    mp.SharedMemory({ name }).unlink();
    assert.throws(() => sm.unlink(), /no shared memory named/);
  });

  it('bad input is refused at the call, naming what was wrong', () => {
    assert.throws(() => mp.SharedMemory(), /'name' can only be omitted when create is true/);
    assert.throws(() => mp.SharedMemory({ create: true }), /'size' must be a positive integer/);
    assert.throws(() => mp.SharedMemory({ create: true, size: 0 }), /'size' must be a positive integer/);
    assert.throws(() => mp.SharedMemory({ name: 'a/b' }), /without '\/'/);
    assert.throws(() => mp.SharedMemory({ name: `mpts-missing-${process.pid}` }), (e) => e.code === 'ENOENT' && /no shared memory named/.test(e.message));
  });

  it('a size beyond what /dev/shm has left fails with ENOSPC at creation and leaves no file', () => {
    const fs = statfsSync('/dev/shm');
    const free = fs.bavail * fs.bsize;
    const name = `mpts-test-${process.pid}-huge`;
    assert.throws(() => mp.SharedMemory({ name, create: true, size: free + 2 ** 30 }), (e) => e.code === 'ENOSPC' && /no space left/.test(e.message));
    assert.ok(!inShm(name));
  });
});

describe('ShareableList', () => {
  it('holds numbers, bigints, booleans, strings, bytes and null in fixed slots', () => {
    const sl = mp.ShareableList([1, 2n, true, 'hello', Buffer.from('ab'), null, 1.5, 'hello']);
    assert.equal(sl.length, 8);
    assert.deepEqual([...sl], [1, 2n, true, 'hello', Buffer.from('ab'), null, 1.5, 'hello']);
    assert.equal(sl.format, 'dq?8s8sxd8s');
    assert.equal(sl.index('hello'), 3);
    assert.equal(sl.count('hello'), 2);
    assert.throws(() => sl.index('absent'), mp.ValueError);
    sl.set(3, 'é and 5');
    assert.equal(sl.get(3), 'é and 5');
    assert.throws(() => sl.set(3, 'x'.repeat(9)), /exceed the slot's 8/);
    sl.set(0, 'numbers');
    assert.equal(sl.get(0), 'numbers', 'a slot may change type when the value fits');
    sl.set(-1, null);
    assert.equal(sl.get(7), null);
    assert.throws(() => sl.get(8), RangeError);
    assert.throws(() => sl.set(1, {}), /holds numbers, bigints/);
    const attached = mp.ShareableList(null, { name: sl.shm.name });
    assert.equal(attached.get(3), 'é and 5');
    assert.equal(mp.ShareableList().length, 0);
    for (const l of [sl, attached]) l.shm.close();
    sl.shm.unlink();
  });
});

for (const method of methods) {
  describe(`SharedMemory and ShareableList in children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    it('a child attaches (sent, and by name) and writes; the parent sees it', async () => {
      const sm = mp.SharedMemory({ create: true, size: 16 });
      const sl = mp.ShareableList([41, 'orig']);
      const ps = [ctx.Process({ target: t.writeShm, args: [sm, sm.name] }), ctx.Process({ target: t.editList, args: [sl, sl.shm.name] })];
      for (const p of ps) p.start();
      for (const p of ps) await p.join(60_000);
      for (const p of ps) assert.equal(p.exitcode, 0);
      assert.deepEqual([sm.buf[0], sm.buf[1]], [1, 2]);
      assert.deepEqual([...sl], [42, 'changed']);
      sm.close();
      sm.unlink();
      sl.shm.close();
      sl.shm.unlink();
    });
  });
}

describe('no leak', () => {
  it('an unrelated process attaches by name and unlinks', async () => {
    const sm = mp.SharedMemory({ create: true, size: 8 });
    sm.buf[0] = 9;
    const r = await runNode(['--input-type=module', '-e', `
      import * as mp from 'multiprocessing-ts';
      const s = mp.SharedMemory({ name: ${JSON.stringify(sm.name)} });
      console.log(s.buf[0]);
      s.buf[0] = 10;
      s.unlink();
    `]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '9');
    assert.equal(sm.buf[0], 10);
    assert.ok(!inShm(sm.name));
    sm.close();
  });

  it('segments of a SIGKILLed family (made by the root and by a child) are unlinked, and the tracker ends', async () => {
    const child = spawn(process.execPath, [new URL('./fixtures/shm-holder.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    for await (const chunk of child.stdout) {
      out += chunk;
      if (out.includes('\n')) break;
    }
    const { names, childByte } = JSON.parse(out);
    assert.equal(childByte, 7, 'a child-made segment outlives the child while its family lives');
    for (const n of names) assert.ok(inShm(n), n);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 10_000;
    while (names.some(inShm) && Date.now() < deadline) await sleep(20);
    for (const n of names) assert.ok(!inShm(n), `${n} was left in /dev/shm`);
    // Trackers other than this test process's own (its child) must all end.
    const trackers = () => execFileSync('ps', ['-eo', 'pid,ppid,stat,comm']).toString().split('\n')
      .filter((l) => l.includes('mpts-tracker') && !/ Z/.test(l) && l.trim().split(/\s+/)[1] !== String(process.pid));
    while (trackers().length && Date.now() < deadline) await sleep(20);
    assert.deepEqual(trackers(), []);
  });
});
