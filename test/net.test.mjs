// Listener and Client in one process: addresses (TCP, Unix path, abstract name, default),
// errors as Python's (EADDRINUSE, accept after close, refused connect, wrong keys), the
// Connection methods over a socket, mp.wait(), { signal }, limits, and CPython's
// _TestListener / _TestListenerClient behaviours.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';

const LOOP = ['127.0.0.1', 0];
// Node 20 has no `await using`: listeners a test opens are closed after it.
const opened = [];
const track = (l) => (opened.push(l), l);
afterEach(async () => {
  for (const l of opened.splice(0)) await l[Symbol.asyncDispose]();
});
const within = (ms, p, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} did not settle in ${ms} ms`)), ms).unref())]);

/** A listener and one client connected to it: [listener, server side, client side]. */
async function pair(options = {}, clientOptions = options.authkey !== undefined ? { authkey: options.authkey } : {}) {
  const l = await mp.Listener({ address: LOOP, ...options });
  const [c, s] = await Promise.all([mp.Client(l.address, clientOptions), l.accept()]);
  return [l, s, c];
}

describe('Listener and Client: addresses', () => {
  it('TCP on a free port: address, lastAccepted, both directions', async () => {
    const l = track(await mp.Listener({ address: ['localhost', 0], authkey: 'secret password' }));
    assert.equal(l.address[0], '127.0.0.1', "'localhost' binds IPv4 as Python's AF_INET");
    assert.ok(l.address[1] > 0);
    const c = await mp.Client(['localhost', l.address[1]], { authkey: 'secret password' });
    const s = await l.accept();
    assert.equal(l.lastAccepted[0], '127.0.0.1');
    assert.ok(l.lastAccepted[1] > 0);
    await s.send([2.25, null, 'junk', { a: 1 }]);
    assert.deepEqual(await c.recv(), [2.25, null, 'junk', { a: 1 }]);
    await c.sendBytes(Buffer.from('hello'));
    assert.equal((await s.recvBytes()).toString(), 'hello');
    c.close();
    await assert.rejects(s.recv(), mp.EOFError);
    s.close();
  });

  it('a Unix socket path (removed on close) and a Linux abstract name', async () => {
    const path = join(tmpdir(), `mpts-test-${process.pid}.sock`);
    const l = await mp.Listener({ address: path, authkey: Buffer.from([1, 2, 3]) });
    assert.equal(l.address, path);
    assert.ok(existsSync(path));
    const c = await mp.Client(path, { authkey: Buffer.from([1, 2, 3]) });
    const s = await l.accept();
    assert.equal(l.lastAccepted, '', "a Unix peer's address is '' as in Python");
    await c.send('over unix');
    assert.equal(await s.recv(), 'over unix');
    c.close(); s.close(); l.close();
    assert.ok(!existsSync(path), 'the socket file is removed on close');

    const name = `\0mpts-test-${process.pid}`;
    const a = track(await mp.Listener({ address: name }));
    const c2 = await mp.Client(name);
    const s2 = await a.accept();
    await s2.sendBytes(new Uint8Array([9, 8, 7]));
    assert.deepEqual([...(await c2.recvBytes())], [9, 8, 7]);
    c2.close(); s2.close();
  });

  it('without an address: a fresh Unix socket path, as Python; AF_INET family: a loopback port', async () => {
    const l = await mp.Listener();
    assert.equal(typeof l.address, 'string');
    assert.ok(existsSync(l.address));
    const c = await mp.Client(l.address);
    (await l.accept()).close();
    c.close();
    l.close();
    assert.ok(!existsSync(l.address));
    const t = track(await mp.Listener({ family: 'AF_INET' }));
    assert.equal(t.address[0], '127.0.0.1');
  });

  it('a second Listener on a bound address fails with EADDRINUSE (TCP and Unix); the first keeps working', async () => {
    const l = track(await mp.Listener({ address: LOOP }));
    await assert.rejects(mp.Listener({ address: l.address }), { code: 'EADDRINUSE' });
    const path = join(tmpdir(), `mpts-test-inuse-${process.pid}.sock`);
    const u = track(await mp.Listener(path));
    await assert.rejects(mp.Listener(path), { code: 'EADDRINUSE' });
    assert.ok(existsSync(path), "the failed Listener did not remove the first one's socket");
    const c = await mp.Client(path);
    (await u.accept()).close();
    c.close();
  });

  it('accept after close fails; a waiting accept fails when the listener closes; Client to a closed port fails promptly', async () => {
    const l = await mp.Listener({ address: LOOP });
    const waiting = l.accept();
    l.close();
    await assert.rejects(waiting, /listener is closed/);
    await assert.rejects(l.accept(), /listener is closed/);
    const t = performance.now();
    await assert.rejects(mp.Client(l.address), { code: 'ECONNREFUSED' });
    assert.ok(performance.now() - t < 2000);
    await assert.rejects(mp.Client(join(tmpdir(), 'mpts-no-such.sock')), { code: 'ENOENT' });
  });

  it('bad arguments fail at the call, naming what was wrong', async () => {
    await assert.rejects(mp.Listener({ adress: LOOP }), /unknown option 'adress'/);
    await assert.rejects(mp.Client(LOOP, { authKey: 'x' }), /unknown option 'authKey'/);
    await assert.rejects(mp.Client(['127.0.0.1', 70000]), /port from 0 to 65535/);
    await assert.rejects(mp.Client(42), /address type of number 42 unrecognized/);
    await assert.rejects(mp.Listener({ address: LOOP, family: 'AF_UNIX' }), /does not fit the address/);
    await assert.rejects(mp.Listener({ address: LOOP, authkey: 5 }), /authkey must be/);
    await assert.rejects(mp.Listener({ address: LOOP, maxMessageSize: -1 }), /maxMessageSize/);
    await assert.rejects(mp.Client(LOOP, { serializer: 'pickle' }), /unknown option 'serializer'/);
    const [l, s, c] = await pair();
    await assert.rejects(s.recv({ sginal: 1 }), /unknown option 'sginal'/);
    await assert.rejects(s.sendBytes('text'), /expected a Buffer/);
    await assert.rejects(s.sendBytes(Buffer.alloc(4), 2, 5), /overruns/);
    await assert.rejects(s.poll('soon'), /timeout must be a number/);
    s.close(); c.close(); l.close();
    await assert.rejects(s.send(1), /closed/);
    await assert.rejects(s.recv(), /closed/);
  });
});

describe('Listener and Client: authentication', () => {
  it('a wrong key raises AuthenticationError on both sides and no message is exchanged; the listener goes on', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: 'right' }));
    const [client, server] = await Promise.allSettled([mp.Client(l.address, { authkey: 'wrong' }), l.accept()]);
    assert.ok(client.reason instanceof mp.AuthenticationError, String(client.reason));
    assert.ok(server.reason instanceof mp.AuthenticationError, String(server.reason));
    const [c, s] = await Promise.all([mp.Client(l.address, { authkey: 'right' }), l.accept()]);
    await c.send('after a bad peer');
    assert.equal(await s.recv(), 'after a bad peer');
    c.close(); s.close();
  });

  it('an empty authkey is a real key: it differs from no key and from another key', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: '' }));
    const bad = await Promise.allSettled([mp.Client(l.address, { authkey: 'x' }), l.accept()]);
    assert.ok(bad.every((r) => r.reason instanceof mp.AuthenticationError));
    const [c, s] = await Promise.all([mp.Client(l.address, { authkey: Buffer.alloc(0) }), l.accept()]);
    await s.send('empty key ok');
    assert.equal(await c.recv(), 'empty key ok');
    c.close(); s.close();
  });

  it('a client without a key against a listener with one: refused, dropped within handshakeTimeout; a client with a key against one without: AuthenticationError', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: 'k', handshakeTimeout: 300 }));
    const silent = await mp.Client(l.address);
    const t = performance.now();
    assert.match((await silent.recvBytes()).toString('latin1'), /^#CHALLENGE#\{sha256\}/, 'what a keyless client sees, as in Python');
    await assert.rejects(within(3000, silent.recvBytes(), 'dropped peer'), /EOF|closed|ECONNRESET/);
    assert.ok(performance.now() - t < 2500);
    silent.close();
    const open = track(await mp.Listener({ address: LOOP }));
    const accepted = open.accept();
    const keyed = mp.Client(open.address, { authkey: 'k', handshakeTimeout: 2000 });
    const s = await accepted;
    await s.sendBytes(Buffer.from('not a challenge'));
    await assert.rejects(keyed, mp.AuthenticationError);
    s.close();
  });

  it('a peer that never finishes the handshake does not block accept() for others', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: 'k', handshakeTimeout: 2000 }));
    const stalls = await Promise.all(Array.from({ length: 5 }, () => new Promise((res) => {
      const sock = connect(l.address[1], '127.0.0.1', () => res(sock));
    })));
    const t = performance.now();
    const [c, s] = await Promise.all([mp.Client(l.address, { authkey: 'k' }), l.accept()]);
    assert.ok(performance.now() - t < 1500, 'accepted while five peers stall their handshakes');
    for (const sock of stalls) sock.destroy();
    c.close(); s.close();
  });

  it('a Client whose Listener never answers times out (handshakeTimeout) and can be aborted', async () => {
    const l = track(await mp.Listener({ address: LOOP })); // no key: it sends no challenge
    await assert.rejects(mp.Client(l.address, { authkey: 'k', handshakeTimeout: 200 }), mp.TimeoutError);
    const ac = new AbortController();
    const p = mp.Client(l.address, { authkey: 'k', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('gave up')), 100);
    await assert.rejects(p, /gave up/);
  });
});

describe('SocketConnection: the methods of a Connection', () => {
  it('objects through the codec, bytes raw, recvBytesInto any typed array, BufferTooShortError, maxlength', async () => {
    const [l, s, c] = await pair({ authkey: 'k' });
    const values = ['é✓', Buffer.from([1, 2]), { x: [1, { y: 2n }] }, null, 3.5, new Map([[1, 2]]), new RangeError('boom')];
    for (const v of values) await c.send(v);
    for (const v of values.slice(0, -1)) assert.deepEqual(await s.recv(), v);
    const err = await s.recv();
    assert.ok(err instanceof RangeError && err.message === 'boom');
    await s.sendBytes(new Int32Array([42, 1729]));
    const arr = new Int32Array(5);
    assert.equal(await c.recvBytesInto(arr), 8);
    assert.deepEqual([...arr], [42, 1729, 0, 0, 0]);
    await s.sendBytes(Buffer.from('0123456789'), 2, 5);
    assert.equal((await c.recvBytes()).toString(), '23456');
    await s.sendBytes(Buffer.from('too long'));
    const e = await c.recvBytesInto(Buffer.alloc(4)).catch((x) => x);
    assert.ok(e instanceof mp.BufferTooShortError);
    assert.equal(e.data.toString(), 'too long');
    await s.sendBytes(Buffer.alloc(0));
    assert.equal((await c.recvBytes()).length, 0, 'an empty message');
    await s.sendBytes(Buffer.alloc(100));
    await assert.rejects(c.recvBytes(10), { code: 'EMSGSIZE' });
    assert.ok(c.closed, 'as Python, a message over maxlength closes the connection');
    s.close(); l.close();
  });

  it('this package\'s shared objects are refused over a socket; a socket connection cannot be sent to a child', async () => {
    const [l, s, c] = await pair();
    await assert.rejects(c.send({ lock: new mp.Lock() }), /obj\.lock \(.*\) is one of this package's shared objects/);
    await assert.rejects(c.send([new RangeError('x'), mp.Pipe()[0]]), /shared objects/);
    const [a] = mp.Pipe();
    await assert.rejects(a.send(s), /socket connection .* cannot be sent to another process/);
    await assert.rejects(a.send(l), /Listener cannot be sent/);
    const q = new mp.Queue();
    assert.throws(() => q.putSync({ conn: c }), /cannot be sent/);
    q.close();
    s.close(); c.close(); l.close();
  });

  it('poll(timeout), poll(null), mp.wait() with pipes, and { signal } on recv and accept', async () => {
    const [l, s, c] = await pair();
    assert.equal(await c.poll(), false);
    let t = performance.now();
    assert.equal(await c.poll(100), false);
    assert.ok(performance.now() - t >= 90);
    setTimeout(() => s.sendBytes(Buffer.from('x')), 50);
    assert.equal(await within(2000, c.poll(null), 'poll(null)'), true);
    assert.equal(await c.poll(), true, 'poll takes nothing');
    assert.equal((await c.recvBytes()).toString(), 'x');

    const [pr, pw] = mp.Pipe(false);
    assert.deepEqual(await mp.wait([c, pr], 50), []);
    setTimeout(() => s.send('ready'), 30);
    assert.deepEqual(await within(2000, mp.wait([pr, c]), 'wait'), [c]);
    pw.sendSync('pipe too');
    assert.equal((await mp.wait([pr, c])).length, 2);
    assert.equal(await c.recv(), 'ready');

    const ac = new AbortController();
    const r = c.recv({ signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(r, /stop/);
    await s.send('still here');
    assert.equal(await c.recv(), 'still here', 'an aborted recv took nothing');
    await assert.rejects(c.poll(null, { signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' });
    const ac2 = new AbortController();
    const acc = l.accept({ signal: ac2.signal });
    ac2.abort(new Error('no more'));
    await assert.rejects(acc, /no more/);
    t = performance.now();
    s.close();
    await assert.rejects(c.recv(), mp.EOFError);
    assert.deepEqual(await mp.wait([c], 1000), [c], 'EOF counts as ready, as in Python');
    c.close(); pr.close(); pw.close(); l.close();
  });

  it('un-awaited sends of any size in a loop arrive in order, past every buffer (64 MiB in flight)', async () => {
    const [l, s, c] = await pair({ authkey: 'k' });
    const sizes = [0, 1, 100, 16384, 16385, 70_000, 1 << 20, 8 << 20];
    const sends = [];
    for (let i = 0; i < 200; i++) {
      const n = sizes[i % sizes.length];
      const b = Buffer.alloc(n, i & 0xff);
      if (n >= 4) b.writeUInt32LE(i, 0);
      sends.push(n >= 4 ? c.sendBytes(b) : c.send(i));
    }
    for (let i = 0; i < 200; i++) {
      const n = sizes[i % sizes.length];
      if (n >= 4) {
        const got = await s.recvBytes();
        assert.equal(got.length, n);
        assert.equal(got.readUInt32LE(0), i);
        assert.equal(got[n - 1], i & 0xff);
      } else assert.equal(await s.recv(), i);
    }
    await Promise.all(sends);
    s.close(); c.close(); l.close();
  });

  it('a frame over maxMessageSize is refused from its header: a clear error on that connection, the listener unharmed', async () => {
    const l = track(await mp.Listener({ address: LOOP, maxMessageSize: 1000 }));
    const c = await mp.Client(l.address);
    const s = await l.accept();
    await c.sendBytes(Buffer.alloc(1000, 1));
    assert.equal((await s.recvBytes()).length, 1000);
    await c.sendBytes(Buffer.alloc(1001, 1));
    await assert.rejects(s.recvBytes(), (e) => e.code === 'EMSGSIZE' && /1001 bytes is longer than the limit of 1000/.test(e.message));
    await assert.rejects(s.recvBytes(), { code: 'EMSGSIZE' }, 'the connection stays failed');
    const c2 = await mp.Client(l.address);
    const s2 = await l.accept();
    await c2.send('next client fine');
    assert.equal(await s2.recv(), 'next client fine');
    c.close(); s.close(); c2.close(); s2.close();
    // A client's own limit applies to what it receives.
    const [l3, s3, c3] = await pair({}, { maxMessageSize: 10 });
    await s3.sendBytes(Buffer.alloc(11));
    await assert.rejects(c3.recvBytes(), { code: 'EMSGSIZE' });
    s3.close(); c3.close(); l3.close();
  });

  it('a Python pickle received by recv() gets an error that says what to do', async () => {
    const [l, s, c] = await pair();
    await s.sendBytes(Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0x4e, 0x2e]));
    await assert.rejects(c.recv(), /Python pickle .* recvBytes\(\)/);
    s.close(); c.close(); l.close();
  });
});

describe("CPython's _TestListener / _TestListenerClient behaviours", () => {
  it('a client that connects, sends and closes before accept() still delivers', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: 'k' }));
    const c = await mp.Client(l.address, { authkey: 'k' });
    await c.sendBytes(Buffer.from('hello'));
    c.close();
    await new Promise((r) => setTimeout(r, 100));
    const s = await l.accept();
    assert.equal((await s.recvBytes()).toString(), 'hello');
    await assert.rejects(s.recvBytes(), mp.EOFError);
    s.close();
  });

  it("poll(timeout) on the client sees what the server sent (test_issue14725's order)", async () => {
    const l = track(await mp.Listener({ address: LOOP }));
    const c = await mp.Client(l.address);
    const s = await l.accept();
    setTimeout(() => s.sendBytes(Buffer.from('hello')), 100);
    assert.equal(await c.poll(5000), true);
    assert.equal((await c.recvBytes()).toString(), 'hello');
    s.close(); c.close();
  });

  it('one Listener serves several clients concurrently, request by request', async () => {
    const l = track(await mp.Listener({ address: LOOP, authkey: 'k' }));
    const serve = (async () => {
      const conns = [];
      for (let i = 0; i < 4; i++) conns.push(await l.accept());
      await Promise.all(conns.map(async (s) => {
        for (;;) {
          let m;
          try {
            m = await s.recv();
          } catch (e) {
            if (e instanceof mp.EOFError) break;
            throw e;
          }
          await s.send(m * 2);
        }
        s.close();
      }));
    })();
    const clients = await Promise.all(Array.from({ length: 4 }, () => mp.Client(l.address, { authkey: 'k' })));
    await Promise.all(clients.map(async (c, k) => {
      for (let i = 0; i < 50; i++) {
        await c.send(k * 1000 + i);
        assert.equal(await c.recv(), (k * 1000 + i) * 2);
      }
      c.close();
    }));
    await within(5000, serve, 'server');
  });

  it('an idle connection or listener does not keep the process alive; a pending recv does', async () => {
    const { runNode } = await import('./helpers.mjs');
    const code = `
      import * as mp from 'multiprocessing-ts';
      const l = await mp.Listener({ address: ['127.0.0.1', 0] });
      const c = await mp.Client(l.address);
      const s = await l.accept();
      setTimeout(() => c.send('late'), 200).unref();
      console.log('got', await s.recv());
    `;
    const r = await runNode(['--input-type=module', '-e', code], { timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'got late');
  });
});
