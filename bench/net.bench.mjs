// Issue rows for Listener/Client (CPython's multiprocessing.connection wire format): connect +
// authkey handshake latency over TCP loopback to a Listener in a child, and 64-byte
// sendBytes -> recvBytes echo round trips per second on an established connection, beside
// CPython doing the same (Listener in a forked child).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import * as mp from 'multiprocessing-ts';
import { netServer } from './fixtures.mjs';
import { row, python } from './harness.mjs';

// Warm-ups, the same count for every contender: V8 compiles the hot paths (ours and Node's
// own net.Socket) after a few hundred calls; CPython needs none, and gets them all the same.
const CONNECTS = 300;
const CONNECT_WARM = 300;
const ECHOES = 20_000;
const ECHO_WARM = 2000;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function withServer(method, fn) {
  const [mine, theirs] = mp.Pipe();
  const p = mp.getContext(method).Process({ target: netServer, args: [theirs, 'bench'] });
  p.start();
  try {
    return await fn(await mine.recv());
  } finally {
    p.terminate();
    await p.join();
    mine.close();
  }
}

/** Median microseconds of one Client() with an authkey (connect + both challenges). */
function connectLatency(method) {
  return withServer(method, async (address) => {
    for (let i = 0; i < CONNECT_WARM; i++) (await mp.Client(address, { authkey: 'bench' })).close();
    const xs = [];
    for (let i = 0; i < CONNECTS; i++) {
      const t = performance.now();
      const c = await mp.Client(address, { authkey: 'bench' });
      xs.push((performance.now() - t) * 1000);
      c.close();
    }
    return median(xs);
  });
}

/** 64-byte messages sent and echoed back per second, one at a time. */
function echoRate(method) {
  return withServer(method, async (address) => {
    const c = await mp.Client(address, { authkey: 'bench' });
    const msg = Buffer.alloc(64, 1);
    for (let i = 0; i < ECHO_WARM; i++) {
      await c.sendBytes(msg);
      await c.recvBytes();
    }
    const t = performance.now();
    for (let i = 0; i < ECHOES; i++) {
      await c.sendBytes(msg);
      await c.recvBytes();
    }
    const secs = (performance.now() - t) / 1000;
    c.close();
    return ECHOES / secs;
  });
}

/** Starts bench/peers/net-echo-server.mjs in a child process (`mode`: echo or handshake); its port. */
async function rawPeer(mode, fn) {
  const child = spawn(process.execPath, [new URL('./peers/net-echo-server.mjs', import.meta.url).pathname, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise((r) => child.stdout.once('data', (d) => r(String(d).trim()))));
    return await fn(port);
  } finally {
    child.kill();
  }
}

/**
 * Resolves once `n` more bytes have arrived on s; rejects on a socket error (unhandled, one
 * would end the bench, and its exit would wait for the never-ending Listener children).
 */
function bytes(s, n) {
  return new Promise((r, reject) => {
    let got = 0;
    const on = (d) => {
      got += d.length;
      if (got >= n) {
        s.off('data', on);
        s.off('error', reject);
        r();
      }
    };
    s.on('data', on);
    s.on('error', reject);
  });
}

/**
 * The floor of the connect row: a bare net.Socket connect to a plain Node server in a child
 * process, then the bytes of our handshake (challenge; reply + challenge; verdict + reply;
 * verdict) with no framing, no crypto and no checks.
 */
function rawNodeConnect() {
  return rawPeer('handshake', async (port) => {
    // Timed up to the last write, as Client() is; the next starts at once, as the next
    // Client() does after close(). The sockets are all closed before the server goes.
    const closing = [];
    const one = async () => {
      const t = performance.now();
      const s = connect({ port, host: '127.0.0.1', noDelay: true });
      closing.push(new Promise((r, reject) => s.once('close', r).on('error', reject)));
      await bytes(s, 67);
      s.write(Buffer.alloc(119, 1));
      await bytes(s, 61);
      s.end(Buffer.alloc(13, 1));
      return (performance.now() - t) * 1000;
    };
    try {
      for (let i = 0; i < CONNECT_WARM; i++) await one();
      const xs = [];
      for (let i = 0; i < CONNECTS; i++) xs.push(await one());
      return median(xs);
    } finally {
      await Promise.allSettled(closing);
    }
  });
}

/** The floor of the echo row: raw net.Socket 64-byte echoes with a plain Node echo server in a child process. */
function rawNodeEcho() {
  return rawPeer('echo', async (port) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    let failed = null;
    s.on('error', (e) => (failed = e));
    await new Promise((r) => s.once('connect', r));
    const msg = Buffer.alloc(68, 1);
    const once = () => {
      const p = bytes(s, msg.length);
      s.write(msg);
      return p;
    };
    for (let i = 0; i < ECHO_WARM; i++) await once();
    const t = performance.now();
    for (let i = 0; i < ECHOES; i++) await once();
    const secs = (performance.now() - t) / 1000;
    await new Promise((r) => {
      s.once('close', r);
      s.end();
    });
    if (failed) throw failed;
    return ECHOES / secs;
  });
}

for (const method of ['process', 'thread']) {
  row(`Client() connect + authkey handshake, TCP loopback, Listener in a '${method}' child`, {
    unit: 'us',
    rounds: 3,
    ours: () => connectLatency(method),
    peers: {
      'CPython Listener/Client (fork)': () => python(['net', 'connect', CONNECTS, CONNECT_WARM]).us_per_op,
      'raw Node net.Socket, same bytes, no crypto (child process)': rawNodeConnect,
    },
    bar: { 'CPython Listener/Client (fork)': 'ratio >= 1' },
  });
  row(`64-byte sendBytes->recvBytes echo round trips/s, TCP loopback, '${method}' child`, {
    unit: 'round trips/s',
    rounds: 3,
    ours: () => echoRate(method),
    peers: {
      'CPython send_bytes/recv_bytes (fork)': () => python(['net', 'echo', ECHOES, ECHO_WARM]).per_sec,
      'raw Node net.Socket echo (child process)': rawNodeEcho,
    },
    bar: { 'CPython send_bytes/recv_bytes (fork)': 'ratio >= 2' },
  });
}
