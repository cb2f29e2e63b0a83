// Issue 14 rows: a managed list's get(5) reads/s, a managed Queue's 256-byte strings from a
// child to its parent, managed Lock acquire+release pairs/s — ours (the family's proxies: pipe
// calls to the server, and shared-memory objects used in place) beside CPython's Manager (a
// socket round trip per call); and the same list reads through a socket (connect()).
import * as mp from 'multiprocessing-ts';
import { managerProduce } from './fixtures.mjs';
import { row, python } from './harness.mjs';

const N = 20_000;
let manager = null;
async function mgr() {
  manager ??= await mp.getContext('process').Manager();
  return manager;
}
export async function closeManagers() {
  await manager?.shutdown();
}

row('managed list get(5) reads/s, family proxy', {
  unit: 'reads/s',
  ours: async () => {
    const l = await (await mgr()).list([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 2000; i++) await l.get(5);
    const t = performance.now();
    for (let i = 0; i < N; i++) await l.get(5);
    return N / ((performance.now() - t) / 1000);
  },
  peers: { 'CPython Manager list l[5]': () => python(['manager', 'listget', N]).per_sec },
  bar: { 'CPython Manager list l[5]': 'ratio >= 5' },
});

row('managed list get(5) reads/s, remote proxy (socket, connect())', {
  unit: 'reads/s',
  ours: async () => {
    const m = await mgr();
    const remote = new mp.SyncManager({ address: m.address, authkey: mp.currentProcess().authkey });
    await remote.connect();
    const l = await remote.list([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const t = performance.now();
    for (let i = 0; i < N / 4; i++) await l.get(5);
    const r = (N / 4) / ((performance.now() - t) / 1000);
    await remote.shutdown();
    return r;
  },
  peers: { 'CPython Manager list l[5]': () => python(['manager', 'listget', N]).per_sec },
});

row('managed Queue 256-byte strings child->parent, process', {
  unit: 'items/s',
  ours: async () => {
    const q = await (await mgr()).Queue();
    const p = mp.getContext('process').Process({ target: managerProduce, args: [q, N] });
    p.start();
    await q.get();
    const t = performance.now();
    for (let i = 1; i < N; i++) await q.get();
    const r = (N - 1) / ((performance.now() - t) / 1000);
    await p.join();
    return r;
  },
  peers: { 'CPython Manager Queue': () => python(['manager', 'queue', N]).per_sec },
  bar: { 'CPython Manager Queue': 'ratio >= 5' },
});

row('managed Lock acquire+release pairs/s, family proxy', {
  unit: 'pairs/s',
  ours: async () => {
    const lock = await (await mgr()).Lock();
    const t = performance.now();
    for (let i = 0; i < N * 10; i++) {
      await lock.acquire();
      await lock.release();
    }
    return (N * 10) / ((performance.now() - t) / 1000);
  },
  peers: { 'CPython Manager Lock': () => python(['manager', 'lock', N]).per_sec },
  bar: { 'CPython Manager Lock': 'ratio >= 5' },
});
