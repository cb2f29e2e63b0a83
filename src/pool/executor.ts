// ProcessPoolExecutor: concurrent.futures' interface on a Pool. submit() gives a Promise;
// shutdown({ cancelFutures }) rejects what has not started with CancelledError.
import { setMaxListeners } from 'node:events';
import { CancelledError, ValueError } from '../errors.js';
import type { StartMethod } from '../process/runtime.js';
import type { AnyFunction, ResultOf, TargetRef, TaskFunction } from '../targets/describe.js';
import { checkOptions, describe } from '../util/options.js';
import { Pool } from './pool.js';

export interface ExecutorOptions {
  maxWorkers?: number | null;
  context?: StartMethod | { startMethod: StartMethod } | null;
  initializer?: AnyFunction | TargetRef | null;
  initargs?: unknown[];
  maxTasksPerChild?: number | null;
}

/** One iterable per parameter of the function: executor.map(add, [1, 2], [3, 4]). */
export type Iterables<P extends readonly unknown[]> = { [K in keyof P]: Iterable<P[K]> };

export class ProcessPoolExecutor {
  readonly #pool: Pool;
  /** One signal for every submission: shutdown({ cancelFutures }) cancels the unstarted ones. */
  readonly #cancel = new AbortController();
  #shutdown = false;

  constructor(options: ExecutorOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`ProcessPoolExecutor: expected options { maxWorkers?, context? }, got ${describe(options)}`);
    checkOptions(options, ['maxWorkers', 'context', 'initializer', 'initargs', 'maxTasksPerChild'], 'ProcessPoolExecutor');
    setMaxListeners(0, this.#cancel.signal);
    this.#pool = new Pool({ processes: options.maxWorkers ?? null, context: options.context ?? null, initializer: options.initializer ?? null, initargs: options.initargs ?? [], maxtasksperchild: options.maxTasksPerChild ?? null });
  }

  /** fn(...args) in a worker. */
  submit<F extends TaskFunction>(fn: F, ...args: Parameters<F>): Promise<ResultOf<F>>;
  submit<T = unknown>(fn: TargetRef, ...args: unknown[]): Promise<T>;
  submit<T = unknown>(fn: AnyFunction | TargetRef, ...args: unknown[]): Promise<T> {
    if (this.#shutdown) return Promise.reject(new ValueError('ProcessPoolExecutor.submit: cannot schedule new futures after shutdown'));
    return this.#pool.apply<T>(fn as TargetRef, args, { signal: this.#cancel.signal });
  }

  /** Results of fn over the zipped iterables, in order (an async iterable, as concurrent.futures' map). */
  map<F extends TaskFunction>(fn: F, ...iterables: Iterables<Parameters<F>>): AsyncGenerator<ResultOf<F>>;
  map<T = unknown>(fn: TargetRef, ...iterables: Iterable<unknown>[]): AsyncGenerator<T>;
  async *map<T = unknown>(fn: AnyFunction | TargetRef, ...iterables: Iterable<unknown>[]): AsyncGenerator<T> {
    const its = iterables.map((it) => it[Symbol.iterator]());
    const futures: Promise<T>[] = [];
    for (;;) {
      const row = its.map((it) => it.next());
      if (!row.length || row.some((r) => r.done)) break;
      futures.push(this.submit<T>(fn as TargetRef, ...row.map((r) => r.value)));
    }
    for (const f of futures) f.catch(() => {});
    for (const f of futures) yield await f;
  }

  /** No new work; with cancelFutures, what has not finished is cancelled; with wait, resolves when the workers are gone. */
  async shutdown({ wait = true, cancelFutures = false }: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    this.#shutdown = true;
    if (cancelFutures) this.#pool.cancelUnstarted(this.#cancel.signal, new CancelledError('cancelled by ProcessPoolExecutor.shutdown before it started'));
    this.#pool.close();
    if (wait) await this.#pool.join();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }
}
