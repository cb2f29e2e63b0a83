// Fuzz: thousands of random and truncated frames, and 4 GiB / 2^63 / 2^31-1 / negative length
// headers, thrown at two Listeners (one with an authkey: garbage meets the 256-byte handshake
// cap; one without: garbage reaches the framing of accepted connections). Both keep serving
// a real client all along, memory stays flat, nothing hangs. Loopback only, bounded in count
// (FUZZ connections, CONCURRENCY at a time) and in time (each fuzz socket lives at most 300 ms).
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { it } from 'node:test';
import * as mp from 'multiprocessing-ts';

const FUZZ = 3000;
const CONCURRENCY = 16;

function header(n) {
  if (typeof n === 'bigint') {
    const h = Buffer.alloc(12);
    h.writeInt32BE(-1, 0);
    h.writeBigUInt64BE(n, 4);
    return h;
  }
  const h = Buffer.alloc(4);
  h.writeInt32BE(n, 0);
  return h;
}

/** One hostile payload: what a broken or malicious peer might write. */
function garbage(i) {
  switch (i % 8) {
    case 0: return randomBytes(randomInt(0, 600));
    case 1: return header(2n ** 32n); // 4 GiB
    case 2: return Buffer.concat([header(2n ** 63n), randomBytes(32)]);
    case 3: return header(0x7fffffff);
    case 4: return Buffer.concat([header(-randomInt(2, 2 ** 31)), randomBytes(8)]);
    case 5: return Buffer.concat([header(randomInt(1, 200)), randomBytes(randomInt(0, 100))]).subarray(0, randomInt(1, 150)); // truncated
    case 6: return Buffer.concat([header(40), Buffer.from('#CHALLENGE#'), randomBytes(29), header(16), randomBytes(16)]);
    default: return Buffer.concat([header(1 << 20), randomBytes(randomInt(0, 4096))]); // long frame, cut short
  }
}

function throwAt(port, payload) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const end = () => {
      s.destroy();
      resolve();
    };
    s.on('error', end);
    s.on('close', end);
    s.on('data', () => {});
    s.on('connect', () => {
      s.write(payload);
      if (Math.random() < 0.5) s.end();
    });
    setTimeout(end, 300);
  });
}

/** Accepts for ever, echoing each connection's messages until it fails; counts what failed. */
function serve(l, stats) {
  (async () => {
    for (;;) {
      let s;
      try {
        s = await l.accept();
      } catch (e) {
        if (e instanceof mp.AuthenticationError) {
          stats.authFailures++;
          continue;
        }
        return; // closed
      }
      (async () => {
        try {
          for (;;) await s.sendBytes(await s.recvBytes());
        } catch (e) {
          stats.connErrors[e.code ?? e.name] = (stats.connErrors[e.code ?? e.name] ?? 0) + 1;
        } finally {
          s.close();
        }
      })();
    }
  })();
}

async function realClient(l, key, i) {
  const c = await mp.Client(l.address, { authkey: key, handshakeTimeout: 5000 });
  const m = Buffer.from(`real client ${i}`);
  await c.sendBytes(m);
  const back = await Promise.race([c.recvBytes(), new Promise((_, rej) => setTimeout(() => rej(new Error('echo timed out')), 5000))]);
  assert.deepEqual(back, m);
  c.close();
}

it(`${FUZZ} hostile connections against two Listeners: both keep serving, memory stays flat, nothing hangs`, { timeout: 90_000 }, async () => {
  const keyed = await mp.Listener({ address: ['127.0.0.1', 0], authkey: 'k', handshakeTimeout: 500, maxMessageSize: 1 << 16 });
  const open = await mp.Listener({ address: ['127.0.0.1', 0], handshakeTimeout: 500, maxMessageSize: 1 << 16 });
  const stats = { authFailures: 0, connErrors: {} };
  serve(keyed, stats);
  serve(open, stats);
  await realClient(keyed, 'k', -1);
  await realClient(open, null, -1);
  const before = process.memoryUsage().rss;
  const started = performance.now();
  let next = 0;
  let real = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < FUZZ) {
      const i = next++;
      await throwAt((i % 2 ? keyed : open).address[1], garbage(i >> 1));
      if (i % 150 === 0) {
        await realClient(keyed, 'k', i);
        await realClient(open, undefined, i);
        real++;
      }
    }
  }));
  await realClient(keyed, 'k', FUZZ);
  await realClient(open, null, FUZZ);
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  const secs = (performance.now() - started) / 1000;
  console.log(`fuzz: ${FUZZ} connections in ${secs.toFixed(1)} s, ${real} real round trips, rss +${grown.toFixed(1)} MiB, ${stats.authFailures} AuthenticationErrors at accept(), connection errors ${JSON.stringify(stats.connErrors)}`);
  assert.ok(grown < 100, `rss grew by ${grown.toFixed(1)} MiB`);
  assert.ok(stats.authFailures > 0, 'garbage answers to the challenge surface as AuthenticationError at accept()');
  assert.ok((stats.connErrors.EMSGSIZE ?? 0) > 0, 'oversized headers were refused');
  assert.ok((stats.connErrors.EPROTO ?? 0) > 0, 'negative lengths and truncations were protocol errors');
  keyed.close();
  open.close();
});
