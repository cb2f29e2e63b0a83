// What Value and Array share: their options (`lock`: true for a new RLock, false for none, or a
// given Lock/RLock; every other name is refused), and the types that tie a typecode or a Struct
// to what reads return and writes accept.
import type { Lock } from '../sync/lock.js';
import { Lock as LockClass } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { checkOptions } from '../util/options.js';
import type { Code, Struct, StructInit, StructView } from './struct.js';

export type GuardLock = Lock | RLock;
export interface SharedOptions {
  /** true (default): a new RLock guards every access; false: none (the raw object is returned); or the Lock/RLock to use. */
  lock?: boolean | Lock | RLock;
}

type BigCodes = 'l' | 'L' | 'q' | 'Q' | 'BigInt64' | 'BigUint64';
/** What reading gives: bigint for 64-bit integers, a one-character string for 'c', a view for a Struct. */
export type ScalarOf<C extends Code> = C extends Struct<infer F> ? StructView<F> : C extends 'c' ? string : C extends BigCodes ? bigint : number;
/** What writing accepts: numbers are accepted for the 64-bit integer codes too; a record as an object or a tuple. */
export type Writable<C extends Code> = C extends Struct<infer F> ? StructInit<F> : C extends BigCodes ? bigint | number : ScalarOf<C>;

/** The lock a Value/Array is guarded by, null for `lock: false`; options are checked first. */
export function lockOption(options: SharedOptions | undefined, what: string): GuardLock | null {
  checkOptions(options, ['lock'], what);
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof LockClass || lock instanceof RLock) return lock;
  throw new TypeError(`${what}: option lock must be true, false, a Lock or an RLock, got ${(lock as object)?.constructor?.name ?? typeof lock}`);
}
