// PyMOTW "Controlling Access to Resources" (seed 001): the scoped form of a lock and the
// explicit acquire/release.   node examples/lock-with.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function workerWith(lock) {
  lock.withSync(() => {
    console.log('Lock acquired via with');
  });
}

export async function workerNoWith(lock) {
  await lock.acquire();
  try {
    console.log('Lock acquired directly');
  } finally {
    lock.release();
  }
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const lock = mp.Lock();
  const w = ctx.Process({ target: workerWith, args: [lock] });
  const nw = ctx.Process({ target: workerNoWith, args: [lock] });
  w.start();
  nw.start();
  await w.join();
  await nw.join();
}
