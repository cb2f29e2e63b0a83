// Issue rows for the core: child start+join, and the uncontended costs of wait/wake.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as mp from 'multiprocessing-ts';
import { core } from '../dist/esm/core/core.js';
import { noop } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const rawWorker = new URL('./raw-worker.mjs', import.meta.url);
const N = 20;

async function timeEach(n, one) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await one();
  return ((performance.now() - t) / n) * 1000;
}

row('Process start+join, thread', {
  unit: 'us',
  ours: () => timeEach(N, async () => {
    const p = new (mp.getContext('thread').Process)({ target: noop });
    p.start();
    await p.join();
  }),
  peers: {
    'raw new Worker start+exit': () => timeEach(N, () => new Promise((r) => new Worker(rawWorker).once('exit', r))),
  },
  bar: { 'raw new Worker start+exit': 'ratio >= 0.91 (ours <= 1.1x raw)' },
});

// Back to back, the spare is still booting at each start: no warm spare, so the bar
// (a warm spare against forkserver) is the spaced row's; this one shows the boot-bound rate.
row('Process start+join, process, back to back', {
  unit: 'us',
  rounds: 3,
  ours: () => timeEach(N, async () => {
    const p = new (mp.getContext('process').Process)({ target: noop });
    p.start();
    await p.join();
  }),
  peers: {
    'raw child_process.fork': () => timeEach(N, () => new Promise((r) => fork(rawWorker).once('exit', r))),
    'CPython fork': () => python(['start', 'fork', N]).us_per_op,
    'CPython forkserver': () => python(['start', 'forkserver', N]).us_per_op,
    'CPython spawn': () => python(['start', 'spawn', N]).us_per_op,
  },
});

// The same, with the starts spaced out (untimed pauses) so that the spare child is warm each
// time: the latency a program sees when it does not start children back to back.
async function spaced(n, pauseMs, one) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    const t = performance.now();
    await one();
    total += performance.now() - t;
  }
  return (total / n) * 1000;
}
const startJoin = (method) => async () => {
  const p = new (mp.getContext(method).Process)({ target: noop });
  p.start();
  await p.join();
};
row('Process start+join, thread, spaced (warm spare)', {
  unit: 'us',
  ours: () => spaced(10, 150, startJoin('thread')),
  peers: { 'raw new Worker start+exit, spaced': () => spaced(10, 150, () => new Promise((r) => new Worker(rawWorker).once('exit', r))) },
  bar: { 'raw new Worker start+exit, spaced': 'ratio >= 0.91 (ours <= 1.1x raw)' },
});
row('Process start+join, process, spaced (warm spare)', {
  unit: 'us',
  rounds: 3,
  ours: () => spaced(10, 300, startJoin('process')),
  peers: {
    'CPython forkserver': () => python(['start', 'forkserver', N]).us_per_op,
    'raw child_process.fork, spaced': () => spaced(10, 300, () => new Promise((r) => fork(rawWorker).once('exit', r))),
  },
  bar: { 'CPython forkserver': 'ratio >= 1 (ours <= forkserver)' },
});

const c = core();
const word = c.alloc(8) >> 2;
const sab = new Int32Array(new SharedArrayBuffer(8));
const M = 200_000;
const perOp = (n, f) => {
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t) / n) * 1000;
};
row('core wake, nobody waiting', {
  unit: 'us',
  ours: () => perOp(M, () => c.wake(word, 1)),
  peers: { 'Atomics.notify (threads only)': () => perOp(M, () => Atomics.notify(sab, 0, 1)) },
});
row('core wait, value already changed', {
  unit: 'us',
  ours: () => perOp(M, () => c.wait(word, 1, 0)),
  peers: { 'Atomics.wait (threads only)': () => perOp(M, () => Atomics.wait(sab, 0, 1, 0)) },
});
row('core uncontended lock word (Atomics CAS + store, no native call)', {
  unit: 'us',
  ours: () => perOp(M * 10, () => {
    if (Atomics.compareExchange(c.i32, word, 0, 1) === 0) Atomics.store(c.i32, word, 0);
  }),
  peers: { 'same on a SharedArrayBuffer': () => perOp(M * 10, () => {
    if (Atomics.compareExchange(sab, 0, 0, 1) === 0) Atomics.store(sab, 0, 0);
  }) },
});
