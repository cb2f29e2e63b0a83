// The authkey handshake on the wire, step by step, against a hand-written peer (node:crypto's
// HMAC, CPython's frames): our Listener's challenge carries a 48-byte nonce; our Client, seeing
// it, sends its own challenge together with its reply (one round trip fewer), while a
// CPython-sized nonce (40 bytes) gets CPython's strict turn-taking; our Listener answers a
// client that sent both at once with its verdict and its answer in one write, and still
// refuses a wrong reply. (Python itself on both sides: net-python.test.mjs.)
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';

const LOOP = ['127.0.0.1', 0];
const KEY = Buffer.from('k');
const opened = [];
afterEach(() => {
  for (const x of opened.splice(0)) x.close();
});

const frame = (...payloads) => Buffer.concat(payloads.map((p) => {
  const h = Buffer.alloc(4);
  h.writeInt32BE(p.length);
  return Buffer.concat([h, p]);
}));
const mac = (message) => Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', KEY).update(message).digest()]);
const challenge = (nonceBytes) => Buffer.concat([Buffer.from('#CHALLENGE#{sha256}'), randomBytes(nonceBytes)]);
const messageOf = (c) => c.subarray('#CHALLENGE#'.length);

/** CPython's frames as they arrive on a raw socket: next(ms) takes the next one (null if none came within ms). */
function wire(sock) {
  let buf = Buffer.alloc(0);
  let wake = null;
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  const whole = () => (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0) ? 4 + buf.readInt32BE(0) : 0);
  return {
    async next(ms = 3000) {
      const until = performance.now() + ms;
      while (!whole()) {
        const left = until - performance.now();
        if (left <= 0) return null;
        await new Promise((r) => {
          wake = r;
          setTimeout(r, left).unref();
        });
        wake = null;
      }
      const n = whole();
      const f = buf.subarray(4, n);
      buf = buf.subarray(n);
      return f;
    },
  };
}

/** A raw server playing a Listener whose nonce has `nonceBytes` bytes; resolves with what it saw. */
async function fakeListener(nonceBytes) {
  let done;
  const seen = new Promise((r) => (done = r));
  const server = createServer({ noDelay: true }, async (sock) => {
    const w = wire(sock);
    const mine = challenge(nonceBytes);
    sock.write(frame(mine));
    const reply = await w.next();
    assert.deepEqual(reply, mac(messageOf(mine)), 'the client answers our challenge');
    // Before any verdict: did the client's challenge come with its reply?
    const early = (await w.next(200)) ?? null;
    sock.write(frame(Buffer.from('#WELCOME#')));
    const theirs = early ?? (await w.next());
    assert.match(theirs.toString('latin1'), /^#CHALLENGE#\{sha256\}/);
    sock.write(frame(mac(messageOf(theirs))));
    assert.equal((await w.next()).toString(), '#WELCOME#');
    const hello = await w.next();
    sock.write(frame(hello));
    done({ pipelined: early !== null, hello: hello.toString() });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  opened.push(server);
  return { address: ['127.0.0.1', server.address().port], seen };
}

describe('the authkey handshake on the wire', () => {
  it('our Client sends its challenge with its reply to a Listener with a 48-byte nonce (ours), and waits for the verdict with a 40-byte one (CPython)', async () => {
    for (const [nonce, pipelined] of [[48, true], [40, false]]) {
      const fake = await fakeListener(nonce);
      const c = await mp.Client(fake.address, { authkey: KEY });
      await c.sendBytes(Buffer.from(`hello ${nonce}`));
      assert.equal((await c.recvBytes()).toString(), `hello ${nonce}`);
      assert.deepEqual(await fake.seen, { pipelined, hello: `hello ${nonce}` });
      c.close();
    }
  });

  it('our Listener challenges with a 48-byte nonce, answers a client that sent its challenge with its reply in one write, and refuses a wrong reply', async () => {
    const l = await mp.Listener({ address: LOOP, authkey: KEY });
    opened.push(l);
    for (const right of [true, false]) {
      const sock = connect(l.address[1], '127.0.0.1');
      const w = wire(sock);
      const theirs = await w.next();
      assert.equal(messageOf(theirs).length, '{sha256}'.length + 48, "our Listener's nonce is 48 bytes");
      const mine = challenge(40);
      const reply = right ? mac(messageOf(theirs)) : mac(Buffer.from('something else'));
      const accepted = l.accept().then((s) => s, (e) => e);
      sock.write(frame(reply, mine));
      const verdict = await w.next();
      if (!right) {
        assert.equal(verdict.toString(), '#FAILURE#');
        assert.ok((await accepted) instanceof mp.AuthenticationError);
        sock.destroy();
        continue;
      }
      assert.equal(verdict.toString(), '#WELCOME#');
      assert.deepEqual(await w.next(), mac(messageOf(mine)), 'its answer to our challenge');
      sock.write(frame(Buffer.from('#WELCOME#'), Buffer.from('first message')));
      const s = await accepted;
      assert.equal((await s.recvBytes()).toString(), 'first message');
      await s.sendBytes(Buffer.from('back'));
      assert.equal((await w.next()).toString(), 'back');
      s.close();
      sock.destroy();
    }
  });

  it('a message sent right after the handshake, in the same write, is parsed with maxMessageSize, not the 256-byte handshake cap', async () => {
    const l = await mp.Listener({ address: LOOP, authkey: KEY });
    opened.push(l);
    const sock = connect(l.address[1], '127.0.0.1');
    const w = wire(sock);
    const theirs = await w.next();
    const mine = challenge(40);
    sock.write(frame(mac(messageOf(theirs)), mine));
    assert.equal((await w.next()).toString(), '#WELCOME#');
    await w.next();
    const big = randomBytes(100_000);
    sock.write(frame(Buffer.from('#WELCOME#'), big));
    const s = await l.accept();
    assert.deepEqual(await s.recvBytes(), big);
    s.close();
    sock.destroy();
  });
});
