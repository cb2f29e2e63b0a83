// What Value and Array share: the `lock` option (true: a new RLock; false: none; or a given
// Lock/RLock) and the types that tie a typecode to what reads return and writes accept.
import type { Lock } from '../sync/lock.js';
import { Lock as LockClass } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import type { Typecode } from './typecodes.js';

export type GuardLock = Lock | RLock;
export interface SharedOptions {
  /** true (default): a new RLock guards every access; false: none; or the Lock/RLock to use. */
  lock?: boolean | Lock | RLock;
}

type BigCodes = 'l' | 'L' | 'q' | 'Q' | 'BigInt64' | 'BigUint64';
/** What reading a typecode gives: bigint for 64-bit integers, a one-character string for 'c'. */
export type ScalarOf<C extends Typecode> = C extends 'c' ? string : C extends BigCodes ? bigint : number;
/** What writing accepts: numbers are accepted for the 64-bit integer codes too. */
export type Writable<C extends Typecode> = C extends BigCodes ? bigint | number : ScalarOf<C>;

export function lockOption(options: SharedOptions | undefined, what: string): GuardLock | null {
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof LockClass || lock instanceof RLock) return lock;
  throw new TypeError(`${what}: option lock must be true, false, a Lock or an RLock, got ${(lock as object)?.constructor?.name ?? typeof lock}`);
}
