// Issue 11's rows: the Redis backend (BullMQ on a local redis-server, on a Unix socket) beside
// hand-written BullMQ doing the same work: a BullMQ Worker per process computing a chunk,
// addBulk of the chunks, results through QueueEvents. map(square, 100,000 ints) with 2 worker
// processes at the default chunking (the median of several maps), one apply's round trip, and
// the time to finish a map after one of two workers is SIGKILLed (locks of 10 s, checked every 5 s).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as mp from 'multiprocessing-ts';
import { redis } from 'multiprocessing-ts/redis';
import { Queue, QueueEvents } from 'bullmq';
import { square, slowSquare } from './fixtures.mjs';
import { row } from './harness.mjs';
import { haveRedisServer, startRedis } from '../test/redis-server.mjs';

const ITEMS = 100_000;
const REPEAT = 5;
const APPLIES = 200;
const items = Array.from({ length: ITEMS }, (_, i) => i);
const mainJs = fileURLToPath(new URL('../dist/esm/cli/main.js', import.meta.url));
const rawWorkerJs = fileURLToPath(new URL('./peers/bullmq-worker.mjs', import.meta.url));
const children = new Set();
let server = null;
const closers = [];

function start(args, ready) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (ready.test(err)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${err}`)));
  });
}

/** Hand-written BullMQ's side: a queue, its events from the start, and a map in 4 x 2 chunks. */
async function handWritten(queue) {
  const connection = { path: server.socket, maxRetriesPerRequest: null };
  const q = new Queue(queue, { connection });
  const events = new QueueEvents(queue, { connection, lastEventId: '0-0' });
  const waiters = new Map();
  events.on('completed', ({ jobId, returnvalue }) => {
    const w = waiters.get(jobId);
    if (w) {
      waiters.delete(jobId);
      w(returnvalue);
    }
  });
  await Promise.all([q.waitUntilReady(), events.waitUntilReady()]);
  closers.push(() => Promise.all([q.close(), events.close()]));
  let seq = 0;
  return {
    async map(xs, ms = 0) {
      const size = Math.ceil(xs.length / 8), m = ++seq, jobs = [], parts = [];
      for (let i = 0, k = 0; i < xs.length; i += size, k++) {
        const jobId = `m${m}-${k}`;
        parts.push(new Promise((r) => waiters.set(jobId, r)));
        jobs.push({ name: 'square', data: { items: xs.slice(i, i + size), ms }, opts: { jobId } });
      }
      await q.addBulk(jobs);
      return (await Promise.all(parts)).flat();
    },
    async apply(x) {
      const jobId = `a${++seq}`;
      const done = new Promise((r) => waiters.set(jobId, r));
      await q.add('square', { x }, { jobId });
      return done;
    },
  };
}

async function medianRate(n, fn) {
  const rates = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await fn();
    rates.push(n / ((performance.now() - t) / 1000));
  }
  return rates.sort((a, b) => a - b)[REPEAT >> 1];
}
async function medianLatency(one) {
  const xs = [];
  for (let i = 0; i < APPLIES; i++) {
    const t = performance.now();
    await one(i);
    xs.push((performance.now() - t) * 1000);
  }
  return xs.sort((a, b) => a - b)[APPLIES >> 1];
}
/** us from SIGKILL of one of two workers (700 ms into an 800-task map of 5 ms tasks) to the map's end. */
async function recovery(startWorker, map) {
  const [a, b] = await Promise.all([startWorker(), startWorker()]);
  const xs = Array.from({ length: 800 }, (_, i) => i);
  const done = map(xs);
  await new Promise((r) => setTimeout(r, 700));
  const t = performance.now();
  a.kill('SIGKILL');
  const out = await done;
  const us = (performance.now() - t) * 1000;
  if (out.length !== 800 || out[799] !== 799 * 799) throw new Error('recovery: wrong results');
  b.kill('SIGTERM');
  return us;
}

if (!haveRedisServer()) {
  console.error('bench: no redis-server here, so no Redis backend rows (apt-get install -y redis-server)');
} else {
  server = await startRedis();
  await start([mainJs, 'worker', '--redis', server.url, '--queue', 'bench-ours', '--processes', '2'], /ready/);
  await Promise.all([0, 1].map(() => start([rawWorkerJs, server.socket, 'bench-raw'], /ready/)));
  const ours = new mp.Pool({ backend: redis({ url: server.url, queue: 'bench-ours' }), processes: 2 });
  closers.push(async () => {
    ours.terminate();
    await ours.join();
  });
  const raw = await handWritten('bench-raw');
  await ours.map(square, items.slice(0, 1000));
  await raw.map(items.slice(0, 1000));

  row(`Redis backend: Pool(2).map(square, 100,000 ints), default chunksize (median of ${REPEAT} maps)`, {
    unit: 'tasks/s',
    rounds: 3,
    ours: () => medianRate(ITEMS, () => ours.map(square, items)),
    peers: { 'hand-written BullMQ (Worker per process, addBulk, QueueEvents)': () => medianRate(ITEMS, () => raw.map(items)) },
    bar: { 'hand-written BullMQ (Worker per process, addBulk, QueueEvents)': 'ratio >= 0.9' },
  });
  row('Redis backend: Pool(2).apply round trip, one at a time (median)', {
    unit: 'us',
    rounds: 3,
    ours: () => medianLatency((i) => ours.apply(square, [i])),
    peers: { 'hand-written BullMQ (add, QueueEvents)': () => medianLatency((i) => raw.apply(i)) },
  });
  let n = 0;
  row('Redis backend: time to finish an 800-task map after SIGKILL of one of 2 workers (lock 10 s, checked every 5 s)', {
    unit: 'us',
    rounds: 1,
    ours: async () => {
      const queue = `recover-ours-${++n}`;
      const pool = new mp.Pool({ backend: redis({ url: server.url, queue }), processes: 2 });
      try {
        return await recovery(() => start([mainJs, 'worker', '--redis', server.url, '--queue', queue, '--processes', '1'], /ready/), (xs) => pool.map(slowSquare, xs));
      } finally {
        pool.terminate();
        await pool.join();
      }
    },
    peers: {
      'hand-written BullMQ, same lock settings': async () => {
        const queue = `recover-raw-${++n}`;
        const peer = await handWritten(queue);
        return recovery(() => start([rawWorkerJs, server.socket, queue], /ready/), (xs) => peer.map(xs, 5));
      },
    },
  });
}

/** Ends the pools, workers and redis-server (bench/run.mjs calls it after the table). */
export async function closeRedis() {
  for (const c of closers) await c();
  for (const c of children) c.kill('SIGKILL');
  await server?.stop();
}
