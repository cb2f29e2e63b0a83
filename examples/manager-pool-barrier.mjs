// Python's manager extras side by side: manager.Pool() (a Pool living in the manager's server),
// Condition(lock) over a managed Lock, and a Barrier with an action. Python's counterpart prints
// the same lines (see test/examples-managers.test.mjs).
//   node examples/manager-pool-barrier.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function square(x) {
  return x * x;
}
export function tripped() {
  console.log('all three arrived');
}
export async function producer(cond, data) {
  await cond.with(async () => {
    await data.append('made by the child');
    await cond.notifyAll();
  });
}
export async function party(barrier, out, name) {
  await out.append([name, (await barrier.wait()) >= 0]);
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const m = await ctx.Manager();
  const pool = await m.Pool(2);
  console.log(`[${(await pool.map(square, [0, 1, 2, 3, 4, 5])).join(', ')}]`);
  console.log(await pool.apply(square, [7]));
  await pool.close();
  await pool.join();

  const cond = await m.Condition(await m.Lock());
  const data = await m.list();
  let p;
  await cond.with(async () => {
    p = ctx.Process({ target: producer, args: [cond, data] });
    p.start();
    while ((await data.length()) === 0) await cond.wait();
    console.log(await data.get(0));
  });
  await p.join();

  const barrier = await m.Barrier(3, tripped);
  const out = await m.list();
  const ps = [0, 1].map((i) => ctx.Process({ target: party, args: [barrier, out, `child ${i}`] }));
  for (const q of ps) q.start();
  await out.append(['parent', (await barrier.wait()) >= 0]);
  for (const q of ps) await q.join();
  const rows = (await out.toArray()).sort().map(([n, ok]) => `('${n}', ${ok ? 'True' : 'False'})`);
  console.log(`[${rows.join(', ')}]`);
  await m.shutdown();
}
