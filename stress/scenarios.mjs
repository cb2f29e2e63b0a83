// Contention scenarios for the sync primitives, each a whole run between the parent and
// children of one start method. Every wait has a timeout: a lost wake-up shows as a
// TimeoutError naming the scenario, a race as a wrong count. `npm run stress` repeats them
// many times; `npm test` runs each once, small.
import * as mp from 'multiprocessing-ts';

const LIMIT = 20_000; // ms any single wait may take before it counts as a lost wake-up

function lost(what) {
  throw new mp.TimeoutError(`lost wake-up: ${what} waited ${LIMIT} ms`);
}
async function startAll(ctx, specs) {
  const ps = specs.map(([target, args]) => ctx.Process({ target, args }));
  for (const p of ps) p.start();
  return ps;
}
async function joinAll(ps, name) {
  for (const p of ps) {
    await p.join(LIMIT * 3);
    if (p.exitcode !== 0) throw new Error(`${name}: ${p.name} ended with exit code ${p.exitcode}`);
  }
}
const check = (ok, message) => {
  if (!ok) throw new Error(message);
};

// ---- lock counter: a non-atomic read-modify-write under a Lock, sync and async holders
export async function lockCounterChild(lock, counter, n, useAsync) {
  for (let i = 0; i < n; i++) {
    if (useAsync) {
      if (!(await lock.acquire({ timeout: LIMIT }))) lost('Lock.acquire');
    } else if (!lock.acquireSync({ timeout: LIMIT })) lost('Lock.acquireSync');
    counter.view[0] = counter.view[0] + 1;
    lock.release();
  }
}
async function lockCounter(ctx, n) {
  const lock = mp.Lock(), counter = mp.RawArray('i', 1);
  const ps = await startAll(ctx, [[lockCounterChild, [lock, counter, n, false]], [lockCounterChild, [lock, counter, n, true]]]);
  await lockCounterChild(lock, counter, n, true);
  await joinAll(ps, 'lock counter');
  check(counter.view[0] === 3 * n, `lock counter: ${counter.view[0]} !== ${3 * n}`);
}

// ---- semaphore ping-pong: each side gives the other a turn, sync on one side, async on the other
export async function pongChild(mine, theirs, rounds, useAsync) {
  for (let i = 0; i < rounds; i++) {
    const ok = useAsync ? await mine.acquire({ timeout: LIMIT }) : mine.acquireSync({ timeout: LIMIT });
    if (!ok) lost(`Semaphore ping-pong round ${i}`);
    theirs.release();
  }
}
async function semaphorePingPong(ctx, rounds) {
  const a = mp.Semaphore(0), b = mp.Semaphore(0), c = mp.Semaphore(0);
  // a ring of three: parent -> child 1 -> child 2 -> parent
  const ps = await startAll(ctx, [[pongChild, [a, b, rounds, false]], [pongChild, [b, c, rounds, true]]]);
  for (let i = 0; i < rounds; i++) {
    a.release();
    if (!(await c.acquire({ timeout: LIMIT }))) lost(`Semaphore ring round ${i}`);
  }
  await joinAll(ps, 'semaphore ping-pong');
  check(a.getValue() + b.getValue() + c.getValue() === 0, 'semaphore ping-pong: values left over');
}

// ---- condition producer/consumer over a bounded ring buffer
export async function producer(cond, ring, state, items, base, useAsync) {
  for (let i = 0; i < items; i++) {
    if (useAsync) await cond.acquire();
    else cond.acquireSync();
    while (state.view[0] === ring.length) {
      const ok = useAsync ? await cond.wait(LIMIT) : cond.waitSync(LIMIT);
      if (!ok && state.view[0] === ring.length) lost('producer Condition.wait');
    }
    ring.view[(state.view[1] + state.view[0]) % ring.length] = base + i;
    state.view[0]++;
    cond.notifyAll();
    cond.release();
  }
}
export async function consumer(cond, ring, state, items, sums, slot, useAsync) {
  for (let i = 0; i < items; i++) {
    if (useAsync) await cond.acquire();
    else cond.acquireSync();
    while (state.view[0] === 0) {
      const ok = useAsync ? await cond.wait(LIMIT) : cond.waitSync(LIMIT);
      if (!ok && state.view[0] === 0) lost('consumer Condition.wait');
    }
    sums.view[slot] += ring.view[state.view[1]];
    state.view[1] = (state.view[1] + 1) % ring.length;
    state.view[0]--;
    cond.notifyAll();
    cond.release();
  }
}
async function conditionProducerConsumer(ctx, items) {
  // The parent runs a producer and a consumer as two async tasks of one thread. An RLock (a
  // Condition's default lock) is owned by a thread, so it would let both in at once: a plain
  // Lock excludes them. (Found when spares booting beside the children changed the timing.)
  const cond = mp.Condition(mp.Lock()), ring = mp.RawArray('d', 4), state = mp.RawArray('i', 2), sums = mp.RawArray('d', 2);
  const ps = await startAll(ctx, [[producer, [cond, ring, state, items, 0, false]], [consumer, [cond, ring, state, items, sums, 0, true]]]);
  await Promise.all([producer(cond, ring, state, items, items, true), consumer(cond, ring, state, items, sums, 1, true)]);
  await joinAll(ps, 'condition producer/consumer');
  const total = sums.view[0] + sums.view[1], expected = ((2 * items) * (2 * items - 1)) / 2;
  check(total === expected, `condition producer/consumer: sum ${total} !== ${expected}`);
}

// ---- condition turns: two sides hand a turn back and forth with notify() (one waiter each time)
export async function turnChild(cond, turn, me, rounds, useAsync) {
  if (useAsync) await cond.acquire();
  else cond.acquireSync();
  for (let i = 0; i < rounds; i++) {
    while (turn.value !== me) {
      const ok = useAsync ? await cond.wait(LIMIT) : cond.waitSync(LIMIT);
      if (!ok && turn.value !== me) lost(`Condition turn ${i}`);
    }
    turn.value = 1 - me;
    cond.notify();
  }
  cond.release();
}
async function conditionTurns(ctx, rounds) {
  const cond = mp.Condition(), turn = mp.Value('i', 0, { lock: false });
  const ps = await startAll(ctx, [[turnChild, [cond, turn, 0, rounds, false]], [turnChild, [cond, turn, 1, rounds, true]]]);
  await joinAll(ps, 'condition turns');
}

// ---- barrier rounds: three parties, the action once per round
export async function barrierChild(barrier, rounds, useAsync) {
  for (let i = 0; i < rounds; i++) {
    if (useAsync) await barrier.wait(LIMIT);
    else barrier.waitSync(LIMIT);
  }
}
let actions = 0;
export function countAction() {
  actions++;
}
async function barrierRounds(ctx, rounds) {
  const barrier = mp.Barrier(3, null, LIMIT), seen = mp.RawArray('i', 1);
  const ps = await startAll(ctx, [[barrierChild, [barrier, rounds, false]], [barrierChild, [barrier, rounds, true]]]);
  for (let i = 0; i < rounds; i++) {
    await barrier.wait();
    seen.view[0]++;
  }
  await joinAll(ps, 'barrier rounds');
  check(!barrier.broken && seen.view[0] === rounds, `barrier rounds: ${seen.view[0]} of ${rounds}, broken=${barrier.broken}`);
  const local = mp.Barrier(1, countAction);
  actions = 0;
  for (let i = 0; i < rounds; i++) local.waitSync();
  check(actions === rounds, `barrier action ran ${actions} times for ${rounds} rounds`);
}

// ---- event storms: many waiters (sync and async) released together, round after round
export async function stormChild(events, done, rounds, waiters) {
  for (let r = 0; r < rounds; r++) {
    const ev = events[r % 2];
    const all = await Promise.all(Array.from({ length: waiters }, () => ev.wait(LIMIT)));
    if (!all.every(Boolean) || !ev.waitSync(LIMIT)) lost(`Event round ${r}`);
    done.release();
  }
}
async function eventStorms(ctx, rounds) {
  const events = [mp.Event(), mp.Event()], done = mp.Semaphore(0);
  const ps = await startAll(ctx, [[stormChild, [events, done, rounds, 50]], [stormChild, [events, done, rounds, 50]]]);
  for (let r = 0; r < rounds; r++) {
    events[(r + 1) % 2].clear();
    events[r % 2].set();
    for (let k = 0; k < 2; k++) if (!(await done.acquire({ timeout: LIMIT }))) lost(`Event storm round ${r} (parent)`);
  }
  await joinAll(ps, 'event storms');
}

/** name -> (ctx, scale) => Promise; scale 1 is the `npm test` size. */
export const scenarios = {
  'lock counter': (ctx, s) => lockCounter(ctx, 2_000 * s),
  'semaphore ping-pong': (ctx, s) => semaphorePingPong(ctx, 2_000 * s),
  'condition producer/consumer': (ctx, s) => conditionProducerConsumer(ctx, 1_000 * s),
  'condition turns': (ctx, s) => conditionTurns(ctx, 2_000 * s),
  'barrier rounds': (ctx, s) => barrierRounds(ctx, 200 * s),
  'event storms': (ctx, s) => eventStorms(ctx, 100 * s),
};
