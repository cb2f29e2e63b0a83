// Who holds a managed lock or semaphore permit, so that a client that dies holding one gives it
// back (CPython's manager leaves it held for ever). A family member acquires a managed Lock in
// shared memory itself, without asking the server; it records itself in the object's owner
// table (a few [thread id, count] slots beside the lock), and the server, when it finds that
// client gone, releases what the table says it held. A remote (socket) client's acquires run in
// the server, which records them under the client's negative id the same way.
// The window between a successful acquire and its record (a few instructions) is the one place
// a kill still leaks the lock.
import { core } from '../core/core.js';
import { RawArray } from '../shared/array.js';
import { Lock } from '../sync/lock.js';
import { mutexRelease } from '../core/mutex.js';
import { RLock } from '../sync/rlock.js';
import { Semaphore } from '../sync/semaphore.js';
import { Condition } from '../sync/condition.js';

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
/** An RLock held by a thread that is gone: free it (its owner can no longer release it). */
function freeRLock(rl: RLock, who: number): boolean {
  const { i32, base } = rl as unknown as Words;
  if (Atomics.load(i32, base + 1) !== who) return false;
  i32[base + 2] = 0;
  i32[base + 1] = 0;
  mutexRelease(core(), base);
  return true;
}

/**
 * Gives back what `who` (a dead or disconnected client) held of this object: every permit of a
 * semaphore, a Lock, an RLock or Condition lock it owned (by its thread id, or by the table).
 */
export function giveBack(obj: object, owners: Owners | undefined, who: number, rlockOf?: RLock): number {
  const n = owners ? owners.take(who) : 0;
  try {
    if (obj instanceof Semaphore) {
      for (let i = 0; i < n; i++) obj.release();
      return n;
    }
    if (obj instanceof Lock) {
      if (n > 0 && Atomics.load((obj as unknown as Words).i32, (obj as unknown as Words).base) !== 0) obj.release();
      return n;
    }
    const rl = obj instanceof RLock ? obj : obj instanceof Condition ? rlockOf : undefined;
    if (rl) {
      if (freeRLock(rl, who)) return Math.max(n, 1);
      // Held through the server on a remote client's behalf: the server's thread owns it.
      for (let i = 0; i < n; i++) rl.release();
    }
  } catch {
    // already released by someone else: nothing left to give back
  }
  return n;
}
