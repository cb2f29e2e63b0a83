// The API used the way people write code: sends not awaited in loops past every buffer, waits
// cancelled and raced, peers killed mid-way, options misspelt, Python's positional forms.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/real-use-targets.mjs';
import { childRunner, methods, runNode } from './helpers.mjs';

const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const aborted = (reason = new Error('stop')) => AbortSignal.abort(reason);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const method of methods) {
  describe(`un-awaited sends under ${method}`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);

    it('20,000 un-awaited 256-character sends then STOP: all arrive, in order, and the child exits', { timeout: 60_000 }, async () => {
      const [r, w] = mp.Pipe(false);
      const p = run(t.sendMany, w, 20_000, 256, true);
      w.close();
      for (let i = 0; i < 20_000; i++) assert.equal(await r.recv(), String(i).padEnd(256, '.'));
      assert.equal(await r.recv(), 'STOP');
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
      await assert.rejects(r.recv(), mp.EOFError);
    });

    it('64 un-awaited 1 MiB sendBytes (each larger than the ring) arrive in order', { timeout: 60_000 }, async () => {
      const [r, w] = mp.Pipe(false);
      const p = run(t.sendBytesMany, w, 64, 1 << 20);
      w.close();
      for (let i = 0; i < 64; i++) {
        const b = await r.recvBytes();
        assert.equal(b.length, 1 << 20);
        assert.equal(b[0], i, `message ${i}`);
        assert.equal(b[b.length - 1], i);
      }
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
    });

    it('SimpleQueue.put without await keeps order past the ring', { timeout: 60_000 }, async () => {
      const q = ctx.SimpleQueue();
      const p = run(t.putMany, q, 5000, 300);
      for (let i = 0; i < 5000; i++) assert.equal(await q.get(), String(i).padEnd(300, '.'));
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
    });

    it('a send to a pipe whose reader child was SIGKILLed rejects with BrokenPipeError', { timeout: 30_000 }, async () => {
      const [r, w] = mp.Pipe(false);
      const ready = ctx.Event();
      const p = run(t.holdAndSleep, r, ready);
      r.close();
      assert.ok(await ready.wait(10_000));
      const pending = [];
      for (let i = 0; i < 20; i++) pending.push(w.send('x'.repeat(100_000)));
      p.kill();
      await p.join(10_000);
      const results = await Promise.allSettled(pending);
      const failed = results.filter((x) => x.status === 'rejected');
      assert.ok(failed.length > 0, 'some sends could not be written');
      for (const f of failed) assert.ok(f.reason instanceof mp.BrokenPipeError, String(f.reason));
      // once broken, always broken, and at once
      await assert.rejects(w.send('more'), mp.BrokenPipeError);
    });

    it('a child writing a message larger than the ring to a pipe whose readers closed gets BrokenPipeError', { timeout: 30_000 }, async () => {
      const [r, w] = mp.Pipe(false);
      const report = ctx.Queue();
      r.close();
      const p = run(t.sendToNobody, w, report);
      assert.equal(await report.get({ timeout: 10_000 }), 'BrokenPipeError');
      await p.join(10_000);
      assert.equal(p.exitcode, 0);
    });

    it('a reader sees EOF when the child holding the only write end is SIGKILLed', { timeout: 30_000 }, async () => {
      const [r, w] = mp.Pipe(false);
      const ready = ctx.Event();
      const p = run(t.holdAndSleep, w, ready);
      w.close();
      assert.ok(await ready.wait(10_000));
      p.kill();
      await p.join(10_000);
      await assert.rejects(r.recv(), mp.EOFError);
      assert.deepEqual(await mp.wait([r], 5000), [r]);
    });
  });
}

describe('sends in one process', () => {
  it('un-awaited sends of mixed sizes keep their order (random sizes, random awaits)', { timeout: 60_000 }, async () => {
    const [r, w] = mp.Pipe(false, { capacity: 4096 });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const sent = [];
    const reading = (async () => {
      const got = [];
      for (let i = 0; i < 600; i++) got.push(await r.recv());
      return got;
    })();
    for (let i = 0; i < 600; i++) {
      const v = rand() < 0.3 ? Buffer.alloc(Math.floor(rand() * 20_000), i & 0xff) : { i, pad: 'y'.repeat(Math.floor(rand() * 3000)) };
      sent.push(v);
      const p = v instanceof Uint8Array ? w.sendBytes(v) : w.send(v);
      if (rand() < 0.1) await p;
    }
    assert.deepEqual(await reading, sent);
  });

  it('sendSync refuses to overtake pending sends', async () => {
    const [r, w] = mp.Pipe(false, { capacity: 1024 });
    const pending = [w.send('a'.repeat(400)), w.send('b'.repeat(400)), w.send('c'.repeat(400))];
    assert.throws(() => w.sendSync('d'), /still waiting for room/);
    for (const c of 'abc') assert.equal(await r.recv(), c.repeat(400));
    await Promise.all(pending);
  });

  it('a send after the reader closed throws BrokenPipeError at once, as in Python', async () => {
    const [a, b] = mp.Pipe();
    b.close();
    await assert.rejects(a.send('x'), mp.BrokenPipeError);
    assert.throws(() => a.sendBytesSync(Buffer.from('x')), mp.BrokenPipeError);
  });

  it('closing a connection writes its pending sends before the reader sees EOF', async () => {
    const [r, w] = mp.Pipe(false, { capacity: 1024 });
    for (let i = 0; i < 50; i++) w.send(`m${i}`.padEnd(300, '-'));
    w.close();
    for (let i = 0; i < 50; i++) assert.equal(await r.recv(), `m${i}`.padEnd(300, '-'));
    await assert.rejects(r.recv(), mp.EOFError);
  });

  it('recvBytesInto with too small a buffer consumes the message (BufferTooShortError carries it)', async () => {
    const [a, b] = mp.Pipe();
    a.sendBytesSync(Buffer.from('a long message'));
    a.sendBytesSync(Buffer.from('next'));
    await assert.rejects(b.recvBytesInto(Buffer.alloc(4)), (e) => e instanceof mp.BufferTooShortError && e.data.toString() === 'a long message');
    assert.equal((await b.recvBytes()).toString(), 'next');
    a.sendBytesSync(Buffer.alloc(200_000, 1)); // a streamed one too
    a.sendBytesSync(Buffer.from('after'));
    assert.throws(() => b.recvBytesIntoSync(Buffer.alloc(10)), mp.BufferTooShortError);
    assert.equal(b.recvBytesSync().toString(), 'after');
  });
});

describe('cancelling waits with { signal }', () => {
  it('an aborted get takes no item, rejects with the reason, and lets the program exit', async () => {
    const q = mp.Queue();
    const ac = new AbortController();
    const got = q.get({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('gave up')), 20);
    await assert.rejects(got, /gave up/);
    q.put('item');
    assert.equal(await q.get({ timeout: 1000 }), 'item');
    await assert.rejects(q.get({ signal: aborted() }), /stop/);
  });

  it('Promise.race of a get against a timer: the loser is aborted and takes nothing', async () => {
    const q = mp.SimpleQueue();
    const ac = new AbortController();
    const winner = await Promise.race([q.get({ signal: ac.signal }).catch(() => 'aborted'), sleep(30).then(() => 'timer')]);
    assert.equal(winner, 'timer');
    ac.abort();
    q.putSync('x');
    assert.equal(q.getSync(), 'x');
  });

  it('an aborted acquire under contention holds nothing; the next waiter gets the lock', async () => {
    // (An RLock is re-entrant in its owning thread, so it is contended from a child elsewhere.)
    for (const lock of [mp.Lock(), mp.Semaphore(1), mp.BoundedSemaphore(1)]) {
      assert.equal(await lock.acquire(), true);
      const ac = new AbortController();
      const a = lock.acquire({ signal: ac.signal });
      const b = lock.acquire({ timeout: 5000 });
      await sleep(10);
      ac.abort();
      await assert.rejects(a, { name: 'AbortError' });
      lock.release();
      assert.equal(await b, true, `${lock} went to the waiter that was not aborted`);
      lock.release();
      assert.equal(lock.acquireSync(false), true, 'free again');
      lock.release();
    }
  });

  it('Condition.wait, Event.wait, Barrier.wait, JoinableQueue.join, poll, recv, join and mp.wait take a signal', async () => {
    const cond = mp.Condition(mp.Lock());
    await cond.acquire();
    await assert.rejects(cond.wait({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    cond.release(); // the lock is held again after the aborted wait, as after a timeout
    await assert.rejects(mp.Event().wait({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    const barrier = mp.Barrier(2);
    await assert.rejects(barrier.wait({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    assert.equal(barrier.broken, false, 'an aborted party withdraws without breaking the barrier');
    assert.equal(barrier.nWaiting, 0);
    const jq = mp.JoinableQueue();
    jq.putSync(1);
    await assert.rejects(jq.join({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    await assert.rejects(jq.join({ timeout: 20 }), mp.TimeoutError);
    const [a, b] = mp.Pipe();
    await assert.rejects(b.poll({ timeout: null, signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    await assert.rejects(b.recv({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    await assert.rejects(b.recvBytes(null, { signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    await assert.rejects(mp.wait([b], { signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    a.sendSync('still here');
    assert.equal(await b.recv(), 'still here', 'the aborted recv took nothing');
    const p = mp.Process({ target: t.workThenMark, args: [mp.Value('i', 0), 300] });
    p.start();
    await assert.rejects(p.join({ signal: AbortSignal.timeout(20) }), { name: 'TimeoutError' });
    await p.join(10_000);
    assert.equal(p.exitcode, 0);
  });

  it('a bounded put aborted while the queue is full puts nothing', async () => {
    const q = mp.Queue(1);
    await q.put('a');
    const ac = new AbortController();
    const put = q.put('b', { signal: ac.signal });
    await sleep(10);
    ac.abort();
    await assert.rejects(put, { name: 'AbortError' });
    assert.equal(q.qsize(), 1);
    assert.equal(await q.get(), 'a');
    assert.equal(q.empty(), true);
  });

  it('a Sync call refuses a signal', () => {
    assert.throws(() => mp.Lock().acquireSync({ signal: new AbortController().signal }), /cannot take a signal/);
  });

  it('a process whose only pending wait was aborted exits (nothing left keeping it alive)', { timeout: 30_000 }, async () => {
    const script = `import * as mp from 'multiprocessing-ts';
      const q = mp.Queue();
      const ac = new AbortController();
      const r = await Promise.race([q.get({ signal: ac.signal }), new Promise((res) => setTimeout(() => res('timer'), 50))]);
      ac.abort();
      // aborted at once, before its wait can have reached the kernel
      const now = new AbortController();
      const g = q.get({ signal: now.signal });
      now.abort();
      await g.catch(() => {});
      console.log(r);`;
    const out = await runNode(['--input-type=module', '-e', script], { timeout: 20_000 });
    assert.equal(out.stdout.trim(), 'timer');
    assert.equal(out.code, 0);
  });
});

describe("Python's habits", () => {
  it('positional block and timeout on get, put, acquire and their Sync forms', async () => {
    const q = mp.Queue(1);
    let t0 = performance.now();
    await assert.rejects(q.get(true, 100), mp.EmptyError);
    assert.ok(performance.now() - t0 >= 90);
    assert.throws(() => q.getSync(false), mp.EmptyError);
    await q.put('a', true, 100);
    t0 = performance.now();
    await assert.rejects(q.put('b', true, 100), mp.FullError);
    assert.ok(performance.now() - t0 >= 90);
    assert.throws(() => q.putSync('b', false), mp.FullError);
    assert.equal(q.getSync(true, 100), 'a');
    const lock = mp.Lock();
    assert.equal(lock.acquireSync(false), true);
    assert.equal(lock.acquireSync(false), false);
    assert.equal(await lock.acquire(false), false);
    assert.equal(await lock.acquire(true, 50), false);
    assert.equal(lock.acquireSync(true, 50), false);
    lock.release();
  });

  it('a misspelt option throws a TypeError naming it and the name meant', async () => {
    const lock = mp.Lock();
    lock.acquireSync();
    assert.throws(() => lock.acquireSync({ blocking: false }), /unknown option 'blocking' \(did you mean 'block'\?\)/);
    await assert.rejects(mp.Queue().get({ timout: 10 }), /unknown option 'timout' \(did you mean 'timeout'\?\)/);
    assert.throws(() => mp.Process({ targt: () => {} }), /unknown option 'targt' \(did you mean 'target'\?\)/);
    assert.throws(() => mp.Pipe(true, { capacty: 1024 }), /did you mean 'capacity'/);
    await assert.rejects(mp.Event().wait({ timeout: 1, sigal: null }), /did you mean 'signal'/);
    await assert.rejects(mp.wait([], { timeot: 5 }), /did you mean 'timeout'/);
    lock.release();
  });

  it('p.sentinel is the same value at every read, so wait()’s result includes it', async () => {
    const p = mp.Process({ target: t.workThenMark, args: [mp.Value('i', 0), 10] });
    p.start();
    assert.equal(p.sentinel, p.sentinel);
    const ready = await mp.wait([p.sentinel], 10_000);
    assert.ok(ready.includes(p.sentinel));
  });

  for (const method of methods) {
    it(`a forgotten isMainProcess() guard fails at once in the child, explaining the guard (${method})`, { timeout: 60_000 }, async () => {
      const out = await runNode([fixture('no-guard.mjs'), method], { timeout: 30_000 });
      assert.match(out.stdout, /exitcode 1 in MainProcess/);
      assert.match(out.stderr, /bootstrapping phase/);
      assert.match(out.stderr, /mp\.isMainProcess\(\)/);
      assert.doesNotMatch(out.stdout, /work ran/);
    });

    it(`an uncaught error in the parent is printed at once, then non-daemonic children are joined (${method})`, { timeout: 30_000 }, async () => {
      const out = await runNode([fixture('uncaught-with-child.mjs'), method], { timeout: 20_000 });
      assert.equal(out.code, 1);
      const error = out.stderr.indexOf('boom in the parent'), child = out.stderr.indexOf('child finished');
      assert.ok(error >= 0 && child > error, out.stderr);
    });

    it(`process.exit() joins non-daemonic children first (${method})`, { timeout: 30_000 }, async () => {
      const out = await runNode([fixture('exit-joins.mjs'), method], { timeout: 20_000 });
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /child finished/);
    });
  }
});
