// Seed 000 (the Manager section of the original announcement): Pool workers compute factorials
// and store them in a Manager dict; the parent prints the dict sorted.
//   node examples/manager-pool-dict.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function factorial(N, dictionary) {
  let fact = 1n;
  for (let i = 1n; i <= BigInt(N); i++) fact *= i;
  await dictionary.set(N, fact); // Python: dictionary[N] = fact
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const p = ctx.Pool(5);
  const mgr = await ctx.Manager();
  const d = await mgr.dict(); // Create shared dictionary
  // Run tasks using the pool
  const results = [];
  for (let N = 1; N < 1000; N += 10) results.push(p.applyAsync(factorial, [N, d]));
  p.close(); // Mark pool as closed -- no more tasks can be added.
  await Promise.all(results);
  await p.join(); // Wait for tasks to exit
  // Output results
  const items = (await d.items()).sort(([a], [b]) => a - b);
  for (const [k, v] of items.slice(0, 6)) console.log(k, String(v));
  console.log(`... ${items.length} entries`);
  await mgr.shutdown();
}
