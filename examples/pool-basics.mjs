// The multiprocessing guide (seed 002): applyAsync with get({ timeout }), map, imap with
// next(timeout), and a result that times out.   node examples/pool-basics.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function f(x) {
  return x * x;
}
export function sleep(seconds) {
  return new Promise((r) => setTimeout(r, seconds * 1000));
}

if (mp.isMainProcess()) {
  // Python's `with Pool(4) as pool:` (TypeScript/newer Node: `await using pool = ...`).
  const pool = new mp.Pool({ processes: 4, context: process.argv[2] ?? null }); // start 4 worker processes
  try {
  const result = pool.applyAsync(f, [10]); // evaluate "f(10)" asynchronously
  console.log(await result.get(1000)); // prints "100" unless your computer is *very* slow
  console.log(await pool.map(f, Array.from({ length: 10 }, (_, i) => i))); // prints "[0, 1, 4,..., 81]"

  const it = pool.imap(f, Array.from({ length: 10 }, (_, i) => i));
  console.log((await it.next()).value); // prints "0"
  console.log((await it.next()).value); // prints "1"
  console.log((await it.next(1000)).value); // prints "4" unless your computer is *very* slow

  const slow = pool.applyAsync(sleep, [10]);
  try {
    console.log(await slow.get(1000)); // raises TimeoutError
  } catch (e) {
    console.log(`${e.name}: ${e.message}`);
  }
  } finally {
    await pool[Symbol.asyncDispose](); // terminates, as Python's with-block does
  }
}
