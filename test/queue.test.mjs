// Queue, SimpleQueue, JoinableQueue under both start methods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/queue-targets.mjs';
import { methods, childRunner } from './helpers.mjs';

describe('queues in one process', () => {
  it('put/get, their Sync and Nowait forms, qsize/empty/full', async () => {
    const q = mp.Queue(2);
    assert.equal(q.empty(), true);
    await q.put('a');
    q.putSync({ b: 1 });
    assert.equal(q.qsize(), 2);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait('c'), mp.FullError);
    assert.equal(await q.get(), 'a');
    assert.deepEqual(q.getNowait(), { b: 1 });
    assert.throws(() => q.getNowait(), mp.EmptyError);
    assert.equal(q.empty(), true);
  });

  it('EmptyError and FullError after about the timeout', async () => {
    const q = mp.Queue(1);
    let t0 = performance.now();
    await assert.rejects(q.get({ timeout: 80 }), mp.EmptyError);
    assert.ok(performance.now() - t0 >= 75);
    t0 = performance.now();
    assert.throws(() => q.getSync({ timeout: 50 }), mp.EmptyError);
    assert.ok(performance.now() - t0 >= 45);
    q.putSync(1);
    t0 = performance.now();
    await assert.rejects(q.put(2, { timeout: 60 }), mp.FullError);
    assert.ok(performance.now() - t0 >= 55);
    assert.throws(() => q.putSync(2, { timeout: 20 }), mp.FullError);
    setTimeout(() => q.getSync(), 30);
    await q.put(3, { timeout: 5000 });
    assert.equal(q.getSync(), 3);
  });

  it('an unbounded queue never blocks put: 20,000 items in one thread, then all read back in order', () => {
    const q = mp.Queue();
    for (let i = 0; i < 20_000; i++) q.putSync(i % 3 ? `item ${i}` : { i });
    assert.equal(q.qsize(), 20_000);
    for (let i = 0; i < 20_000; i++) assert.deepEqual(q.getSync(), i % 3 ? `item ${i}` : { i });
  });

  it('close, joinThread, cancelJoinThread; bad values fail at the put', async () => {
    const q = mp.Queue();
    assert.throws(() => q.putSync(() => 1), /is a function/);
    await assert.rejects(q.joinThread(), /call close\(\) first/);
    q.putSync('x');
    q.close();
    assert.throws(() => q.putSync('y'), /closed/);
    await q.joinThread();
    q.joinThreadSync();
    q.cancelJoinThread();
  });

  it('JoinableQueue: join waits for taskDone; taskDone too often throws', async () => {
    const q = mp.JoinableQueue();
    await q.put(1);
    await q.put(2);
    let joined = false;
    const j = q.join().then(() => (joined = true));
    q.getSync();
    q.taskDone();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(joined, false);
    q.getSync();
    q.taskDone();
    await j;
    q.joinSync();
    assert.throws(() => q.taskDone(), (e) => e instanceof mp.ValueError && /too many times|more times/.test(e.message));
  });

  it('SimpleQueue: put/get/empty/close', async () => {
    const q = mp.SimpleQueue();
    assert.equal(q.empty(), true);
    await q.put([1, 2]);
    q.putSync('s');
    assert.equal(q.empty(), false);
    assert.deepEqual(await q.get(), [1, 2]);
    assert.equal(q.getSync(), 's');
    q.close();
    await assert.rejects(q.get(), /closed/);
  });

  it('a queue travels inside messages: through a Pipe and inside another queue', async () => {
    const inner = mp.Queue();
    const outer = mp.Queue();
    const [a, b] = mp.Pipe();
    a.sendSync(inner);
    outer.putSync({ q: inner });
    const viaPipe = b.recvSync();
    const viaQueue = outer.getSync().q;
    viaPipe.putSync('one');
    viaQueue.putSync('two');
    assert.deepEqual([inner.getSync(), inner.getSync()], ['one', 'two']);
  });
});

for (const method of methods) {
  describe(`queues across children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);

    it('10,000 items put just before the producer returns all arrive, in order', async () => {
      // As in CPython, a producer whose items do not all fit in the queue's buffer stays until
      // they are taken (its feeder is joined at exit); so read first, then join.
      const q = mp.Queue();
      const p = run(t.putMany, q, 10_000, 'p');
      for (let i = 0; i < 10_000; i++) assert.deepEqual(await q.get({ timeout: 30_000 }), { tag: 'p', i });
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      assert.equal(q.empty(), true);
    });

    it('items put by a producer that then ends at once (the ring holds them) arrive after it is gone', async () => {
      const q = mp.Queue();
      const p = run(t.putMany, q, 1_000, 'gone');
      await p.join(60_000);
      assert.equal(p.exitcode, 0);
      for (let i = 0; i < 1_000; i++) assert.deepEqual(q.getSync({ timeout: 5_000 }), { tag: 'gone', i });
    });

    it('cancelJoinThread: a producer ends without waiting for its buffered items', async () => {
      const q = mp.Queue();
      const p = run(t.putAndAbandon, q, 5000);
      await p.join(20_000);
      assert.equal(p.exitcode, 0, 'ended although nobody read');
      const first = q.getSync({ timeout: 5000 });
      assert.deepEqual(first.i, 0, 'what reached the ring is readable, in order');
    });

    it('many producers and many consumers at once: every item exactly once', async () => {
      const q = mp.Queue(), out = mp.Queue();
      const producers = [run(t.putManyAsync, q, 3000, 'a'), run(t.putManyAsync, q, 3000, 'b'), run(t.putMany, q, 3000, 'c')];
      const consumers = [run(t.consume, q, out), run(t.consume, q, out)];
      const seen = new Set();
      const local = (async () => {
        for (let i = 0; i < 1000; i++) out.putSync(await q.get({ timeout: 30_000 }));
      })();
      for (let i = 0; i < 9000; i++) {
        const item = await out.get({ timeout: 30_000 });
        const key = typeof item === 'string' ? item : `${item.tag}:${item.i}`;
        assert.ok(!seen.has(key), `duplicate ${key}`);
        seen.add(key);
      }
      await local;
      for (const p of producers) await p.join(30_000);
      for (let i = 0; i < consumers.length; i++) await q.put(null);
      for (const p of consumers) await p.join(30_000);
      assert.equal(seen.size, 9000);
    });

    it('JoinableQueue with workers: join returns once every task is done', async () => {
      const q = mp.JoinableQueue();
      const ps = [run(t.worker, q), run(t.worker, q)];
      for (let i = 0; i < 500; i++) q.putSync(i);
      for (const _ of ps) q.putSync(null);
      await q.join();
      assert.equal(q.qsize(), 0);
      for (const p of ps) await p.join(30_000);
    });

    it('SimpleQueue between parent and child', async () => {
      const a = mp.SimpleQueue(), b = mp.SimpleQueue();
      const p = run(t.simpleEcho, a, b);
      await a.put({ hello: 'child' });
      assert.deepEqual(await b.get(), { hello: 'child' });
      await p.join(30_000);
    });
  });
}
