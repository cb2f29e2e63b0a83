// PyMOTW "Controlling Concurrent Access to Resources" (seed 001): a Semaphore(3) lets at most
// three of ten workers run at once; ActivePool shows who is running. The original kept the
// names in a Manager list; here they are flags in a shared Array guarded by a Lock.
//   node examples/semaphore-pool.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export class ActivePool {
  constructor(size) {
    this.active = mp.Array('b', size, { lock: false });
    this.lock = mp.Lock();
  }
  makeActive(name) {
    this.lock.withSync(() => this.active.set(Number(name), 1));
  }
  makeInactive(name) {
    this.lock.withSync(() => this.active.set(Number(name), 0));
  }
  toString() {
    return this.lock.withSync(() => JSON.stringify(this.active.slice().flatMap((on, i) => (on ? [String(i)] : []))));
  }
}
mp.registerClass(ActivePool);

export async function worker(s, pool) {
  const name = mp.currentProcess().name;
  await s.with(async () => {
    pool.makeActive(name);
    console.log(`Now running: ${pool}`);
    await new Promise((r) => setTimeout(r, Math.random() * 100));
    pool.makeInactive(name);
  });
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const pool = new ActivePool(10);
  const s = mp.Semaphore(3);
  const jobs = Array.from({ length: 10 }, (_, i) => ctx.Process({ target: worker, name: String(i), args: [s, pool] }));
  for (const j of jobs) j.start();
  for (const j of jobs) await j.join();
  console.log(`Now running: ${pool}`);
}
