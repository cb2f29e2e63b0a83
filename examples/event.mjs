// PyMOTW "Signaling between Processes" (seed 001): one child waits for the event, one gives up
// after a timeout.   node examples/event.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function waitForEvent(e) {
  console.log('wait_for_event: starting');
  await e.wait();
  console.log('wait_for_event: e.isSet()->', e.isSet());
}

export async function waitForEventTimeout(e, t) {
  console.log('wait_for_event_timeout: starting');
  await e.wait(t);
  console.log('wait_for_event_timeout: e.isSet()->', e.isSet());
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const e = mp.Event();
  const w1 = ctx.Process({ name: 'block', target: waitForEvent, args: [e] });
  w1.start();
  const w2 = ctx.Process({ name: 'non-block', target: waitForEventTimeout, args: [e, 200] });
  w2.start();
  console.log('main: waiting before calling Event.set()');
  await w2.join();
  e.set();
  console.log('main: event is set');
  await w1.join();
}
