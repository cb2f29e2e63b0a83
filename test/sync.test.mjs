// Synchronization primitives across threads and OS processes, under both start methods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/sync-targets.mjs';
import { methods, childRunner } from './helpers.mjs';

describe('primitives in one process: Python semantics and errors', () => {
  it('Lock: acquire/release, non-blocking and timed acquire, releasing a free lock throws', () => {
    const l = mp.Lock();
    assert.ok(l instanceof mp.Lock);
    assert.equal(l.acquireSync(), true);
    assert.equal(l.acquireSync({ block: false }), false);
    assert.equal(l.acquireSync(false), false);
    const t0 = performance.now();
    assert.equal(l.acquireSync({ timeout: 60 }), false);
    assert.ok(performance.now() - t0 >= 55);
    l.release();
    assert.throws(() => l.release(), (e) => e instanceof mp.ValueError && /not held/.test(e.message));
    assert.throws(() => l.acquireSync({ timeout: 'soon' }), /timeout must be a number of milliseconds/);
  });

  it('Lock.with / withSync release on throw and return the result', async () => {
    const l = new mp.Lock();
    assert.equal(l.withSync(() => 5), 5);
    assert.throws(() => l.withSync(() => { throw new Error('inside'); }), /inside/);
    assert.equal(l.acquireSync({ block: false }), true, 'released after the throw');
    l.release();
    await assert.rejects(l.with(async () => { throw new RangeError('async inside'); }), RangeError);
    assert.equal(await l.with(async () => 7), 7);
    assert.equal(await l.acquire({ block: false }), true);
    l.release();
  });

  it('RLock: re-entrant for its owner; release when not held throws', async () => {
    const r = mp.RLock();
    assert.equal(r.acquireSync(), true);
    assert.equal(r.acquireSync(), true);
    assert.equal(await r.acquire(), true);
    r.release();
    r.release();
    r.release();
    assert.throws(() => r.release(), (e) => e instanceof mp.ValueError && /un-acquired/.test(e.message));
  });

  it('Semaphore counts; BoundedSemaphore refuses to rise above its start', async () => {
    const s = mp.Semaphore(2);
    assert.equal(s.acquireSync(), true);
    assert.equal(await s.acquire(), true);
    assert.equal(s.acquireSync({ timeout: 20 }), false);
    assert.equal(s.getValue(), 0);
    s.release();
    s.release();
    s.release();
    assert.equal(s.getValue(), 3, 'a plain Semaphore may rise');
    const b = mp.BoundedSemaphore(1);
    b.acquireSync();
    b.release();
    assert.throws(() => b.release(), (e) => e instanceof mp.ValueError && /too many times/.test(e.message));
    assert.throws(() => mp.Semaphore(-1), /non-negative integer/);
  });

  it('Condition: wait and notify need the lock; wait times out to false; waitFor returns the predicate', async () => {
    const c = mp.Condition();
    assert.throws(() => c.waitSync(10), (e) => e instanceof mp.ValueError && /un-acquired/.test(e.message));
    await assert.rejects(c.wait(10), mp.ValueError);
    assert.throws(() => c.notify(), mp.ValueError);
    assert.throws(() => c.notifyAll(), mp.ValueError);
    c.acquireSync();
    assert.equal(c.waitSync(30), false);
    assert.equal(await c.wait(30), false);
    let n = 0;
    assert.equal(c.waitForSync(() => ++n >= 9 && 'never', 40), false, 'falsy after the timeout');
    assert.equal(n, 2, 'checked before and after the wait');
    let flag = null;
    setTimeout(() => c.withSync(() => {
      flag = 'done';
      c.notify();
    }), 30);
    assert.equal(await c.waitFor(() => flag, 10_000), 'done');
    assert.equal(await c.waitFor(() => 0, 40), 0);
    c.release();
    assert.throws(() => mp.Condition({}), /expected a Lock or an RLock/);
  });

  it('Condition over a plain Lock; notify from a waiter-less condition is a no-op', () => {
    const l = mp.Lock();
    const c = mp.Condition(l);
    c.withSync(() => {
      c.notify(3);
      assert.equal(c.waitSync(10), false);
    });
    assert.equal(l.acquireSync({ block: false }), true, 'the lock is free again');
    l.release();
  });

  it('Event: wait returns the flag; set, clear, isSet', async () => {
    const e = mp.Event();
    assert.equal(e.isSet(), false);
    assert.equal(e.waitSync(20), false);
    assert.equal(await e.wait(20), false);
    setTimeout(() => e.set(), 20);
    assert.equal(await e.wait(5_000), true);
    assert.equal(e.waitSync(), true);
    e.clear();
    assert.equal(e.isSet(), false);
  });

  it('Barrier: action, index, timeout breaks it, abort, reset, nWaiting, broken', async () => {
    let actions = 0;
    const b = mp.Barrier(2, () => actions++);
    assert.equal(b.parties, 2);
    const first = b.wait();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.nWaiting, 1);
    const second = await b.wait();
    assert.deepEqual([await first, second].sort(), [0, 1]);
    assert.equal(actions, 1);

    await assert.rejects(b.wait(30), mp.BrokenBarrierError);
    assert.equal(b.broken, true);
    await assert.rejects(b.wait(), mp.BrokenBarrierError);
    b.reset();
    assert.equal(b.broken, false);
    const waiting = b.wait();
    await new Promise((r) => setTimeout(r, 20));
    b.abort();
    await assert.rejects(waiting, mp.BrokenBarrierError);
    b.reset();
    const c = mp.Barrier(1, null, 1000);
    assert.equal(c.waitSync(), 0);
    const failing = mp.Barrier(1, () => { throw new Error('action failed'); });
    assert.throws(() => failing.waitSync(), /action failed/);
    assert.equal(failing.broken, true);
    assert.throws(() => mp.Barrier(0), /positive integer/);
  });

  it('callable factories and contexts give the same classes', () => {
    const ctx = mp.getContext('thread');
    for (const name of ['Lock', 'RLock', 'Semaphore', 'BoundedSemaphore', 'Condition', 'Event']) {
      assert.ok(new mp[name]() instanceof mp[name]);
      assert.ok(ctx[name]() instanceof mp[name], name);
    }
    assert.ok(ctx.Barrier(2) instanceof mp.Barrier);
  });
});

for (const method of methods) {
  describe(`primitives across children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);
    const joinAll = async (ps) => {
      for (const p of ps) await p.join(60_000);
      for (const p of ps) assert.equal(p.exitcode, 0, `${p.name} exit code`);
    };

    it('Lock keeps a non-atomic counter exact: two children (sync, async) and the parent', async () => {
      const lock = mp.Lock();
      const counter = mp.RawArray('i', 1);
      const ps = [run(t.lockCounter, lock, counter, 20_000), run(t.asyncLockCounter, lock, counter, 2_000)];
      await t.asyncLockCounter(lock, counter, 2_000);
      await joinAll(ps);
      assert.equal(counter.view[0], 24_000);
    });

    it('a lock held by a killed process: acquire with a timeout returns false, never hangs', async () => {
      const lock = mp.Lock();
      const held = mp.Event();
      const p = run(t.holdLock, lock, held);
      assert.equal(await held.wait(30_000), true);
      assert.equal(await lock.acquire({ timeout: 100 }), false);
      assert.equal(lock.acquireSync({ block: false }), false);
      p.kill();
      await p.join();
      assert.equal(p.exitcode, -9);
      assert.equal(await lock.acquire({ timeout: 100 }), false, 'the dead holder never released it');
    });

    it('an RLock owned here cannot be released by a child', async () => {
      const r = mp.RLock();
      r.acquireSync();
      const out = mp.Value('c', 'x');
      await joinAll([run(t.releaseForeign, r, out)]);
      assert.equal(out.value, 'V');
      r.release();
    });

    for (const useAsync of [false, true]) {
      it(`Semaphore ping-pong with a child (${useAsync ? 'async' : 'sync'} forms)`, async () => {
        const a = mp.Semaphore(0), b = mp.Semaphore(0);
        const rounds = 2_000;
        const p = run(t.pingPong, a, b, rounds, useAsync);
        for (let i = 0; i < rounds; i++) {
          a.release();
          if (useAsync) await b.acquire();
          else b.acquireSync();
        }
        await joinAll([p]);
        assert.equal(a.getValue() + b.getValue(), 0);
      });
    }

    it('Condition: notify(n) wakes n of the waiting children, notifyAll the rest, timeouts do not eat notifies', async () => {
      const cond = mp.Condition();
      const ready = mp.Semaphore(0);
      const woke = mp.RawArray('i', 1);
      const ps = [0, 1, 2, 3].map((i) => run(t.condWaiter, cond, ready, woke, 60_000, i % 2 === 1));
      const late = run(t.condWaiter, cond, ready, woke, 50, false);
      for (let i = 0; i < 5; i++) assert.equal(await ready.acquire({ timeout: 30_000 }), true);
      await late.join(30_000);
      cond.withSync(() => cond.notify(2));
      const deadline = Date.now() + 30_000;
      while (cond.withSync(() => woke.view[0]) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(cond.withSync(() => woke.view[0]), 2, 'exactly two woke');
      cond.withSync(() => cond.notifyAll());
      await joinAll([...ps, late]);
      assert.equal(woke.view[0], 4);
    });

    it('Event set in a child wakes the parent; Event.wait returns the flag', async () => {
      const e = mp.Event();
      const p = run(t.setLater, e, 30);
      assert.equal(e.waitSync(30_000), true);
      await joinAll([p]);
    });

    it('Barrier: three parties in three places, the action once per round, then a broken barrier', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mpts-barrier-'));
      process.env.MPTS_BARRIER_LOG = join(dir, 'log');
      try {
        const b = mp.Barrier(3, t.barrierAction);
        for (let round = 0; round < 3; round++) {
          const seen = mp.RawArray('i', 3);
          const ps = [run(t.barrierParty, b, seen, false), run(t.barrierParty, b, seen, true)];
          seen.view[await b.wait(30_000)] = 1;
          await joinAll(ps);
          assert.deepEqual(seen.slice(), [1, 1, 1]);
        }
        assert.equal(readFileSync(process.env.MPTS_BARRIER_LOG, 'utf8').trim().split('\n').length, 3);
        const out = mp.Value('c', 'x');
        const p = run(t.barrierBroken, b, out);
        await new Promise((r) => setTimeout(r, 100));
        b.abort();
        await joinAll([p]);
        assert.equal(out.value, 'B');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('1,000 concurrent async acquire() and wait() calls, woken from a child, all complete', async () => {
      const sem = mp.Semaphore(0);
      const ev = mp.Event();
      const acquires = Array.from({ length: 1000 }, () => sem.acquire({ timeout: 60_000 }));
      const waits = Array.from({ length: 1000 }, () => ev.wait(60_000));
      const p1 = run(t.releaseMany, sem, 1000, 50);
      const p2 = run(t.setLater, ev, 50);
      assert.deepEqual(new Set(await Promise.all(acquires)), new Set([true]));
      assert.deepEqual(new Set(await Promise.all(waits)), new Set([true]));
      await joinAll([p1, p2]);
      assert.equal(sem.getValue(), 0);
    });
  });
}

describe('nesting', () => {
  it("a 'process' child's 'thread' grandchild shares the same Lock", async () => {
    const lock = mp.Lock();
    const counter = mp.RawArray('i', 1);
    const p = mp.getContext('process').Process({ target: t.nestedCounter, args: [lock, counter, 10_000] });
    p.start();
    t.lockCounter(lock, counter, 10_000);
    await p.join(60_000);
    assert.equal(p.exitcode, 0);
    assert.equal(counter.view[0], 30_000);
  });
});
