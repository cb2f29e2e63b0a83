// The core's way to wait: a blocking algorithm is written once, as a generator that yields
// "sleep while word == expected" and receives the wait's result (re-checking its condition
// after every wake-up), and one of two drivers runs it: synchronously (futex wait on this
// thread) or asynchronously (the core's async wait, the event loop stays free), with an
// AbortSignal if the caller gave one. Rings, sync primitives, queues and pools all stand on
// these drivers; fast paths (an uncontended acquire) never enter a generator.
import { NOT_EQUAL, TIMED_OUT, WOKEN, type Core, type WaitResult } from './core.js';
import { deadlineOf, remaining } from '../util/options.js';

export { NOT_EQUAL, TIMED_OUT };

/**
 * One sleep request: while i32[index] === expected, until deadline (-1 forever). With `spin`,
 * the waiter only watches the word for a few microseconds without sleeping (answered NOT_EQUAL
 * if it changed, TIMED_OUT if not): a peer on another core usually answers within that time,
 * and then neither side makes a system call (measured: 4x the round trips/s of sleeping at
 * once, sync and async alike).
 */
export interface Sleep {
  index: number;
  expected: number;
  deadline: number;
  spin?: boolean;
  /** Spin 16 times longer: the peer is in the middle of a transfer and answers within ~0.1 ms. */
  long?: boolean;
  /** An abort does not cut this sleep short (its deadline is only a time to look around). */
  firm?: boolean;
}

/** Spin iterations before sleeping (MPTS_SPIN overrides; 0 disables). */
const SPIN = Number.isInteger(Number(process.env.MPTS_SPIN)) && process.env.MPTS_SPIN !== '' && process.env.MPTS_SPIN !== undefined ? Number(process.env.MPTS_SPIN) : 4000;

function spinWhile(i32: Int32Array, s: Sleep): WaitResult {
  const { index, expected } = s;
  for (let i = 0, n = s.long ? SPIN * 16 : SPIN; i < n; i++) if (Atomics.load(i32, index) !== expected) return NOT_EQUAL;
  return TIMED_OUT;
}
/** A step that hands a Promise (a user callback's) to the driver: awaited by runAsync. */
export class Settle {
  constructor(readonly promise: PromiseLike<unknown>, readonly syncError: string) {}
}
export type Steps<T> = Generator<Sleep, T, WaitResult>;
export type StepsWithSettle<T> = Generator<Sleep | Settle, T, WaitResult>;

export function runSync<T>(c: Core, steps: StepsWithSettle<T>): T {
  // (A sync run inside an async one's step, such as a queue writing what fits now, is not
  // the call that was aborted.)
  const outer = active;
  active = null;
  try {
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s instanceof Settle) r = steps.throw(new TypeError(s.syncError));
      else if (s.spin) r = steps.next(spinWhile(c.i32, s));
      else r = steps.next(c.wait(s.index, s.expected, remaining(s.deadline)));
    }
    return r.value;
  } finally {
    active = outer;
  }
}

/**
 * A deadline for a wait that must finish whatever happens (re-acquiring a Condition's lock
 * after its wait, the rest of a message already begun): an abort does not end it.
 */
export const UNINTERRUPTIBLE = -2;

export interface RunOptions {
  /** The sleeps do not keep the event loop alive (a background listener's). */
  weak?: boolean;
  /** Aborting ends the call: the algorithm takes its timeout path, and the call rejects with the signal's reason. */
  signal?: AbortSignal | null;
}

/**
 * The run whose step is executing now (steps run synchronously between two sleeps, so one
 * slot is enough): expired() asks it whether its signal has aborted. An algorithm therefore
 * needs no code of its own for cancellation: an abort is a deadline that has passed, and every
 * algorithm already leaves the object as it was when its deadline passes.
 */
let active: { signal: AbortSignal; observed: boolean } | null = null;

export async function runAsync<T>(c: Core, steps: StepsWithSettle<T>, options?: RunOptions): Promise<T> {
  const weak = options?.weak ?? false;
  const signal = options?.signal;
  if (!signal) {
    let r = steps.next();
    while (!r.done) {
      const s = r.value;
      if (s instanceof Settle) {
        try {
          await s.promise;
        } catch (e) {
          r = steps.throw(e);
          continue;
        }
        r = steps.next(WOKEN);
      } else if (s.spin) r = steps.next(spinWhile(c.i32, s));
      else r = steps.next(await c.waitAsync(s.index, s.expected, remaining(s.deadline), weak));
    }
    return r.value;
  }
  return runAbortable(c, steps, weak, signal);
}

const firm = (s: Sleep) => s.firm === true || s.deadline === UNINTERRUPTIBLE;

/**
 * runAsync with a signal. An abort takes effect at once, inside the abort event: the sleeping
 * algorithm is resumed as if its deadline had passed, so whatever it held (a ring's read lock,
 * a place among a lock's sleepers) is given back before abort() returns. The abandoned wait is
 * then settled at once (cancelWaits: a wake-up could miss a wait not yet in the kernel's set,
 * which would then keep the process alive), and the word is woken for everyone, in case the
 * abandoned wait had taken a wake-up meant for one sleeper (every sleeper re-checks its
 * condition, so the spurious wake-up of others is harmless).
 */
function runAbortable<T>(c: Core, steps: StepsWithSettle<T>, weak: boolean, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const run = { signal, observed: false };
    let sleeping: Sleep | null = null;
    let turn = 0;
    const finish = (ok: boolean, v: unknown) => {
      signal.removeEventListener('abort', onAbort);
      if (ok) resolve(v as T);
      else reject(v);
    };
    const advance = (input: () => IteratorResult<Sleep | Settle, T>) => {
      let r: IteratorResult<Sleep | Settle, T>;
      const stepOnce = (f: () => IteratorResult<Sleep | Settle, T>): boolean => {
        const outer = active;
        active = run;
        try {
          r = f();
          return true;
        } catch (e) {
          finish(false, run.observed ? signal.reason : e);
          return false;
        } finally {
          active = outer;
        }
      };
      if (!stepOnce(input)) return;
      for (;;) {
        if (r!.done) return finish(!run.observed, run.observed ? signal.reason : r!.value);
        const s = r!.value;
        if (s instanceof Settle) {
          s.promise.then(() => advance(() => steps.next(WOKEN)), (e: unknown) => advance(() => steps.throw(e)));
          return;
        }
        if (s.spin) {
          if (!stepOnce(() => steps.next(spinWhile(c.i32, s)))) return;
          continue;
        }
        if (signal.aborted && !firm(s)) {
          if (!stepOnce(() => steps.next(TIMED_OUT))) return;
          continue;
        }
        const mine = ++turn;
        sleeping = s;
        void c.waitAsync(s.index, s.expected, remaining(s.deadline), weak).then((v) => {
          if (turn !== mine) return; // abandoned by an abort
          sleeping = null;
          advance(() => steps.next(v));
        });
        return;
      }
    };
    const onAbort = () => {
      const s = sleeping;
      if (s === null || firm(s)) return; // the driver sees the abort at its next sleep
      sleeping = null;
      turn++;
      advance(() => steps.next(TIMED_OUT));
      c.cancelWaits(s.index);
      c.wake(s.index, 0x7fffffff);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    advance(() => steps.next());
  });
}

/**
 * True once a deadline from deadlineOf() has passed (never for -1), or once the signal of the
 * call being run has aborted (never for UNINTERRUPTIBLE).
 */
export function expired(deadline: number): boolean {
  if (deadline === UNINTERRUPTIBLE) return false;
  if (active !== null && active.signal.aborted) {
    active.observed = true;
    return true;
  }
  return deadline >= 0 && remaining(deadline) === 0;
}
/** The call being run was aborted (for an algorithm whose abort differs from its timeout). */
export function abortRequested(): boolean {
  return active !== null && active.signal.aborted;
}
export { deadlineOf };

