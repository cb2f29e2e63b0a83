// One submitted call (apply: one task; map: one task per chunk), as every scheduler keeps it. It
// ends once: on its first failure, when its signal aborts or its timeout passes, or when all
// its tasks are done; then it forgets its timer and its signal listener.
import { CancelledError, TimeoutError } from '../errors.js';
import { checkPositiveInt } from '../util/options.js';
import type { TaskOptions } from './backend.js';

export class Call<T> {
  done = false;
  readonly tasks: T[] = [];
  readonly signal: AbortSignal | null;
  readonly #cleanup: (() => void)[] = [];
  #remaining: number;

  /**
   * Throws (before anything starts) if the signal is already aborted or the timeout is not a
   * whole number of ms. `onFail` runs first when the call fails, to stop its other tasks.
   */
  constructor(
    what: string,
    n: number,
    options: TaskOptions | undefined,
    private readonly onValue: (task: T, value: unknown) => void,
    private readonly onEnd: (ok: boolean, error?: unknown) => void,
    private readonly onFail: (call: Call<T>) => void,
  ) {
    this.#remaining = n;
    this.signal = options?.signal ?? null;
    const ms = options?.timeout === undefined ? undefined : checkPositiveInt(options.timeout, `${what}: timeout`, true);
    const signal = this.signal;
    if (signal) {
      if (signal.aborted) throw signal.reason ?? new CancelledError();
      const onAbort = () => this.end(false, signal.reason ?? new CancelledError(`${what}: aborted`));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#cleanup.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (ms !== undefined) {
      const timer = setTimeout(() => this.end(false, new TimeoutError(`${what}: not done within ${ms} ms`)), ms);
      this.#cleanup.push(() => clearTimeout(timer));
    }
  }

  taskDone(task: T, ok: boolean, value: unknown): void {
    if (this.done) return;
    if (!ok) return this.end(false, value);
    this.onValue(task, value);
    if (--this.#remaining === 0) this.end(true);
  }

  end(ok: boolean, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    for (const c of this.#cleanup) c();
    if (!ok) this.onFail(this);
    this.onEnd(ok, error);
  }
}
