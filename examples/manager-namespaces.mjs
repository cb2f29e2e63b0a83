// Seed 001 (PyMOTW, "Shared Namespaces"): a producer sets ns.value and an Event; a consumer reads
// ns.value before the event (AttributeError, printed as Python prints it) and after.
//   node examples/manager-namespaces.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function producer(ns, event) {
  await ns.set('value', 'This is the value');
  await event.set();
}

export async function consumer(ns, event) {
  try {
    const value = await ns.get('value');
    console.log('Before event, consumer got:', value);
  } catch (err) {
    console.log('Before event, consumer got:', err.message);
  }
  await event.wait();
  console.log('After event, consumer got:', await ns.get('value'));
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const mgr = await ctx.Manager();
  const namespace = await mgr.Namespace();
  const event = await mgr.Event();
  const c = ctx.Process({ target: consumer, args: [namespace, event] });
  c.start();
  await c.join(50); // (Python's example relies on the consumer reading first; we make sure)
  const p = ctx.Process({ target: producer, args: [namespace, event] });
  p.start();
  await c.join();
  await p.join();
  await mgr.shutdown();
}
