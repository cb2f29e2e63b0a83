// Who holds a managed lock or semaphore permit, so that a client that dies holding one gives it
// back (CPython's manager leaves it held for ever). A family member acquires a managed Lock in
// shared memory itself, without asking the server; it records itself in the object's owner
// table (a few [thread id, count] slots beside the lock), and the server, when it finds that
// client gone, releases what the table says it held. A remote (socket) client's acquires run in
// the server, which records them under the client's negative id the same way.
// The window between a successful acquire and its record (a few instructions) is the one place
// a kill still leaks the lock.
import { RawArray } from '../shared/array.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { Semaphore } from '../sync/semaphore.js';
import { Condition } from '../sync/condition.js';
import { freeRLock } from './remote-locks.js';

const SLOTS = 8;

export class Owners {
  readonly words: RawArray<'i'>;
  readonly #v: Int32Array;
  constructor(words?: RawArray<'i'>) {
    this.words = words ?? new RawArray('i', SLOTS * 2);
    this.#v = this.words.view as Int32Array;
  }
  /** Adds delta to who's count (a full table records nothing: that client's holds are not tracked). */
  add(who: number, delta: number): void {
    const v = this.#v;
    for (let i = 0; i < SLOTS; i++) {
      if (Atomics.load(v, 2 * i) !== who) continue;
      const left = Atomics.add(v, 2 * i + 1, delta) + delta;
      if (left <= 0) {
        Atomics.store(v, 2 * i + 1, 0);
        Atomics.store(v, 2 * i, 0);
      }
      return;
    }
    if (delta <= 0) return;
    for (let i = 0; i < SLOTS; i++) {
      if (Atomics.compareExchange(v, 2 * i, 0, who) === 0) {
        Atomics.store(v, 2 * i + 1, delta);
        return;
      }
    }
  }
  count(who: number): number {
    const v = this.#v;
    for (let i = 0; i < SLOTS; i++) if (Atomics.load(v, 2 * i) === who) return Atomics.load(v, 2 * i + 1);
    return 0;
  }
  /** Forgets who; returns what it held. */
  take(who: number): number {
    const n = this.count(who);
    if (n > 0) this.add(who, -n);
    return n;
  }
}

type Words = { i32: Int32Array; base: number };

/**
 * Gives back what `who` (a dead or disconnected client) held of this object: every permit of a
 * semaphore it held, a Lock it held (alone or under a Condition), an RLock (alone or under a
 * Condition) whose owner word names it (a family member's thread id, a remote client's number).
 */
export function giveBack(obj: object, owners: Owners | undefined, who: number, lock?: object): number {
  const n = owners ? owners.take(who) : 0;
  try {
    if (obj instanceof Semaphore) {
      for (let i = 0; i < n; i++) obj.release();
      return n;
    }
    const inner = obj instanceof Condition ? lock : obj;
    if (inner instanceof Lock) {
      if (n > 0 && Atomics.load((inner as unknown as Words).i32, (inner as unknown as Words).base) !== 0) inner.release();
      return n;
    }
    if (inner instanceof RLock && freeRLock(inner, who)) return Math.max(n, 1);
  } catch {
    // already released by someone else: nothing left to give back
  }
  return n;
}
