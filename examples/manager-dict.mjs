// Seed 001 (PyMOTW, "Managing Shared State"): ten processes each store a value in a Manager
// dict; the parent prints it. Python prints the dict in insertion order (the order the
// processes happened to run); so does ours, so the lines are compared sorted.
//   node examples/manager-dict.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function worker(d, key, value) {
  await d.set(key, value);
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const mgr = await ctx.Manager();
  const d = await mgr.dict();
  const jobs = Array.from({ length: 10 }, (_, i) => ctx.Process({ target: worker, args: [d, i, i * 2] }));
  for (const j of jobs) j.start();
  for (const j of jobs) await j.join();
  const sorted = await mgr.dict((await d.items()).sort(([a], [b]) => a - b));
  console.log('Results:', await sorted.repr());
  await mgr.shutdown();
}
