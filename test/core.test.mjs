import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mp from 'multiprocessing-ts';
import { runNode } from './helpers.mjs';

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const shm = () => readdirSync('/dev/shm').filter((f) => f.startsWith('mpts-'));

describe('the shared-memory core', () => {
  it('start methods and contexts', () => {
    assert.deepEqual(mp.getAllStartMethods(), ['thread', 'process']);
    assert.equal(mp.getContext('process').getStartMethod(), 'process');
    assert.throws(() => mp.getContext('fork'), { name: 'ValueError', message: /cannot find context for "fork"/ });
    assert.equal(typeof mp.cpuCount(), 'number');
    assert.equal(mp.currentProcess().name, 'MainProcess');
    assert.equal(mp.currentProcess().pid, process.pid);
    assert.equal(mp.parentProcess(), null);
    assert.equal(mp.currentProcess().authkey.length, 32);
  });

  it('shared memory is not counted as this heap\'s memory (V8 would collect garbage for it)', async () => {
    // The arena (256 MiB) and a 64 MiB segment: counted, each would set off a full GC at once.
    const script = `
      import * as mp from 'multiprocessing-ts';
      import v8 from 'node:v8';
      const before = v8.getHeapStatistics().external_memory;
      mp.Lock();
      const shm = mp.SharedMemory({ create: true, size: 64 << 20 });
      const grew = v8.getHeapStatistics().external_memory - before;
      shm.close(); shm.unlink();
      console.log(JSON.stringify({ grew, arena: mp.RawArray('b', 4).length }));`;
    const r = await runNode(['--input-type=module', '-e', script]);
    assert.equal(r.code, 0, r.stderr);
    const { grew, arena } = JSON.parse(r.stdout);
    assert.equal(arena, 4);
    assert.ok(grew < 8 << 20, `external memory grew by ${grew} bytes`);
  });

  it("objects print as their repr under their own class names (not the arena's fields)", async () => {
    const { inspect } = await import('node:util');
    const q = mp.Queue();
    assert.equal(inspect(mp.Lock()), '<Lock(owner=None)>');
    assert.equal(inspect(q), '<Queue>');
    assert.equal(inspect(mp.RawArray('i', 2)), "<RawArray 'i' [0, 0]>");
    assert.equal(inspect({ e: mp.Event() }), '{ e: <Event(unset)> }');
    assert.equal(mp.Queue.name, 'Queue');
    assert.throws(() => q.getSync({ block: false }), /^EmptyError: Queue\.getSync/);
    q.close();
  });

    it('setStartMethod a second time throws unless forced', async () => {
    const r = await runNode(['--input-type=module', '-e', `
      import * as mp from 'multiprocessing-ts';
      mp.setStartMethod('process');
      let threw = false;
      try { mp.setStartMethod('thread'); } catch (e) { threw = /already been set/.test(e.message); }
      mp.setStartMethod('thread', { force: true });
      console.log(threw, mp.getStartMethod());
    `]);
    assert.equal(r.stdout.trim(), 'true thread', r.stderr);
  });

  it('a SIGKILLed family leaves no /dev/shm segment and no orphan child', async () => {
    const before = shm();
    const parent = spawn(process.execPath, [fixture('family.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const { child } = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('family did not start')), 20_000);
      parent.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line && out.split('ready').length > 2) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
    });
    // The child maps the family arena: a memfd named after the creator's pid, not a /dev/shm file.
    const links = readdirSync(`/proc/${child}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${child}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    assert.ok(links.some((l) => l.includes(`memfd:mpts-${parent.pid}-arena`)), links.join(' '));
    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(child); i++) await sleep(50);
    assert.equal(alive(child), false, 'the child ended with its parent');
    assert.deepEqual(shm(), before);
  });

  it('without the native addon: thread works, process explains why and how to fix', async () => {
    const r = await runNode(['--input-type=module', '-e', `
      import * as mp from 'multiprocessing-ts';
      import { report } from ${JSON.stringify(new URL('./fixtures/targets.mjs', import.meta.url).href)};
      console.log(JSON.stringify(mp.getAllStartMethods()));
      try { mp.getContext('process'); } catch (e) { console.log(e.message); }
      const p = mp.Process({ target: report, args: ['fallback'] });
      p.start(); p.joinSync(); console.log('exit', p.exitcode, p.pid > 0);
    `], { env: { MPTS_NO_NATIVE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\["thread"\]/);
    assert.match(r.stdout, /'process' start method is unavailable: MPTS_NO_NATIVE is set.*npm rebuild/);
    assert.match(r.stdout, /"label":"fallback"/);
    assert.match(r.stdout, /exit 0 true/);
  });

  it('require() of the package works, and a CommonJS module can export a target', async () => {
    const r = await runNode([fixture('cjs-target.cjs')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cjs child got 5 Process-1\nexit 0/);
  });

  it('logToStderr shows the child lifecycle under the child name', async () => {
    const r = await runNode(['--input-type=module', '-e', `
      import * as mp from 'multiprocessing-ts';
      import { noop } from ${JSON.stringify(new URL('./fixtures/targets.mjs', import.meta.url).href)};
      mp.logToStderr('INFO');
      const p = mp.Process({ target: noop }); p.start(); await p.join();
      mp.getLogger().warning('done');
    `]);
    assert.match(r.stderr, /\[INFO\/Process-1\] child process calling self.run\(\)/);
    assert.match(r.stderr, /\[INFO\/Process-1\] process exiting with exitcode 0/);
    assert.match(r.stderr, /\[WARNING\/MainProcess\] done/);
  });
});
