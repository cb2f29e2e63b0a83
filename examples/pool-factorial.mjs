// "What's new in Python 2.6" (seed 000): Pool(5).map of a factorial over range(1, 1000, 10),
// exact (BigInt).   node examples/pool-factorial.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function factorial(N) {
  let fact = 1n;
  for (let i = 1n; i <= BigInt(N); i++) fact *= i;
  return fact;
}

if (mp.isMainProcess()) {
  const p = new mp.Pool({ processes: 5, context: process.argv[2] ?? null });
  const range = Array.from({ length: 100 }, (_, i) => 1 + 10 * i); // range(1, 1000, 10)
  const result = await p.map(factorial, range);
  for (const v of result) console.log(String(v));
  p.close();
  await p.join();
}
