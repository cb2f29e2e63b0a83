// Issue rows for the sync primitives and shared values (the shape of seed 004's table):
// acquire+release pairs/s, ping-pong round trips/s between two children, sequence reads/s.
import * as mp from 'multiprocessing-ts';
import { condTurn, semPing, semPong } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const PAIRS = 5_000_000;
const READS = 10_000_000;
const ROUNDS = 20_000;

// Each row gets its own copy of its loop (new Function makes a distinct function), so that V8's
// inline caches in one row never see another row's class: a shared loop would turn
// megamorphic and measure the benchmark, not the primitive.
const pairsLoop = () => new Function('lock', 'n', `
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
  return n / ((performance.now() - t) / 1000);`);
function pairsPerSec(loop, lock) {
  return loop(lock, PAIRS);
}
for (const kind of ['Lock', 'RLock', 'Semaphore']) {
  const lock = mp[kind]();
  const loop = pairsLoop();
  row(`${kind} acquire+release pairs/s`, {
    unit: 'pairs/s',
    ours: () => pairsPerSec(loop, lock),
    peers: { [`CPython multiprocessing.${kind}`]: () => python(['lock', kind, 2_000_000]).per_sec },
    bar: kind === 'Lock' ? { 'CPython multiprocessing.Lock': 'ratio >= 2' } : undefined,
  });
}

/** Two 'process' children ping-pong; the figure is round trips/s as the first child timed it. */
async function pingPong(kind, useAsync) {
  const ctx = mp.getContext('process');
  const go = mp.Event();
  const out = mp.Value('d', 0);
  let ps;
  if (kind === 'Semaphore') {
    const a = mp.Semaphore(0), b = mp.Semaphore(0);
    ps = [ctx.Process({ target: semPing, args: [a, b, ROUNDS, useAsync, go, out] }), ctx.Process({ target: semPong, args: [b, a, ROUNDS, useAsync, go, null] })];
  } else {
    const cond = mp.Condition();
    const turn = mp.Value('i', 0, { lock: false });
    ps = [0, 1].map((me) => ctx.Process({ target: condTurn, args: [cond, turn, me, ROUNDS, useAsync, go, me === 0 ? out : null] }));
  }
  for (const p of ps) p.start();
  await new Promise((r) => setTimeout(r, 200));
  go.set();
  for (const p of ps) await p.join();
  return ROUNDS / (out.value / 1000);
}
for (const kind of ['Condition', 'Semaphore']) {
  for (const useAsync of [false, true]) {
    row(`${kind} ping-pong round trips/s, 2 processes, ${useAsync ? 'async' : 'sync'} form`, {
      unit: 'trips/s',
      rounds: 3,
      ours: () => pingPong(kind, useAsync),
      peers: { [`CPython ${kind} (fork)`]: () => python(['pingpong', kind, ROUNDS]).per_sec },
      bar: useAsync ? undefined : { [`CPython ${kind} (fork)`]: 'ratio >= 1.2' },
    });
  }
}

const readsLoop = (expr) => new Function('a', 'n', `
  const t = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += ${expr};
  if (sum === -1) console.log(sum);
  return n / ((performance.now() - t) / 1000);`);
const raw = mp.RawArray('i', 10);
const synced = mp.Array('i', 10);
row('RawArray reads/s (a[5])', {
  unit: 'reads/s',
  ours: ((loop) => () => loop(raw, READS))(readsLoop('a.get(5)')),
  peers: { 'CPython RawArray': () => python(['reads', 'raw', 5_000_000]).per_sec },
  bar: { 'CPython RawArray': 'ratio >= 10' },
});
row('RawArray reads/s through .view', {
  unit: 'reads/s',
  ours: ((loop) => () => loop(raw.view, READS))(readsLoop('a[5]')),
  peers: { 'CPython RawArray': () => python(['reads', 'raw', 5_000_000]).per_sec },
});
row('Array reads/s, lock taken per access', {
  unit: 'reads/s',
  ours: ((loop) => () => loop(synced, READS))(readsLoop('a.get(5)')),
  peers: { 'CPython Array (synchronized)': () => python(['reads', 'synced', 2_000_000]).per_sec },
  bar: { 'CPython Array (synchronized)': 'ratio >= 10' },
});

// Records (issue 10): one field of an element of a RawArray of Point records, as CPython's
// A[i % 1000].x over a RawArray of a ctypes Structure.
const Point = mp.Struct({ x: 'd', y: 'd' }, { name: 'Point' });
const points = mp.RawArray(Point, Array.from({ length: 1000 }, (_, i) => [i, -i]));
row('RawArray of Point records reads/s (A.get(i % 1000).x)', {
  unit: 'reads/s',
  ours: ((loop) => () => loop(points, READS))(readsLoop('a.get(i % 1000).x')),
  peers: { 'CPython RawArray of Point (A[i % 1000].x)': () => python(['recordreads', 2_000_000]).per_sec },
  bar: { 'CPython RawArray of Point (A[i % 1000].x)': 'ratio >= 10' },
});
