// Issue rows for Listener/Client (CPython's multiprocessing.connection wire format): connect +
// authkey handshake latency over TCP loopback to a Listener in a child, and 64-byte
// sendBytes -> recvBytes echo round trips per second on an established connection, beside
// CPython doing the same (Listener in a forked child).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import * as mp from 'multiprocessing-ts';
import { netServer } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const CONNECTS = 300;
const ECHOES = 20_000;

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
    for (let i = 0; i < 20; i++) (await mp.Client(address, { authkey: 'bench' })).close();
    const xs = [];
    for (let i = 0; i < CONNECTS; i++) {
      const t = performance.now();
      const c = await mp.Client(address, { authkey: 'bench' });
      xs.push((performance.now() - t) * 1000);
      c.close();
    }
    xs.sort((a, b) => a - b);
    return xs[CONNECTS >> 1];
  });
}

/** 64-byte messages sent and echoed back per second, one at a time. */
function echoRate(method) {
  return withServer(method, async (address) => {
    const c = await mp.Client(address, { authkey: 'bench' });
    const msg = Buffer.alloc(64, 1);
    for (let i = 0; i < 200; i++) {
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

/** The floor: raw net.Socket 64-byte echoes with a plain Node echo server in a child process. */
async function rawNodeEcho() {
  const child = spawn(process.execPath, [new URL('./peers/net-echo-server.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise((r) => child.stdout.once('data', (d) => r(String(d).trim()))));
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise((r) => s.once('connect', r));
    const msg = Buffer.alloc(68, 1);
    const once = () => new Promise((r) => {
      let got = 0;
      const on = (d) => {
        got += d.length;
        if (got >= msg.length) {
          s.off('data', on);
          r();
        }
      };
      s.on('data', on);
      s.write(msg);
    });
    for (let i = 0; i < 200; i++) await once();
    const t = performance.now();
    for (let i = 0; i < ECHOES; i++) await once();
    const secs = (performance.now() - t) / 1000;
    s.destroy();
    return ECHOES / secs;
  } finally {
    child.kill();
  }
}

for (const method of ['process', 'thread']) {
  row(`Client() connect + authkey handshake, TCP loopback, Listener in a '${method}' child`, {
    unit: 'us',
    rounds: 3,
    ours: () => connectLatency(method),
    peers: { 'CPython Listener/Client (fork)': () => python(['net', 'connect', CONNECTS]).us_per_op },
    bar: { 'CPython Listener/Client (fork)': 'ratio >= 1' },
  });
  row(`64-byte sendBytes->recvBytes echo round trips/s, TCP loopback, '${method}' child`, {
    unit: 'round trips/s',
    rounds: 3,
    ours: () => echoRate(method),
    peers: {
      'CPython send_bytes/recv_bytes (fork)': () => python(['net', 'echo', ECHOES]).per_sec,
      'raw Node net.Socket echo (child process)': rawNodeEcho,
    },
    bar: { 'CPython send_bytes/recv_bytes (fork)': 'ratio >= 2' },
  });
}
