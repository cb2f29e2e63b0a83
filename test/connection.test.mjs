// Pipe and Connection under both start methods: any size, in order, EOF, bytes, poll, wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/queue-targets.mjs';
import { methods, childRunner } from './helpers.mjs';

describe('Pipe in one process', () => {
  it('send/recv of strings, bytes, objects, errors, registered classes; in order', async () => {
    const [a, b] = mp.Pipe();
    const values = ['text', 'é✓', Buffer.from([1, 2, 3]), { x: [1, { y: 2n }] }, null, 3.5, new Map([[1, 2]])];
    for (const v of values) await a.send(v);
    await a.send(new RangeError('boom'));
    for (const v of values) assert.deepEqual(await b.recv(), v);
    const err = await b.recv();
    assert.ok(err instanceof RangeError && err.message === 'boom');
    b.sendSync('back');
    assert.equal(a.recvSync(), 'back');
  });

  it('strings and bytes travel raw; other values through structured clone', () => {
    const [a, b] = mp.Pipe();
    a.sendSync('héllo');
    assert.deepEqual(b.recvBytesSync(), Buffer.from('héllo'));
    a.sendSync(Buffer.from('raw'));
    assert.deepEqual(b.recvBytesSync(), Buffer.from('raw'));
    a.sendSync({ k: 1 });
    const encoded = b.recvBytesSync();
    assert.equal(encoded[0], 2, 'the structured-clone tag');
  });

  it('sendBytes with offset and size; recvBytes maxlength; recvBytesInto and BufferTooShortError', async () => {
    const [a, b] = mp.Pipe();
    await a.sendBytes(Buffer.from('0123456789'), 2, 5);
    assert.equal((await b.recvBytes()).toString(), '23456');
    a.sendBytesSync(Buffer.from('abcdef'));
    const into = Buffer.alloc(10, 0x2e);
    assert.equal(await b.recvBytesInto(into, 3), 6);
    assert.equal(into.toString(), '...abcdef.');
    a.sendBytesSync(Buffer.from('too long for it'));
    assert.throws(() => b.recvBytesIntoSync(Buffer.alloc(4)), (e) => e instanceof mp.BufferTooShortError && e.data.toString() === 'too long for it');
    assert.throws(() => a.sendBytesSync(Buffer.alloc(4), 2, 5), /overruns/);
    a.sendBytesSync(Buffer.alloc(20));
    await assert.rejects(b.recvBytes(10), /longer than maxlength 10/);
    assert.equal(b.closed, true, 'Python closes the connection after a bad message length');
  });

  it('one-way pipes refuse the wrong direction; closed connections refuse everything', async () => {
    const [r, w] = mp.Pipe(false);
    assert.equal(r.readable && !r.writable, true);
    assert.equal(w.writable && !w.readable, true);
    await assert.rejects(r.send(1), /read-only/);
    assert.throws(() => w.recvSync(), /write-only/);
    w.close();
    assert.throws(() => w.sendSync(1), /closed/);
    await assert.rejects(r.recv(), (e) => e.name === 'EOFError');
  });

  it('poll: immediate by default, waits with a timeout, forever with null', async () => {
    const [a, b] = mp.Pipe();
    assert.equal(await b.poll(), false);
    const t0 = performance.now();
    assert.equal(await b.poll(50), false);
    assert.ok(performance.now() - t0 >= 45);
    assert.equal(b.pollSync(20), false);
    setTimeout(() => a.sendSync('x'), 20);
    assert.equal(await b.poll(null), true);
    assert.equal(b.pollSync(), true);
    assert.equal(b.recvSync(), 'x');
  });

  it('mp.wait over connections, queue readers and sentinels', async () => {
    const [a, b] = mp.Pipe();
    const q = mp.Queue();
    assert.deepEqual(await mp.wait([b, q.reader], 30), []);
    setTimeout(() => q.putSync(1), 20);
    assert.deepEqual(await mp.wait([b, q.reader], 5000), [q.reader]);
    a.sendSync('y');
    assert.equal((await mp.wait([b, q], 1000)).length, 2);
    await assert.rejects(mp.wait([{}]), /cannot be waited on/);
  });
});

for (const method of methods) {
  describe(`Pipe across children under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const run = childRunner(ctx);

    it('duplex echo, 2,000 round trips in order', async () => {
      const [a, b] = mp.Pipe();
      const p = run(t.echo, b, 2000);
      for (let i = 0; i < 2000; i++) {
        await a.send(i % 2 ? `s${i}` : { i });
        assert.deepEqual(await a.recv(), i % 2 ? `s${i}` : { i });
      }
      await p.join(30_000);
      assert.equal(p.exitcode, 0);
    });

    it('EOFError after the child closes its end, and after it ends without closing', async () => {
      for (const target of [t.sendAndClose, t.sendAndReturn]) {
        const [r, w] = mp.Pipe(false);
        const p = run(target, w, ['a', 'b']);
        w.close(); // the parent's copy of the write end
        assert.equal(await r.recv(), 'a');
        assert.equal(r.recvSync(), 'b');
        await p.join(30_000);
        await assert.rejects(r.recv(), (e) => e.name === 'EOFError' && e instanceof mp.EOFError);
      }
    });

    it('a 256 MiB buffer arrives whole, between two small messages', async () => {
      const [r, w] = mp.Pipe(false);
      const p = run(t.sendHuge, w, 256);
      assert.equal(await r.recv(), 'before');
      const big = await r.recv();
      assert.equal(big.length, 256 << 20);
      for (let i = 0; i < big.length; i += 4096) if (big[i] !== ((i >> 12) & 0xff)) assert.fail(`byte ${i}`);
      assert.equal(r.recvSync(), 'after');
      await p.join(60_000);
    });

    it('mp.wait wakes for a message from a child', async () => {
      const [r, w] = mp.Pipe(false);
      const p = run(t.sendLater, w, 50);
      const ready = await mp.wait([r, p.sentinel], 30_000);
      assert.ok(ready.includes(r));
      assert.equal(r.recvSync(), 'late');
      await p.join(30_000);
    });
  });
}
