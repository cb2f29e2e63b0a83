// The shape shared by everything that is acquired and released (Lock, RLock, Semaphore,
// Condition): the Promise and Sync forms of acquire, and the scoped forms that stand in for
// Python's `with lock:`, releasing on throw and returning the callback's result.
import { blockOptions, deadlineOf, type BlockArg } from '../util/options.js';
import { Primitive } from './primitive.js';
import { runAsync, runSync, type Steps } from '../core/steps.js';
import { promised } from '../util/promised.js';

/** `{ block?, timeout?, signal? }`, a timeout in ms, or Python's positional `block` (then `timeout`). */
export type AcquireOptions = BlockArg;

export abstract class Acquirable extends Primitive {
  /** @internal One attempt that never waits (the fast path of every acquire). */
  abstract tryAcquire(): boolean;
  /** @internal The sleeping path, after tryAcquire() failed; `deadline` from deadlineOf(). */
  abstract acquireSteps(deadline: number): Steps<boolean>;
  abstract release(): void;

  /** Blocks the calling thread until acquired (or the timeout ends: false). */
  acquireSync(options?: AcquireOptions, timeout?: number | null): boolean {
    if (options === undefined && timeout === undefined) return this.tryAcquire() || runSync(this.core, this.acquireSteps(-1));
    const { block, ms } = blockOptions(options, `${this.constructor.name}.acquireSync`, timeout);
    if (this.tryAcquire()) return true;
    return block && runSync(this.core, this.acquireSteps(deadlineOf(ms)));
  }

  /**
   * Resolves true once acquired, false if the timeout ends first; the event loop stays free.
   * An abort of `signal` rejects with its reason, the lock not taken.
   */
  acquire(options?: AcquireOptions, timeout?: number | null): Promise<boolean> {
    return promised(() => {
      const { block, ms, signal } = blockOptions(options, `${this.constructor.name}.acquire`, timeout);
      signal?.throwIfAborted();
      if (this.tryAcquire()) return Promise.resolve(true);
      return block ? runAsync(this.core, this.acquireSteps(deadlineOf(ms)), { signal }) : Promise.resolve(false);
    });
  }

  /** `await lock.with(async () => ...)`: Python's `with lock:`. */
  async with<T>(fn: () => T | Promise<T>, options?: { signal?: AbortSignal | null }): Promise<T> {
    await this.acquire(options?.signal ? { signal: options.signal } : undefined);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** `lock.withSync(() => ...)`: Python's `with lock:`, blocking. */
  withSync<T>(fn: () => T): T {
    this.acquireSync();
    try {
      return fn();
    } finally {
      this.release();
    }
  }
}
