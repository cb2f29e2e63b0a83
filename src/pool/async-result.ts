// AsyncResult: what applyAsync/mapAsync/starmapAsync return (Python's AsyncResult), and a
// thenable. get() waits for the value (TimeoutError after `timeout` ms, the task goes on).
import { TimeoutError, ValueError } from '../errors.js';
import { waitOptions, type WaitOptions } from '../util/options.js';
import { promised, within } from '../util/promised.js';

export interface ResultCallbacks<T> {
  callback?: ((value: T) => void) | null;
  errorCallback?: ((error: unknown) => void) | null;
}

export class AsyncResult<T = unknown> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  #state: 'pending' | 'ok' | 'failed' = 'pending';
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;

  constructor(callbacks: ResultCallbacks<T> = {}) {
    this.#promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#promise.catch(() => {}); // a failure nobody asks about is not an unhandled rejection
    const { callback, errorCallback } = callbacks;
    if (callback != null && typeof callback !== 'function') throw new TypeError('callback must be a function');
    if (errorCallback != null && typeof errorCallback !== 'function') throw new TypeError('errorCallback must be a function');
    this.#promise.then((v) => callback?.(v), (e) => errorCallback?.(e));
  }

  /** @internal */
  settle(ok: boolean, value: unknown): void {
    if (this.#state !== 'pending') return;
    this.#state = ok ? 'ok' : 'failed';
    if (ok) this.#resolve(value as T);
    else this.#reject(value);
  }

  ready(): boolean {
    return this.#state !== 'pending';
  }
  /** Whether the call succeeded; ValueError before it is ready, as in Python. */
  successful(): boolean {
    if (this.#state === 'pending') throw new ValueError('AsyncResult.successful(): the result is not ready');
    return this.#state === 'ok';
  }
  /**
   * The value, or the task's error; TimeoutError after `timeout` ms, or the signal's reason
   * once `{ signal }` aborts (either way the task goes on).
   */
  get(timeout?: number | null | WaitOptions): Promise<T> {
    return promised(() => {
      const { ms, signal } = waitOptions(timeout, 'AsyncResult.get');
      if ((ms < 0 && !signal) || this.#state !== 'pending') return this.#promise;
      return within(this.#promise, ms, () => {
        throw new TimeoutError(`AsyncResult.get: no result within ${ms} ms`);
      }, signal);
    });
  }
  /** Resolves when the result is ready or the timeout ends (never rejects, but for an abort). */
  async wait(timeout?: number | null | WaitOptions): Promise<void> {
    await this.get(timeout).catch((e: unknown) => {
      if (typeof timeout === 'object' && timeout?.signal?.aborted && e === timeout.signal.reason) throw e;
    });
  }

  then<R1 = T, R2 = never>(onFulfilled?: ((v: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((e: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.#promise.then(onFulfilled, onRejected);
  }
}
