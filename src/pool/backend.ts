// What a Pool runs on. `Pool` (pool.ts) is a facade, as piscina's Piscina is over its ThreadPool:
// it checks arguments, cuts a map into chunks, and gives results back the way Python does; a
// backend's Scheduler runs the tasks. The local backend (local/) runs them on this machine's
// worker processes or threads; the Redis backend (`multiprocessing-ts/redis`) through BullMQ on
// any number of machines. Both plug in here, side by side, through these interfaces.
import type { StartMethod } from '../process/runtime.js';
import type { AnyFunction, TargetRef, TargetSpec } from '../targets/describe.js';

/** A task's mode: fn(...args) (apply, 0); fn(item) for each item of a chunk (map, 1); fn(...item) for each (starmap, 2). protocol.ts names them. */
export type Mode = 0 | 1 | 2;

/** Per call: stop it (queued tasks dropped, a running one ends its worker), or bound its time. */
export interface TaskOptions {
  signal?: AbortSignal;
  /** ms for the whole call; then TimeoutError, and a worker running it is replaced. */
  timeout?: number;
}

export interface PoolStats {
  workers: number;
  busy: number;
  queued: number;
  completed: number;
  failed: number;
}

/** One Pool call as a scheduler gets it: a function and its tasks' arguments. It ends once. */
export interface CallRequest {
  /** the public call, for messages ('Pool.map') */
  what: string;
  fn: AnyFunction | TargetRef;
  mode: Mode;
  /** Each task's arguments: apply has one task; a map one per chunk (a list of items, or a
   *  Float64Array of packed numbers). */
  tasks: unknown[][];
  /** The arguments are the pool's own copy (packed numbers): they need not be copied again. */
  ownsArgs: boolean;
  options: TaskOptions | undefined;
  /** Task `index`'s value: apply's value, or a chunk's list of values (or a Float64Array). */
  onValue(index: number, value: unknown): void;
  /** The call's end: ok once every task gave its value, else the first error. Called once. */
  onEnd(ok: boolean, error?: unknown): void;
}

/** Runs a pool's calls. Every method but submit and check is the Pool method of the same name. */
export interface Scheduler {
  /** The workers the pool is sized for: its default chunking and imap's window follow it. */
  readonly size: number;
  /** pids of the local worker processes (none for a remote backend). */
  readonly pids: number[];
  /** Throws when no new call is accepted (closed, terminated, broken), naming `what`. */
  check(what: string): void;
  /** Starts a call. Throws, before any task starts, for a function or options it refuses. */
  submit(call: CallRequest): void;
  /** Ends, with `error`, the calls made with `signal` none of whose tasks has started. */
  cancelUnstarted(signal: AbortSignal, error: unknown): void;
  close(): void;
  terminate(): void;
  join(): Promise<void>;
  stats(): PoolStats;
}

/** What a pool was asked for, resolved, for its backend. */
export interface PoolSettings {
  /** null: the backend's own default (the number of CPUs, locally). */
  processes: number | null;
  startMethod: StartMethod;
  initializer: TargetSpec | null;
  initargs: unknown[];
  /** 0: never replace a worker. */
  maxtasksperchild: number;
  /** Called after each task settles (the pool's 'progress' event). */
  onSettled(): void;
}

/** A pool's engine: `new Pool({ backend })`. */
export interface Backend {
  /** for messages: 'local', 'redis' */
  readonly name: string;
  open(settings: PoolSettings): Scheduler;
}
