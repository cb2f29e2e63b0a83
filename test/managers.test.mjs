import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { gone, methods } from './helpers.mjs';
import * as T from './fixtures/manager-targets.mjs';

const start = (ctx, target, ...args) => {
  const p = ctx.Process({ target, args });
  p.start();
  return p;
};

for (const method of methods) {
  describe(`Manager under '${method}'`, () => {
    const ctx = mp.getContext(method);
    let m;
    after(async () => m?.shutdown());

    it('dict, list, Namespace, Value and Array have Python semantics', async () => {
      m = await ctx.Manager();
      assert.ok(m instanceof mp.SyncManager);
      const d = await m.dict({ a: 1 });
      await d.set([1, 2], 'tuple key');
      assert.equal(await d.get([1, 2]), 'tuple key');
      assert.equal(await d.get('zz'), null);
      assert.equal(await d.get('zz', 5), 5);
      await assert.rejects(d.getItem('zz'), (e) => e instanceof mp.KeyError && e.message === "'zz'");
      await assert.rejects(d.delete('zz'), mp.KeyError);
      assert.equal(await d.pop('zz', 'dflt'), 'dflt');
      assert.equal(await d.setdefault('b', 2), 2);
      assert.deepEqual(await d.items(), [['a', 1], [[1, 2], 'tuple key'], ['b', 2]]);
      assert.deepEqual(await d.copy(), new Map([['a', 1], [[1, 2], 'tuple key'], ['b', 2]]));
      assert.equal(await d.length(), 3);
      const l = await m.list([3, 'b', 1]);
      await assert.rejects(l.sort(), (e) => e instanceof TypeError && /'<' not supported between instances of 'str' and 'int'/.test(e.message));
      await l.remove('b');
      await l.extend([10, 2, -1]);
      await l.sort();
      assert.deepEqual(await l.toArray(), [-1, 1, 2, 3, 10]);
      assert.equal(await l.get(-1), 10);
      await assert.rejects(l.get(5), mp.IndexError);
      await assert.rejects(l.get(-6), mp.IndexError);
      assert.equal(await l.pop(), 10);
      assert.equal(await l.index(2), 2);
      const s = await m.list(['b', 'B', 'a', '\u{1F600}', '\uFFFF']);
      await s.sort();
      assert.deepEqual(await s.toArray(), ['B', 'a', 'b', '\uFFFF', '\u{1F600}']); // code points, as Python
      const ns = await m.Namespace();
      await ns.set('x', 10);
      await ns.set('y', 'hello');
      await ns.set('_z', 1);
      assert.equal(await ns.repr(), "Namespace(x=10, y='hello')");
      await assert.rejects(ns.get('nope'), (e) => e instanceof mp.AttributeError && /no attribute 'nope'/.test(e.message));
      const v = await m.Value('i', 5);
      await v.set(6);
      assert.equal(await v.get(), 6);
      const a = await m.Array('i', [1, 2, 3]);
      assert.equal(await a.get(-1), 3);
      const q = await m.Queue();
      await assert.rejects(q.getNowait(), mp.EmptyError);
      await assert.rejects(q.get({ timeout: 20 }), mp.EmptyError);
    });

    it('proxies work in children: Process args, Queue items, nested in managed containers', async () => {
      const d = await m.dict();
      const ps = [start(ctx, T.fillDict, d, 0, 20), start(ctx, T.fillDict, d, 20, 20)];
      for (const p of ps) await p.join();
      assert.equal(await d.length(), 40);
      assert.equal(await d.get(39), 39 * 39);
      const l = await m.list();
      const q = await m.Queue(), out = await m.Queue();
      const p = start(ctx, T.fromQueue, q, out);
      await q.put(l); // a proxy as a (managed) Queue item
      assert.equal(await out.get({ timeout: 20_000 }), 1);
      await p.join();
      assert.deepEqual(await l.toArray(), ['from child']);
      await d.set('inner', l); // a proxy inside a managed dict comes back as a proxy
      const back = await d.get('inner');
      assert.ok(back instanceof mp.ListProxy);
      await back.append(2);
      assert.deepEqual(await l.toArray(), ['from child', 2]);
      const ql = await m.list();
      await ql.append(q); // a Queue proxy in a list
      await (await ql.get(0)).put('via list');
      assert.equal(await q.get(), 'via list');
    });

    it('a managed Queue carries a child\'s strings; Lock, Semaphore, Event, Condition, Barrier work', async () => {
      const q = await m.Queue();
      const p = start(ctx, T.produce, q, 500);
      for (let i = 0; i < 500; i++) assert.equal((await q.get({ timeout: 20_000 })).length, 256);
      await p.join();
      const lock = await m.Lock();
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.acquire({ timeout: 10 }), false);
      await lock.release();
      await assert.rejects(lock.release(), mp.ValueError);
      const sem = await m.BoundedSemaphore(1);
      await sem.acquire();
      assert.equal(await sem.getValue(), 0);
      await sem.release();
      await assert.rejects(sem.release(), mp.ValueError);
      const ev = await m.Event();
      assert.equal(await ev.wait(10), false);
      await ev.set();
      assert.equal(await ev.isSet(), true);
      const c = await m.Condition();
      await c.acquire();
      assert.equal(await c.wait(10), false);
      await c.release();
      const b = await m.Barrier(1);
      assert.equal(await b.wait(), 0);
      assert.equal(await b.parties(), 1);
      const ac = new AbortController();
      const waiting = lock.acquire().then(() => lock.acquire({ signal: ac.signal }));
      setTimeout(() => ac.abort(new Error('stop')), 20);
      await assert.rejects(waiting, /stop/);
      await lock.release();
    });

    it('a client killed while holding a managed Lock gives it back within a second; its references too', async () => {
      const lock = await m.Lock(), said = await m.Queue();
      const l = await m.list();
      const before = (await m._debugInfo()).objects;
      const p = start(ctx, T.holdLock, lock, said);
      const p2 = start(ctx, T.holdProxy, l, said);
      // (The two children answer in either order.)
      assert.deepEqual([await said.get({ timeout: 20_000 }), await said.get({ timeout: 20_000 })].sort(), ['held', 'ready']);
      assert.equal(await lock.acquire({ timeout: 10 }), false);
      l.close();
      assert.equal((await m._debugInfo()).objects, before, 'the child still holds the list');
      p.kill();
      p2.kill();
      const t0 = performance.now();
      assert.equal(await lock.acquire({ timeout: 1000 }), true, 'the dead client\'s lock was given back');
      assert.ok(performance.now() - t0 < 1000);
      await lock.release();
      const deadline = Date.now() + 2000;
      while ((await m._debugInfo()).objects >= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await m._debugInfo()).objects, before - 1, 'the dead client\'s reference to the list was given back');
    });

    it('d.modify(key, fn) is atomic where get-then-set loses updates (as in Python)', async () => {
      const d = await m.dict();
      const ps = [start(ctx, T.atomic, d, 50, 'a'), start(ctx, T.atomic, d, 50, 'b')];
      for (const p of ps) await p.join();
      assert.equal((await d.get('k')).length, 100);
      assert.throws(() => d.modify('k', (x) => x), /must be exported/);
    });

    it('shutdown() stops the server promptly; every call afterwards rejects clearly', async () => {
      const l = await m.list([1]);
      const pid = m.pid;
      const t0 = performance.now();
      await m.shutdown();
      assert.ok(performance.now() - t0 < 2000);
      await assert.rejects(l.get(0), (e) => e instanceof mp.ProcessError && /shut down/.test(e.message));
      await assert.rejects(m.dict(), /shut down/);
      if (method === 'process') assert.ok(await gone(pid), `server ${pid} still runs`);
      m = null;
    });
  });
}
