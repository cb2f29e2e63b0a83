// Seed 004 ("Synchronization between processes"): a lock makes sure only one process prints
// at a time.   node examples/lock-printing.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function f(l, i) {
  l.acquireSync();
  console.log('hello world', i);
  l.release();
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const lock = mp.Lock();
  const ps = Array.from({ length: 10 }, (_, num) => ctx.Process({ target: f, args: [lock, num] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
}
