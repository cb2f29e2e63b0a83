// What Value and Array share: their options (`lock`: true for a new RLock, false for none, or a
// given Lock/RLock; every other name is refused), and the types that tie a typecode or a Struct
// to what reads return and writes accept.
import type { Lock } from '../sync/lock.js';
import { Lock as LockClass } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';

export type GuardLock = Lock | RLock;
export interface SharedOptions {
  /** true (default): a new RLock guards every access; false: none (the raw object is returned); or the Lock/RLock to use. */
  lock?: boolean | Lock | RLock;
}

// ScalarOf and Writable are declared beside Struct (they and its views refer to each other).
export type { ScalarOf, Writable } from './struct.js';

/** The lock a Value/Array is guarded by, null for `lock: false` (the caller checked the option names). */
export function lockOption(options: SharedOptions | undefined, what: string): GuardLock | null {
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof LockClass || lock instanceof RLock) return lock;
  throw new TypeError(`${what}: option lock must be true, false, a Lock or an RLock, got ${(lock as object)?.constructor?.name ?? typeof lock}`);
}
