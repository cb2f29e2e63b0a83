// PyMOTW "Synchronizing Operations" (seed 001): two stage-2 processes run in parallel, but only
// after stage 1 is done. A shared flag makes the order certain (the original slept and hoped).
//   node examples/condition-stages.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export function stage1(cond, done) {
  const name = mp.currentProcess().name;
  console.log('Starting', name);
  cond.withSync(() => {
    console.log(`${name} done and ready for stage 2`);
    done.value = 1;
    cond.notifyAll();
  });
}

export async function stage2(cond, done) {
  const name = mp.currentProcess().name;
  console.log('Starting', name);
  await cond.with(async () => {
    await cond.waitFor(() => done.value === 1);
    console.log(`${name} running`);
  });
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const condition = mp.Condition();
  const done = mp.Value('b', 0);
  const s1 = ctx.Process({ name: 's1', target: stage1, args: [condition, done] });
  const s2Clients = [1, 2].map((i) => ctx.Process({ name: `stage_2[${i}]`, target: stage2, args: [condition, done] }));
  for (const c of s2Clients) c.start();
  s1.start();
  await s1.join();
  for (const c of s2Clients) await c.join();
}
