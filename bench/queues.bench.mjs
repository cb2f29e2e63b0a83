// Issue rows for pipes and queues (seed 004's first table): 256-byte strings per second from a
// child to its parent through Queue, SimpleQueue and Pipe, and MiB/s of 1 MiB buffers through
// Pipe and Queue, under both start methods, beside CPython doing the same (fork).
import * as mp from 'multiprocessing-ts';
import { produce } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const OBJECTS = 200_000;
const MIB_COUNT = 400;

/** Figure: messages (or MiB) per second, timed in the parent from the first message to the last. */
async function transfer(method, kind, n, bytes, unawaited = false) {
  const ctx = mp.getContext(method);
  let recv, chan;
  if (kind === 'pipe') {
    const [r, w] = mp.Pipe(false);
    chan = w;
    recv = bytes ? () => r.recvBytesSync() : () => r.recvSync();
  } else {
    const q = kind === 'queue' ? mp.Queue() : mp.SimpleQueue();
    chan = q;
    recv = () => q.getSync();
  }
  const p = ctx.Process({ target: produce, args: [kind, chan, n, bytes, unawaited] });
  p.start();
  recv();
  const t = performance.now();
  for (let i = 1; i < n; i++) recv();
  const secs = (performance.now() - t) / 1000;
  await p.join();
  return bytes ? ((n - 1) * bytes) / 2 ** 20 / secs : (n - 1) / secs;
}

const cpythonName = { queue: 'Queue', simple: 'SimpleQueue', pipe: 'Pipe' };
for (const method of ['thread', 'process']) {
  for (const kind of ['queue', 'simple', 'pipe']) {
    row(`256-byte strings/s child->parent, ${cpythonName[kind]}, ${method}`, {
      unit: 'objs/s',
      rounds: 3,
      ours: () => transfer(method, kind, OBJECTS, 0),
      peers: { [`CPython ${cpythonName[kind]} (fork)`]: () => python(['transfer', kind, OBJECTS, 0]).per_sec },
      bar: { [`CPython ${cpythonName[kind]} (fork)`]: 'ratio >= 5' },
    });
  }
  // The same rows with the producer's sends not awaited (send / put in a loop, no await).
  for (const kind of ['simple', 'pipe']) {
    row(`256-byte strings/s child->parent, ${cpythonName[kind]}, ${method}, sends not awaited`, {
      unit: 'objs/s',
      rounds: 3,
      ours: () => transfer(method, kind, OBJECTS, 0, true),
      peers: { [`CPython ${cpythonName[kind]} (fork)`]: () => python(['transfer', kind, OBJECTS, 0]).per_sec },
      bar: { [`CPython ${cpythonName[kind]} (fork)`]: 'ratio >= 5' },
    });
  }
  row(`1 MiB buffers child->parent MiB/s, Pipe, ${method}, sends not awaited`, {
    unit: 'MiB/s',
    rounds: 3,
    ours: () => transfer(method, 'pipe', MIB_COUNT, 1 << 20, true),
    peers: { 'CPython Pipe (fork)': () => python(['transfer', 'pipe', MIB_COUNT, 1 << 20]).per_sec },
    bar: { 'CPython Pipe (fork)': 'ratio >= 1.5' },
  });
  for (const kind of ['pipe', 'queue']) {
    row(`1 MiB buffers child->parent MiB/s, ${cpythonName[kind]}, ${method}`, {
      unit: 'MiB/s',
      rounds: 3,
      ours: () => transfer(method, kind, MIB_COUNT, 1 << 20),
      peers: { [`CPython ${cpythonName[kind]} (fork)`]: () => python(['transfer', kind, MIB_COUNT, 1 << 20]).per_sec },
      bar: { [`CPython ${cpythonName[kind]} (fork)`]: 'ratio >= 1.5' },
    });
  }
}
