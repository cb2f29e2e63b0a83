// Condition: five words beside its lock (an RLock unless one is given), kept by the futex
// condition-variable algorithm glibc used for years. Every counter changes only while the lock
// is held, so a notify issued while a waiter sleeps is never lost, a waiter that times out
// settles its own account, and notify() itself never waits.
//   total   waiters ever registered        wakeup  notifications issued (<= total)
//   woken   notifications taken            futex   bumped by every notify: the word slept on
//   sleepers  waiters inside the futex wait: notify makes a system call only when there are some
// An aborted wait (signal) leaves as a timed-out one does: re-acquires the lock, settles its account.
import { ValueError } from '../errors.js';
import { deadlineOf, remaining, waitOptions, type WaitOptions } from '../util/options.js';
import { Acquirable, type AcquireOptions } from './acquirable.js';
import { Lock } from './lock.js';
import { RLock } from './rlock.js';
import { Attach, registerPrimitive, type Handle } from './primitive.js';
import { expired, NOT_EQUAL, runAsync, runSync, TIMED_OUT, type Steps } from '../core/steps.js';
import { promised } from '../util/promised.js';

const TOTAL = 0, WAKEUP = 1, WOKEN = 2, FUTEX = 3, SLEEPERS = 4;

type ConditionLock = Lock | RLock;
type ConditionHandle = Handle & { lock: ConditionLock };

export class Condition extends Acquirable {
  static override readonly kind: string = 'sync.Condition';
  readonly #lock: ConditionLock;

  constructor(lock?: ConditionLock | null | Attach<ConditionHandle>) {
    if (lock instanceof Attach) {
      super(lock);
      this.#lock = lock.data.lock;
      return;
    }
    if (lock != null && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(`Condition(lock): expected a Lock or an RLock, got ${(lock as object)?.constructor?.name ?? typeof lock}`);
    }
    super(5);
    this.#lock = lock ?? new RLock();
  }

  protected override sendData(): ConditionHandle {
    return { ...this.handle(), lock: this.#lock };
  }

  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }
  acquireSteps(deadline: number): Steps<boolean> {
    return this.#lock.acquireSteps(deadline);
  }
  override acquireSync(options?: AcquireOptions, timeout?: number | null): boolean {
    return this.#lock.acquireSync(options, timeout);
  }
  override acquire(options?: AcquireOptions, timeout?: number | null): Promise<boolean> {
    return this.#lock.acquire(options, timeout);
  }
  release(): void {
    this.#lock.release();
  }

  /** @internal Condition.wait as steps, for primitives built on a Condition (Barrier). */
  *waitSteps(deadline: number, what: string): Steps<boolean> {
    const lock = this.#lock, i32 = this.i32, b = this.base;
    if (!lock.isMine()) throw new ValueError(`${what}: cannot wait on un-acquired lock (acquire the Condition first)`);
    Atomics.add(i32, b + TOTAL, 1);
    const seq = Atomics.load(i32, b + WAKEUP);
    // Read the futex word while the lock is held: a notify after the release changes it, so
    // the sleep below returns at once instead of missing that notify.
    let expected = Atomics.load(i32, b + FUTEX);
    const saved = lock.releaseAll();
    for (;;) {
      let r = yield { index: b + FUTEX, expected, deadline, spin: true };
      if (r !== NOT_EQUAL) {
        Atomics.add(i32, b + SLEEPERS, 1);
        r = yield { index: b + FUTEX, expected, deadline };
        Atomics.sub(i32, b + SLEEPERS, 1);
      }
      yield* lock.restoreSteps(saved);
      const issued = Atomics.load(i32, b + WAKEUP);
      if (issued !== seq && Atomics.load(i32, b + WOKEN) !== issued) {
        Atomics.add(i32, b + WOKEN, 1);
        return true;
      }
      if (expired(deadline) || r === TIMED_OUT) {
        // Leave as if notified, so that total - wakeup still counts the waiters left.
        Atomics.add(i32, b + WAKEUP, 1);
        Atomics.add(i32, b + WOKEN, 1);
        Atomics.add(i32, b + FUTEX, 1);
        return false;
      }
      expected = Atomics.load(i32, b + FUTEX);
      lock.releaseAll();
    }
  }

  /** Releases the lock, sleeps until notified (true) or the timeout ends (false), re-acquires. */
  /** An abort of `signal` rejects with its reason once the lock is held again, as after a timeout. */
  wait(timeout?: number | null | WaitOptions): Promise<boolean> {
    return promised(() => {
      const { ms, signal } = waitOptions(timeout, 'Condition.wait');
      return runAsync(this.core, this.waitSteps(deadlineOf(ms), 'Condition.wait'), { signal });
    });
  }
  waitSync(timeout?: number | null | WaitOptions): boolean {
    return runSync(this.core, this.waitSteps(deadlineOf(waitOptions(timeout, 'Condition.waitSync').ms), 'Condition.waitSync'));
  }

  /** Waits until predicate() is truthy; returns its last value (falsy when the timeout ended). */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: number | null | WaitOptions): Promise<T> {
    checkPredicate(predicate, 'Condition.waitFor');
    const { ms, signal } = waitOptions(timeout, 'Condition.waitFor');
    const deadline = deadlineOf(ms);
    let result = await predicate();
    while (!result && !expired(deadline)) {
      await this.wait({ timeout: deadline < 0 ? null : remaining(deadline), signal });
      result = await predicate();
    }
    return result;
  }
  waitForSync<T>(predicate: () => T, timeout?: number | null | WaitOptions): T {
    checkPredicate(predicate, 'Condition.waitForSync');
    const deadline = deadlineOf(waitOptions(timeout, 'Condition.waitForSync').ms);
    let result = predicate();
    while (!result && !expired(deadline)) {
      this.waitSync(deadline < 0 ? null : remaining(deadline));
      result = predicate();
    }
    return result;
  }

  /** Wakes up to n waiters. The lock must be held. */
  notify(n = 1): void {
    if (typeof n !== 'number' || Number.isNaN(n) || n < 0) throw new TypeError(`Condition.notify(n): n must be a non-negative number, got ${String(n)}`);
    this.issue(n, 'Condition.notify');
  }
  notifyAll(): void {
    this.issue(Infinity, 'Condition.notifyAll');
  }

  private issue(n: number, what: string): void {
    if (!this.#lock.isMine()) throw new ValueError(`${what}: cannot notify on un-acquired lock (acquire the Condition first)`);
    const i32 = this.i32, b = this.base;
    const waiting = Atomics.load(i32, b + TOTAL) - Atomics.load(i32, b + WAKEUP);
    const k = Math.min(n, waiting);
    if (k <= 0) return;
    Atomics.add(i32, b + WAKEUP, k);
    Atomics.add(i32, b + FUTEX, 1);
    if (Atomics.load(i32, b + SLEEPERS) > 0) this.wake(FUTEX, n === Infinity ? 0x7fffffff : k);
  }

  override toString(): string {
    const i32 = this.i32, b = this.base;
    return `<Condition(${String(this.#lock)}, ${Atomics.load(i32, b + TOTAL) - Atomics.load(i32, b + WAKEUP)})>`;
  }
}

function checkPredicate(p: unknown, what: string): void {
  if (typeof p !== 'function') throw new TypeError(`${what}: predicate must be a function, got ${typeof p}`);
}
registerPrimitive(Condition);
