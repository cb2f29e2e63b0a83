// Pool: Python's multiprocessing.Pool, as a facade over a backend (backend.ts), as piscina's
// Piscina is over its ThreadPool. This file owns the public API: its options, the overloads that
// type each call from the function it is given, argument checks, cutting a map into chunks
// (CPython's default chunksize), putting the chunks' results in place, imap's iterator, and the
// 'progress' event. Running the tasks is the backend's: local workers by default (local/), or
// BullMQ on Redis with `backend: redis({ url })` from 'multiprocessing-ts/redis'.
import { EventEmitter } from 'node:events';
import type { TypedEvents } from '../util/node-types.js';
import { checkStartMethod, getStartMethod } from '../process/context.js';
import type { StartMethod } from '../process/runtime.js';
import { describeTarget, type AnyFunction, type ResultOf, type TargetRef, type TaskFunction } from '../targets/describe.js';
import { checkOptions, checkPositiveInt, describe } from '../util/options.js';
import { AsyncResult, type ResultCallbacks } from './async-result.js';
import type { Backend, PoolStats, Scheduler, TaskOptions } from './backend.js';
import { IMapIterator } from './imap.js';
import { ProgressReporter, type OnProgress } from './progress.js';
import { local } from './local/backend.js';
import { APPLY, MAP, packNumbers, STARMAP, type Mode } from './protocol.js';

export type { Backend, PoolStats, TaskOptions } from './backend.js';

export interface PoolOptions {
  /** Workers (default: the number of CPUs). */
  processes?: number | null;
  /** Run once in each worker before its first task (shipped like a Process target). */
  initializer?: AnyFunction | TargetRef | null;
  initargs?: unknown[];
  /** Replace a worker after this many tasks (default: never). */
  maxtasksperchild?: number | null;
  /** A start method name or a context. */
  context?: StartMethod | { startMethod: StartMethod } | null;
  /** Where the tasks run (default: this machine's workers), e.g. `redis({ url })` from 'multiprocessing-ts/redis'. */
  backend?: Backend | null;
}

/** A Pool's events: 'progress' after each task settles, with the pool's stats(). */
export interface PoolEvents extends Record<string, unknown[]> {
  progress: [stats: PoolStats];
}

/** A map's or starmap's own options: its chunk size, and a progress callback. */
export interface MapOptions {
  chunksize?: number | null;
  /** Called with { done, total, failed } items at most every 100 ms, and at the end. */
  onProgress?: OnProgress;
}
/** imap's and imapUnordered's own options (no total: the input may be endless). */
export interface LazyOptions {
  chunksize?: number;
  onProgress?: OnProgress;
}
type ListOptions<T> = MapOptions & ResultCallbacks<T[]> & TaskOptions;
type LazyInput<T> = Iterable<T> | AsyncIterable<T>;

// A chunk's results into place: one loop per source kind, so that each stays monomorphic
// (one loop over both kinds took twice as long).
function copyNumbers(out: unknown[], at: number, values: Float64Array): void {
  for (let k = 0, n = values.length; k < n; k++) out[at + k] = values[k];
}
function copyValues(out: unknown[], at: number, values: unknown[]): void {
  for (let k = 0, n = values.length; k < n; k++) out[at + k] = values[k];
}
const rejectOnThrow = <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
};

// Declared through TypedEvents so that the published declarations need no Node types (a Pool is
// an EventEmitter at run time).
// The names each kind of call takes (a misspelt one is refused, naming the one meant).
const POOL_OPTIONS = ['processes', 'initializer', 'initargs', 'maxtasksperchild', 'context', 'backend'];
const TASK_OPTIONS = ['timeout', 'signal', 'callback', 'errorCallback'];
const LIST_OPTIONS = [...TASK_OPTIONS, 'chunksize', 'onProgress'];
const LAZY_OPTIONS = ['timeout', 'signal', 'chunksize', 'onProgress'];

const PoolEmitter = EventEmitter as unknown as new () => TypedEvents<PoolEvents>;

export class Pool extends PoolEmitter {
  /** The start method of this class's workers when no context is given; a context's Pool sets it. */
  static startMethod: StartMethod | null = null;
  readonly #run: Scheduler;

  constructor(options: PoolOptions | number | null = {}, initializer?: AnyFunction | null, initargs?: unknown[], maxtasksperchild?: number | null) {
    super();
    const o: PoolOptions = typeof options === 'number' || options === null ? { processes: options, initializer, initargs, maxtasksperchild } : options;
    if (typeof o !== 'object') throw new TypeError(`Pool: expected options or a number of processes, got ${describe(options)}`);
    checkOptions(o, POOL_OPTIONS, 'Pool');
    const processes = o.processes == null ? null : checkPositiveInt(o.processes, 'Pool: processes');
    const ctx = o.context;
    const startMethod = ctx == null ? ((new.target as typeof Pool).startMethod ?? getStartMethod()!) : checkStartMethod(typeof ctx === 'string' ? ctx : ctx.startMethod);
    const init = o.initializer == null ? null : describeTarget(o.initializer, 'Pool initializer');
    const args = o.initargs ?? [];
    if (!Array.isArray(args)) throw new TypeError(`Pool: initargs must be an array, got ${describe(args)}`);
    const maxtasks = o.maxtasksperchild == null ? 0 : checkPositiveInt(o.maxtasksperchild, 'Pool: maxtasksperchild');
    const backend = o.backend ?? local();
    if (typeof backend !== 'object' || typeof backend.open !== 'function') throw new TypeError(`Pool: backend must be a backend such as redis({ url }) from 'multiprocessing-ts/redis', got ${describe(backend)}`);
    const onSettled = () => {
      if (this.listenerCount('progress')) this.emit('progress', this.stats());
    };
    this.#run = backend.open({ processes, startMethod, initializer: init, initargs: args, maxtasksperchild: maxtasks, onSettled });
  }

  // ------------------------------------------------------------------ calls

  /** A call of one task per element of `tasks`; `onValue(i, v)` takes task i's value. */
  private submit(what: string, fn: AnyFunction | TargetRef, mode: Mode, tasks: unknown[][], options: TaskOptions | undefined, onValue: (index: number, value: unknown) => void, onEnd: (ok: boolean, error?: unknown) => void, ownsArgs = false): void {
    this.#run.submit({ what, fn, mode, tasks, ownsArgs, options, onValue, onEnd });
  }

  private listAsync<T>(what: string, fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, mode: Mode, options: ListOptions<T>): AsyncResult<T[]> {
    this.#run.check(what);
    checkOptions(options, LIST_OPTIONS, what);
    if (iterable == null || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TypeError(`${what}: expected an iterable, got ${describe(iterable)}`);
    // An array is sliced into chunks right away; anything else is read into one first, as Python does.
    const items = Array.isArray(iterable) ? (iterable as unknown[]) : Array.from(iterable);
    const chunksize = options.chunksize == null ? defaultChunksize(items.length, this.#run.size) : checkPositiveInt(options.chunksize, `${what}: chunksize`);
    const tasks: unknown[][] = [], starts: number[] = [];
    // Plain numbers are packed once and cut into views (each travels as raw bytes).
    const packed = mode === MAP && chunksize >= 16 ? packNumbers(items) : items;
    for (let i = 0; i < items.length; i += chunksize) {
      tasks.push((ArrayBuffer.isView(packed) ? packed.subarray(i, i + chunksize) : items.slice(i, i + chunksize)) as unknown[]);
      starts.push(i);
    }
    const out = new Array<unknown>(items.length);
    const result = new AsyncResult<T[]>(options);
    const progress = options.onProgress == null ? null : new ProgressReporter(options.onProgress, items.length);
    let done = 0;
    const onValue = (index: number, values: unknown) => {
      if (values instanceof Float64Array) copyNumbers(out, starts[index], values);
      else copyValues(out, starts[index], values as unknown[]);
      const n = (values as ArrayLike<unknown>).length;
      done += n;
      progress?.add(n);
    };
    const onEnd = (ok: boolean, e?: unknown) => {
      if (progress) {
        if (!ok) progress.add(0, items.length - done);
        progress.end();
      }
      result.settle(ok, ok ? out : e);
    };
    this.submit(what, fn, mode, tasks, options, onValue, onEnd, ArrayBuffer.isView(packed));
    return result;
  }

  /** One chunk of an imap: resolves with its results. */
  private chunk(fn: AnyFunction | TargetRef, items: unknown[], options: TaskOptions | undefined, progress: ProgressReporter | null): Promise<unknown[]> {
    this.#run.check('Pool.imap');
    return new Promise((resolve, reject) => {
      let values: unknown[] = [];
      this.submit('Pool.imap', fn, MAP, [items], options, (_i, v) => (values = v as unknown[]), (ok, e) => {
        progress?.add(ok ? items.length : 0, ok ? 0 : items.length);
        if (ok) resolve(values);
        else reject(e);
      });
    });
  }

  private lazy<T>(what: string, fn: AnyFunction | TargetRef, iterable: LazyInput<unknown>, options: LazyOptions & TaskOptions, ordered: boolean): IMapIterator<T> {
    this.#run.check(what);
    checkOptions(options, LAZY_OPTIONS, what);
    const progress = options.onProgress == null ? null : new ProgressReporter(options.onProgress);
    return new IMapIterator<T>((items) => this.chunk(fn, items, options, progress), this.#run.size, iterable, options.chunksize, ordered);
  }

  // ------------------------------------------------------------------ Python's API

  // Each call is typed from the function it is given (its parameters, its awaited result);
  // a { module, name } reference, or arguments that do not fit, take the untyped form.
  applyAsync<F extends TaskFunction>(fn: F, args?: Parameters<F>, options?: ResultCallbacks<ResultOf<F>> & TaskOptions): AsyncResult<ResultOf<F>>;
  applyAsync<T = unknown>(fn: TargetRef, args?: unknown[], options?: ResultCallbacks<T> & TaskOptions): AsyncResult<T>;
  applyAsync<T = unknown>(fn: AnyFunction | TargetRef, args: unknown[] = [], options: ResultCallbacks<T> & TaskOptions = {}): AsyncResult<T> {
    this.#run.check('Pool.applyAsync');
    if (!Array.isArray(args)) throw new TypeError(`Pool.applyAsync: args must be an array, got ${describe(args)}`);
    checkOptions(options, TASK_OPTIONS, 'Pool.applyAsync');
    const result = new AsyncResult<T>(options);
    let value: unknown;
    this.submit('Pool.applyAsync', fn, APPLY, [args], options, (_i, v) => (value = v), (ok, e) => result.settle(ok, ok ? value : e));
    return result;
  }
  /** fn(...args) in a worker. */
  apply<F extends TaskFunction>(fn: F, args?: Parameters<F>, options?: TaskOptions): Promise<ResultOf<F>>;
  apply<T = unknown>(fn: TargetRef, args?: unknown[], options?: TaskOptions): Promise<T>;
  apply<T = unknown>(fn: AnyFunction | TargetRef, args: unknown[] = [], options?: TaskOptions): Promise<T> {
    // (the overloads type the caller's function; the implementation takes any target)
    return rejectOnThrow(() => this.applyAsync<T>(fn as TargetRef, args, options ?? {}).get());
  }

  mapAsync<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: ListOptions<ResultOf<F>>): AsyncResult<ResultOf<F>[]>;
  mapAsync<T = unknown>(fn: TargetRef, iterable: Iterable<unknown>, options?: ListOptions<T>): AsyncResult<T[]>;
  mapAsync<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, options: ListOptions<T> = {}): AsyncResult<T[]> {
    return this.listAsync('Pool.mapAsync', fn, iterable, MAP, options);
  }
  /** [fn(x) for x in iterable], in order; fails with the first error. */
  map<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: MapOptions & TaskOptions): Promise<ResultOf<F>[]>;
  map<T = unknown>(fn: TargetRef, iterable: Iterable<unknown>, options?: MapOptions & TaskOptions): Promise<T[]>;
  map<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, options: MapOptions & TaskOptions = {}): Promise<T[]> {
    return rejectOnThrow(() => this.listAsync<T>('Pool.map', fn, iterable, MAP, options).get());
  }
  starmapAsync<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options?: ListOptions<ResultOf<F>>): AsyncResult<ResultOf<F>[]>;
  starmapAsync<T = unknown>(fn: TargetRef, iterable: Iterable<unknown[]>, options?: ListOptions<T>): AsyncResult<T[]>;
  starmapAsync<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown[]>, options: ListOptions<T> = {}): AsyncResult<T[]> {
    return this.listAsync('Pool.starmapAsync', fn, iterable, STARMAP, options);
  }
  /** [fn(...args) for args in iterable]. */
  starmap<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options?: MapOptions & TaskOptions): Promise<ResultOf<F>[]>;
  starmap<T = unknown>(fn: TargetRef, iterable: Iterable<unknown[]>, options?: MapOptions & TaskOptions): Promise<T[]>;
  starmap<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown[]>, options: MapOptions & TaskOptions = {}): Promise<T[]> {
    return rejectOnThrow(() => this.listAsync<T>('Pool.starmap', fn, iterable, STARMAP, options).get());
  }

  /** Results in order, pulling the input lazily (an endless iterable works). */
  imap<F extends (item: never) => unknown>(fn: F, iterable: LazyInput<Parameters<F>[0]>, options?: LazyOptions & TaskOptions): IMapIterator<ResultOf<F>>;
  imap<T = unknown>(fn: TargetRef, iterable: LazyInput<unknown>, options?: LazyOptions & TaskOptions): IMapIterator<T>;
  imap<T = unknown>(fn: AnyFunction | TargetRef, iterable: LazyInput<unknown>, options: LazyOptions & TaskOptions = {}): IMapIterator<T> {
    return this.lazy<T>('Pool.imap', fn, iterable, options, true);
  }
  /** Results as they complete, pulling the input lazily. */
  imapUnordered<F extends (item: never) => unknown>(fn: F, iterable: LazyInput<Parameters<F>[0]>, options?: LazyOptions & TaskOptions): IMapIterator<ResultOf<F>>;
  imapUnordered<T = unknown>(fn: TargetRef, iterable: LazyInput<unknown>, options?: LazyOptions & TaskOptions): IMapIterator<T>;
  imapUnordered<T = unknown>(fn: AnyFunction | TargetRef, iterable: LazyInput<unknown>, options: LazyOptions & TaskOptions = {}): IMapIterator<T> {
    return this.lazy<T>('Pool.imapUnordered', fn, iterable, options, false);
  }

  /** @internal Cancels the calls made with this signal whose tasks have not started (concurrent.futures' cancel). */
  cancelUnstarted(signal: AbortSignal, error: unknown): void {
    this.#run.cancelUnstarted(signal, error);
  }

  /** No more tasks; the workers end when the queued ones are done. */
  close(): void {
    this.#run.close();
  }
  /** Ends the workers now; unfinished results reject with ProcessError. */
  terminate(): void {
    this.#run.terminate();
  }
  /** Waits for the workers to end (after close() or terminate()). */
  join(): Promise<void> {
    return rejectOnThrow(() => this.#run.join());
  }
  stats(): PoolStats {
    return this.#run.stats();
  }
  /** `await using pool = new Pool()`: terminates, like Python's `with Pool() as p`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }
  /** pids of the current workers (none for a remote backend). */
  get pids(): number[] {
    return this.#run.pids;
  }
}

/** CPython's default: divide the items among 4x the workers. */
export function defaultChunksize(n: number, workers: number): number {
  const per = Math.floor(n / (workers * 4)), extra = n % (workers * 4);
  return Math.max(1, per + (extra ? 1 : 0));
}
