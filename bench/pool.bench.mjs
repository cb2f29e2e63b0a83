// Issue rows for the pool: map of a trivial function over 100,000 items (chunksize 1, and the
// default chunksize), and the round trip of one apply at a time, all with 2 workers, beside
// CPython's Pool and Node's piscina, tinypool and workerpool.
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import workerpool from 'workerpool';
import * as mp from 'multiprocessing-ts';
import { square } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const ITEMS = 100_000;
const APPLIES = 2_000;
const REPEAT = 5;
const items = Array.from({ length: ITEMS }, (_, i) => i);
const squareFile = new URL('./peers/square-worker.mjs', import.meta.url).href;
const workerpoolFile = new URL('./peers/square-workerpool.cjs', import.meta.url).pathname;

async function rate(n, fn) {
  const t = performance.now();
  await fn();
  return n / ((performance.now() - t) / 1000);
}
async function medianRate(times, n, fn) {
  const rates = [];
  for (let i = 0; i < times; i++) rates.push(await rate(n, fn));
  return rates.sort((a, b) => a - b)[times >> 1];
}
async function medianLatency(n, one) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one(i);
    xs.push((performance.now() - t) * 1000);
  }
  return xs.sort((a, b) => a - b)[n >> 1];
}

// One pool of each kind for the whole run, made (and warmed) before any timing.
const ours = { thread: mp.getContext('thread').Pool(2), process: mp.getContext('process').Pool(2) };
for (const p of Object.values(ours)) await p.map(square, [1, 2, 3, 4]);
const piscina = new Piscina({ filename: squareFile, minThreads: 2, maxThreads: 2 });
const tinypool = new Tinypool({ filename: squareFile, minThreads: 2, maxThreads: 2 });
const wpool = workerpool.pool(workerpoolFile, { minWorkers: 2, maxWorkers: 2, workerType: 'thread' });
await Promise.all([piscina.run(1), tinypool.run(1), wpool.exec('square', [1])]);

const peersForTasks = {
  'CPython Pool(2) (fork)': () => python(['poolmap', ITEMS, 1]).per_sec,
  'piscina (2 threads)': () => rate(ITEMS, () => Promise.all(items.map((x) => piscina.run(x)))),
  'tinypool (2 threads)': () => rate(ITEMS, () => Promise.all(items.map((x) => tinypool.run(x)))),
  'workerpool (2 threads)': () => rate(ITEMS, () => Promise.all(items.map((x) => wpool.exec('square', [x])))),
};
for (const method of ['thread', 'process']) {
  row(`Pool(2).map, 100,000 trivial tasks, chunksize 1, ${method}`, {
    unit: 'tasks/s',
    rounds: 3,
    ours: () => rate(ITEMS, () => ours[method].map(square, items, { chunksize: 1 })),
    peers: peersForTasks,
    bar: { 'CPython Pool(2) (fork)': 'ratio >= 3', 'piscina (2 threads)': 'ratio >= 3' },
  });
  // A map in 8 chunks takes a few milliseconds: each side gives the median of REPEAT maps.
  row(`Pool(2).map, 100,000 trivial tasks, default chunksize, ${method} (median of ${REPEAT} maps)`, {
    unit: 'tasks/s',
    rounds: 3,
    ours: () => medianRate(REPEAT, ITEMS, () => ours[method].map(square, items)),
    peers: { 'CPython Pool(2) (fork), default chunksize': () => python(['poolmap', ITEMS, 0, REPEAT]).per_sec },
    bar: { 'CPython Pool(2) (fork), default chunksize': 'ratio >= 2' },
  });
  row(`Pool(2).apply round trip, one at a time (median), ${method}`, {
    unit: 'us',
    rounds: 3,
    ours: () => medianLatency(APPLIES, (i) => ours[method].apply(square, [i])),
    peers: {
      'CPython Pool(2).apply (fork)': () => python(['poolapply', APPLIES]).us_per_op,
      'piscina.run (2 threads)': () => medianLatency(APPLIES, (i) => piscina.run(i)),
      'tinypool.run (2 threads)': () => medianLatency(APPLIES, (i) => tinypool.run(i)),
      'workerpool.exec (2 threads)': () => medianLatency(APPLIES, (i) => wpool.exec('square', [i])),
    },
    bar: { 'piscina.run (2 threads)': 'ours <= 20 us' },
  });
}

/** Ends the pools (bench/run.mjs calls it after the table). */
export async function closePools() {
  for (const p of Object.values(ours)) p.terminate();
  await Promise.all([piscina.destroy(), tinypool.destroy(), wpool.terminate()]);
}
