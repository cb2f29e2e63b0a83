// Managers, second part: the family's fast line (values of every kind, calls in flight past the
// ring, slow and quick answers mixed, a remote client connected meanwhile), manager.Pool(),
// Condition(managed lock), Barrier with an action, and locks held per remote client (two remote
// clients never both hold an RLock; one that disconnects or is killed gives its locks back).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { methods } from './helpers.mjs';
import * as T from './fixtures/manager-targets.mjs';

const start = (ctx, target, ...args) => {
  const p = ctx.Process({ target, args });
  p.start();
  return p;
};
const remoteOf = async (m, Cls = mp.SyncManager) => new Cls({ address: m.address, authkey: mp.currentProcess().authkey }).connect();

for (const method of methods) {
  describe(`Manager (family line, Pool, Condition, Barrier) under '${method}'`, () => {
    const ctx = mp.getContext(method);
    let m;
    after(async () => m?.shutdown());

    it('every primitive kind comes back exactly; un-awaited calls past the ring from parent and child; large values stream', async () => {
      m = await ctx.Manager();
      const l = await m.list([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const values = [0, -0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 1.5, NaN, Infinity, 'é€😀', '', null, undefined, true, false, 12n, 'x'.repeat(100_000), [1, 'a'], { k: new Map([[1, 2]]) }];
      const v = await m.list();
      for (const x of values) await v.append(x);
      const back = await v.toArray();
      for (let i = 0; i < values.length; i++) assert.deepEqual(back[i], values[i], `value ${i}`);
      assert.ok(Object.is(await v.get(1), -0));
      assert.equal(await v.get(7), NaN);
      assert.equal(await v.get(12), undefined);
      // Un-awaited: far more requests than the ring holds at once, each matched to its answer.
      const got = await Promise.all(Array.from({ length: 20_000 }, (_, i) => l.get(i % 10)));
      assert.ok(got.every((x, i) => x === i % 10));
      const out = await m.Queue();
      const p = start(ctx, T.hammer, l, 5000, out);
      const mine = await Promise.all(Array.from({ length: 5000 }, (_, i) => l.get(-1 - (i % 10))));
      assert.ok(mine.every((x, i) => x === 9 - (i % 10)));
      assert.equal(await out.get({ timeout: 30_000 }), true);
      await p.join();
    });

    it('slow answers (a method awaiting a timer) and quick ones on one line are matched right', async () => {
      const sm = await new T.SlowManager({ context: method }).start();
      try {
        const s = await sm.Slow();
        const calls = [];
        for (let i = 0; i < 20; i++) calls.push(i % 4 === 0 ? s.after(30, `slow ${i}`) : s.now(`quick ${i}`));
        assert.deepEqual(await Promise.all(calls), calls.map((_, i) => (i % 4 === 0 ? `slow ${i}` : `quick ${i}`)));
        for (let i = 0; i < 5; i++) {
          assert.equal(await s.after(20, i), i); // each waits through the event loop, then...
          assert.equal(await s.now(-i), -i); // ...the line is quick again
        }
      } finally {
        await sm.shutdown();
      }
    });

    it('family calls keep working while a remote client is connected, and after it leaves', async () => {
      const l = await m.list([1, 2, 3]);
      const remote = await remoteOf(m);
      const r = await remote.list(['r']);
      for (let i = 0; i < 200; i++) {
        assert.equal(await l.get(i % 3), (i % 3) + 1);
        assert.equal(await r.get(0), 'r');
      }
      await remote.shutdown();
      for (let i = 0; i < 200; i++) assert.equal(await l.get(-1), 3);
    });

    it('manager.Pool() runs tasks in a Pool in the server; unexported functions are refused; it goes with its last proxy', async () => {
      // (A manager of its own: its object count is the pool's alone.)
      const pm = await ctx.Manager();
      const pool = await pm.Pool({ processes: 2, initializer: T.setOffset, initargs: [100] });
      assert.equal((await pm._debugInfo()).objects, 1);
      assert.ok(pool instanceof mp.PoolProxy);
      assert.equal(await pool.apply(T.square, [7]), 49);
      assert.deepEqual(await pool.map(T.addOffset, [1, 2, 3]), [101, 102, 103]);
      assert.deepEqual(await pool.starmap(T.square, [[3], [4]], { chunksize: 1 }), [9, 16]);
      assert.throws(() => pool.apply((x) => x), /must be exported|cannot/);
      await assert.rejects(pool.apply({ module: 'node:fs', name: 'nope' }, []), /nope/);
      await pool.close();
      await pool.join();
      await assert.rejects(pool.apply(T.square, [1]), /not running|closed/i);
      mp.BaseProxy.prototype.close.call(pool);
      const deadline = Date.now() + 5000;
      while ((await pm._debugInfo()).objects > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await pm._debugInfo()).objects, 0);
      await pm.shutdown();
      const remote = await remoteOf(m);
      const rp = await remote.Pool(1);
      await assert.rejects(rp.apply(T.square, [2]), /only members of the manager's family/);
      await assert.rejects(remote.Barrier(2, T.countTrip), /only members of the manager's family/);
      await remote.shutdown();
    });

    it('Condition(lock) over a managed Lock or RLock: a child notifies, the waiter wakes holding it', async () => {
      for (const kind of ['Lock', 'RLock']) {
        const lock = await m[kind]();
        const cond = await m.Condition(lock);
        const data = await m.list();
        await cond.acquire();
        assert.equal(await lock.acquire({ timeout: 10 }), kind === 'RLock', 'the condition holds the same lock');
        if (kind === 'RLock') await lock.release();
        const p = start(ctx, T.notifier, cond, data);
        while ((await data.length()) === 0) assert.equal(await cond.wait(20_000), true);
        assert.equal(await data.get(0), 'from the child');
        await cond.release();
        await p.join();
        assert.equal(p.exitcode, 0);
      }
      await assert.rejects(m.Condition(await m.dict()), /expected a managed Lock or RLock/);
    });

    it('Barrier(parties, action): the action runs once per trip (in the last party to arrive)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mpts-trips-'));
      process.env.MPTS_TRIPS_FILE = join(dir, 'trips');
      try {
        const b = await m.Barrier(2, T.countTrip, 20_000);
        const p = start(ctx, T.barrierTwice, b);
        await b.wait();
        await b.wait();
        await p.join();
        assert.equal(p.exitcode, 0);
        assert.equal(readFileSync(process.env.MPTS_TRIPS_FILE, 'utf8'), 'trip\ntrip\n');
        await assert.rejects(m.Barrier(2, () => 1), /must be exported|cannot/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('locks held per remote client', () => {
  let server;
  after(() => server?.shutdown());

  it('two remote clients never both hold an RLock or a Condition; only the holder releases, waits or notifies', async () => {
    server = new T.LockManager({ address: ['127.0.0.1', 0], authkey: 'k' }).getServer();
    void server.serveForever();
    const address = await server.address;
    const [A, B] = await Promise.all([0, 1].map(() => new T.LockManager({ address, authkey: 'k' }).connect()));
    const [ra, rb] = [await A.getRLock(), await B.getRLock()];
    assert.equal(await ra.acquire(), true);
    assert.equal(await ra.acquire(), true, 'its holder re-enters');
    assert.equal(await rb.acquire({ timeout: 50 }), false, 'another client does not');
    await assert.rejects(rb.release(), (e) => e.name === 'ValueError');
    await ra.release();
    assert.equal(await rb.acquire({ timeout: 50 }), false, 'still held once');
    await ra.release();
    assert.equal(await rb.acquire({ timeout: 2000 }), true);
    await rb.release();

    const [ca, cb] = [await A.getCondition(), await B.getCondition()];
    await assert.rejects(cb.wait(10), (e) => e.name === 'ValueError');
    await assert.rejects(cb.notify(), (e) => e.name === 'ValueError');
    await ca.acquire();
    assert.equal(await cb.acquire({ timeout: 50 }), false);
    const waiting = ca.wait(10_000);
    assert.equal(await cb.acquire({ timeout: 5000 }), true, 'the waiter let the lock go');
    await assert.rejects(ca.notify(), (e) => e.name === 'ValueError', 'the waiter does not hold it now');
    await cb.notify();
    await cb.release();
    assert.equal(await waiting, true);
    assert.equal(await cb.acquire({ timeout: 50 }), false, 'the waiter holds it again');
    await ca.release();
    assert.equal(await cb.acquire({ timeout: 2000 }), true);
    await cb.release();
    await A.shutdown();
    await B.shutdown();
  });

  it('a remote client that disconnects, or is SIGKILLed, holding a Lock and an RLock gives them back within a second', async () => {
    const address = await server.address;
    const B = await new T.LockManager({ address, authkey: 'k' }).connect();
    const [lb, rb] = [await B.getLock(), await B.getRLock()];

    const A = await new T.LockManager({ address, authkey: 'k' }).connect();
    const [la, ra] = [await A.getLock(), await A.getRLock()];
    await la.acquire();
    await ra.acquire();
    assert.equal(await lb.acquire({ timeout: 20 }), false);
    await A.shutdown(); // the connection closes
    let t0 = performance.now();
    assert.equal(await lb.acquire({ timeout: 1000 }), true);
    assert.equal(await rb.acquire({ timeout: 1000 }), true);
    assert.ok(performance.now() - t0 < 1000);
    await lb.release();
    await rb.release();

    const holder = spawn(process.execPath, [new URL('fixtures/manager-remote-holder.mjs', import.meta.url).pathname, String(address[1]), 'k'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        holder.stdout.on('data', (d) => String(d).includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code}) before holding`)));
        setTimeout(() => reject(new Error('the holder did not hold within 20 s')), 20_000).unref();
      });
      assert.equal(await lb.acquire({ timeout: 20 }), false);
      holder.kill('SIGKILL');
      t0 = performance.now();
      assert.equal(await lb.acquire({ timeout: 1000 }), true, 'the killed client\'s Lock came back');
      assert.equal(await rb.acquire({ timeout: 1000 }), true, 'its RLock too (held twice)');
      assert.ok(performance.now() - t0 < 1000);
      await lb.release();
      await rb.release();
    } finally {
      holder.kill('SIGKILL');
      await B.shutdown();
    }
  });
});
