// Seed 004 ("Sharing state between processes"): a Value and an Array in shared memory, changed
// by a child.   node examples/shared-values.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function f(n, a) {
  n.value = 3.1415927;
  for (let i = 0; i < a.length; i++) a.set(i, -a.get(i));
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const num = mp.Value('d', 0.0);
  const arr = mp.Array('i', Array.from({ length: 10 }, (_, i) => i));

  const p = ctx.Process({ target: f, args: [num, arr] });
  p.start();
  await p.join();

  console.log(num.value);
  console.log(`[${arr.slice().join(', ')}]`);
}
