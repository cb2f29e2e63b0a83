// What Value and Array share: their options (`lock`: true for a new RLock, false for none, or a
// given Lock/RLock; every other name is refused), and the types that tie a typecode or a Struct
// to what reads return and writes accept.
import type { Lock } from '../sync/lock.js';
import { Lock as LockClass } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { describe } from '../util/options.js';
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

/**
 * Refuses an options object with a name this call does not know (Python raises on an unknown
 * keyword), naming the option meant when there is one. Kept local until the package-wide
 * checker lands in util/options.ts.
 */
export function checkOptionNames(options: unknown, known: readonly string[], what: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object { ${known.join(', ')} }, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const meant = known.find((k) => distance(k, name.toLowerCase()) <= 2 || name.toLowerCase().startsWith(k));
    throw new TypeError(`${what}: unknown option '${name}'${meant ? `; did you mean '${meant}'?` : ''} (options: ${known.join(', ')})`);
  }
}

/** Levenshtein distance, to name the option (or field) meant by a misspelt one. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The lock a Value/Array is guarded by, null for `lock: false`; options are checked first. */
export function lockOption(options: SharedOptions | undefined, what: string): GuardLock | null {
  checkOptionNames(options, ['lock'], what);
  const lock = options?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof LockClass || lock instanceof RLock) return lock;
  throw new TypeError(`${what}: option lock must be true, false, a Lock or an RLock, got ${(lock as object)?.constructor?.name ?? typeof lock}`);
}
