// "What's new in Python 2.6" (seed 000): a child computes a factorial and puts it on a Queue.
//   node examples/queue-factorial.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function factorial(queue, N) {
  // If N is a multiple of 4, this function will take much longer.
  if (N % 4 === 0) await new Promise((r) => setTimeout(r, (50 * N) / 4));
  let fact = 1n;
  for (let i = 1n; i <= BigInt(N); i++) fact *= i;
  await queue.put(fact);
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const queue = mp.Queue();
  const N = 5;
  const p = ctx.Process({ target: factorial, args: [queue, N] });
  p.start();
  await p.join();
  const result = await queue.get();
  console.log('Factorial', N, '=', String(result));
}
