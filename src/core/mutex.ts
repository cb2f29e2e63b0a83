// The three-state mutex (Drepper's: 0 free, 1 held, 2 held and someone may sleep) on one word
// of the arena: Lock is one, and a ring's read and write locks are two more. An uncontended
// acquire+release is two atomic operations and no system call.
import type { Core } from './core.js';
import { expired, NOT_EQUAL, type Steps } from './steps.js';

/** The sleeping path of a three-state mutex at i32[index]. */
export function* mutexSteps(i32: Int32Array, index: number, deadline: number): Steps<boolean> {
  // Watch the holder for a moment without announcing ourselves (so its release makes no call).
  const seen = Atomics.load(i32, index);
  if (seen !== 0 && (yield { index, expected: seen, deadline, spin: true }) === NOT_EQUAL && Atomics.compareExchange(i32, index, 0, 1) === 0) return true;
  for (;;) {
    if (Atomics.exchange(i32, index, 2) === 0) return true;
    if (expired(deadline)) return false;
    yield { index, expected: 2, deadline };
  }
}

/** Frees a three-state mutex; false if it was not held. */
export function mutexRelease(c: Core, index: number): boolean {
  const prev = Atomics.exchange(c.i32, index, 0);
  if (prev === 2) c.wake(index, 1);
  return prev !== 0;
}
