// Pool: Python's multiprocessing.Pool on this package's own parts. Each worker is a Process of
// the pool's start method running poolWorker() with two private pipes (tasks in, results out)
// and two status words; the pool keeps a few tasks in flight per worker and knows which one a
// worker is running. When a worker dies, that task fails with WorkerLostError, the tasks queued
// behind it go back to the front of the queue (they never started), and a new worker takes its
// place, so no task is lost or run twice.
import { EventEmitter } from 'node:events';
import type { TypedEvents } from '../util/node-types.js';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { oneWay, PIPE_CAPACITY, type Connection } from '../connection/connection.js';
import { EOFError, ProcessError, TimeoutError, ValueError, WorkerLostError, CancelledError } from '../errors.js';
import { Process } from '../process/process.js';
import { checkStartMethod, getStartMethod } from '../process/context.js';
import type { StartMethod } from '../process/runtime.js';
import { RawArray } from '../shared/array.js';
import { describeTarget, type AnyFunction, type ResultOf, type TargetRef, type TargetSpec, type TaskFunction } from '../targets/describe.js';
import { esmDir } from '../util/here.js';
import { checkPositiveInt, describe } from '../util/options.js';
import { Fifo } from '../queues/fifo.js';
import { AsyncResult, type ResultCallbacks } from './async-result.js';
import { IMapIterator } from './imap.js';
import { APPLY, MAP, packNumbers, STARMAP, ST_READY, ST_RUNNING } from './worker.js';
import { encodeArgs, readResultFrame, readResultMessage, taskMessage } from './frames.js';
import { asRemoteError } from '../codec/codec.js';
import { classesLoaded, classesPending } from '../codec/classes.js';
import { Ring } from '../connection/ring.js';
import { type Outgoing } from '../connection/message.js';
import { signalNames } from '../util/signals.js';

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
}

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

/**
 * Tasks in flight per worker: enough to keep it fed across the parent's wake-up latency, few
 * enough that a slow task does not hold many others behind it. It adapts to the measured time
 * per task: about 5 ms of work per worker, between 2 and 256 tasks.
 */
const WINDOW_MIN = 2, WINDOW_MAX = 256, WINDOW_WORK_MS = 5;
/** How long (ms) after its last result a worker with tasks in flight is polled rather than slept on. */
const POLL_MS = 0.5;
const NONE = Symbol('none');
/** Tasks share a message up to about this many bytes of arguments. */
const BATCH_BYTES = 16 * 1024;
/** A cheap guess of a task's encoded size (exact for numeric chunks). */
function approxSize(args: unknown): number {
  if (ArrayBuffer.isView(args)) return args.byteLength;
  return Array.isArray(args) ? 16 * args.length : 16;
}
// A chunk's results into place: one loop per source kind, so that each stays monomorphic
// (one loop over both kinds took twice as long).
function copyNumbers(out: unknown[], at: number, values: Float64Array): void {
  for (let k = 0, n = values.length; k < n; k++) out[at + k] = values[k];
}
function copyValues(out: unknown[], at: number, values: unknown[]): void {
  for (let k = 0, n = values.length; k < n; k++) out[at + k] = values[k];
}

/** Workers that die before their initializer finishes, in a row, before the pool gives up. */
const STARTUP_FAILURES = 3;
let workerCounter = 0;
const workerRef = () => ({ module: pathToFileURL(join(esmDir, 'pool', 'worker.js')).href, name: 'poolWorker' });

interface Task {
  id: number;
  /** the function's id in this pool */
  fn: number;
  spec: TargetSpec;
  args: unknown[];
  mode: number;
  call: Call;
  /** index of its first item in the call's results (chunks) */
  at: number;
  settled: boolean;
  /**
   * Its arguments encoded, once: when first sent, or at submit for a task that has to wait (so
   * that changing an argument after the call changes nothing, as with postMessage), and reused
   * if it is sent again after its worker died. Views of the pool's own copy (a map's packed
   * numbers) are not copied again.
   */
  payload: Uint8Array[] | null;
  ownsArgs: boolean;
}

/** One submitted call (apply: one task; map: one task per chunk). It ends once: on its first
 *  failure, when it is stopped, or when all its tasks are done. */
class Call {
  done = false;
  tasks: Task[] = [];
  cleanup: (() => void)[] = [];
  #remaining: number;
  constructor(
    readonly signal: AbortSignal | null,
    n: number,
    private readonly onValue: (task: Task, value: unknown) => void,
    private readonly onEnd: (ok: boolean, error?: unknown) => void,
    private readonly onFail: (call: Call) => void,
  ) {
    this.#remaining = n;
  }
  taskDone(task: Task, ok: boolean, value: unknown): void {
    if (this.done) return;
    if (!ok) return this.end(false, value);
    this.onValue(task, value);
    if (--this.#remaining === 0) this.end(true);
  }
  end(ok: boolean, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    for (const c of this.cleanup) c();
    if (!ok) this.onFail(this);
    this.onEnd(ok, error);
  }
}

/** What connects the pool to one worker: its two pipes and its status words. */
interface WorkerWires {
  tasks: Ring;
  results: Ring;
  status: RawArray<'i'>;
}

interface Slot {
  proc: Process;
  wires: WorkerWires;
  send: Connection;
  recv: Connection;
  status: RawArray<'i'>;
  inflight: Task[];
  sent: number;
  /** when its last result arrived (for the time per task) */
  lastResultAt: number;
  /** told to finish (closed pool) */
  retired: boolean;
  /** Set while its receiver sleeps: new work wakes it into polling. */
  wakeReceiver: (() => void) | null;
  /** the function ids this worker has been sent the spec of */
  keys: Set<number>;
  /** Sends that wait for room in the worker's pipe, in order; later ones queue behind them. */
  chain: Promise<void>;
  waiting: number;
  alive: boolean;
}

const specKey = (spec: TargetSpec): string => (spec.kind === 'export' ? `${spec.module}#${spec.name}` : `src:${spec.source}`);

/** A Pool's events: 'progress' after each task settles, with the pool's stats(). */
export interface PoolEvents extends Record<string, unknown[]> {
  progress: [stats: PoolStats];
}

// Declared through TypedEvents so that the published declarations need no Node types (a Pool is
// an EventEmitter at run time).
const PoolEmitter = EventEmitter as unknown as new () => TypedEvents<PoolEvents>;

export class Pool extends PoolEmitter {
  /** The start method of this class's workers when no context is given; a context's Pool sets it. */
  static startMethod: StartMethod | null = null;
  readonly #size: number;
  readonly #method: StartMethod;
  readonly #initializer: TargetSpec | null;
  readonly #initargs: unknown[];
  readonly #maxtasks: number;
  readonly #slots = new Set<Slot>();
  /**
   * The pipes and status words of workers that ended, for their replacements: arena memory is
   * never given back, so a pool with maxtasksperchild replacing thousands of workers would
   * otherwise fill it (512 KiB a worker).
   */
  readonly #recycled: WorkerWires[] = [];
  readonly #queue = new Fifo<Task>();
  readonly #specs = new WeakMap<object, { fn: number; spec: TargetSpec }>();
  readonly #fnIds = new Map<string, number>();
  #state: 'running' | 'closed' | 'terminated' | 'broken' = 'running';
  #brokenBy: Error | null = null;
  #nextId = 1;
  #startupFailures = 0;
  #completed = 0;
  #failed = 0;
  /** Held while tasks are queued or running, so that a caller awaiting them keeps the process alive. */
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  /** Average ms between results of a busy worker (an estimate of the time per task). */
  #msPerTask = 1;
  #window = 8;

  constructor(options: PoolOptions | number | null = {}, initializer?: AnyFunction | null, initargs?: unknown[], maxtasksperchild?: number | null) {
    super();
    const o: PoolOptions = typeof options === 'number' || options === null ? { processes: options, initializer, initargs, maxtasksperchild } : options;
    if (typeof o !== 'object') throw new TypeError(`Pool: expected options or a number of processes, got ${describe(options)}`);
    this.#size = o.processes == null ? Math.max(1, availableParallelism()) : checkPositiveInt(o.processes, 'Pool: processes');
    const ctx = o.context;
    this.#method = ctx == null ? ((new.target as typeof Pool).startMethod ?? getStartMethod()!) : checkStartMethod(typeof ctx === 'string' ? ctx : ctx.startMethod);
    this.#initializer = o.initializer == null ? null : describeTarget(o.initializer, 'Pool initializer');
    this.#initargs = o.initargs ?? [];
    if (!Array.isArray(this.#initargs)) throw new TypeError(`Pool: initargs must be an array, got ${describe(this.#initargs)}`);
    this.#maxtasks = o.maxtasksperchild == null ? 0 : checkPositiveInt(o.maxtasksperchild, 'Pool: maxtasksperchild');
    for (let i = 0; i < this.#size; i++) this.spawn();
  }

  // ------------------------------------------------------------------ workers

  private spawn(): void {
    const wires = this.#recycled.pop() ?? { tasks: new Ring(PIPE_CAPACITY), results: new Ring(PIPE_CAPACITY), status: new RawArray('i', 2) };
    const { status } = wires;
    const [taskRead, taskWrite] = oneWay(wires.tasks);
    const [resultRead, resultWrite] = oneWay(wires.results);
    const Bound = boundProcess(this.#method);
    const proc = new Bound({ name: `PoolWorker-${++workerCounter}`, target: workerRef(), args: [taskRead, resultWrite, status, this.#initializer, this.#initargs, this.#maxtasks], daemon: true });
    proc.start();
    // The worker holds its own copies now; ours of its ends would keep EOF from coming.
    taskRead.close();
    resultWrite.close();
    const slot: Slot = { proc, wires, send: taskWrite, recv: resultRead, status, inflight: [], sent: 0, lastResultAt: 0, wakeReceiver: null, retired: false, keys: new Set(), chain: Promise.resolve(), waiting: 0, alive: true };
    this.#slots.add(slot);
    void this.receive(slot);
    void proc.whenExited().then(() => {
      slot.recv.peerGone();
      slot.wakeReceiver?.();
    });
  }

  /**
   * Takes a worker's results. While tasks are in flight and results came recently it polls from
   * the event loop (setImmediate) rather than sleeping: a result is then picked up within a few
   * microseconds, where waking a sleeping event loop costs tens (the apply round trip).
   */
  private async receive(slot: Slot): Promise<void> {
    let lastSeen = performance.now();
    for (;;) {
      let frame: unknown;
      try {
        while ((frame = slot.recv.tryRecv(NONE, readResultMessage)) !== NONE) {
          this.onResult(slot, frame as [number, boolean, unknown]);
          lastSeen = performance.now();
        }
        // A large result streams through the pipe: read it whole.
        if (slot.recv.hasData()) {
          this.onResult(slot, readResultFrame((await slot.recv.recvInBackground()) as Buffer, true));
          lastSeen = performance.now();
          continue;
        }
      } catch (e) {
        if (e instanceof EOFError) break;
        throw e;
      }
      if (slot.inflight.length > 0 && performance.now() - lastSeen < POLL_MS) await new Promise((r) => setImmediate(r));
      else {
        // Idle: nothing can arrive but what new work (or the worker's end) brings, and both kick
        // us; no sleeping wait (and no wake-up call from the worker) is needed. Busy with a long
        // task: sleep on the pipe too.
        const kicked = new Promise<void>((r) => (slot.wakeReceiver = r));
        await (slot.inflight.length === 0 ? kicked : Promise.race([slot.recv.whenReadableInBackground(), kicked]));
        slot.wakeReceiver = null;
        lastSeen = performance.now();
      }
    }
    await slot.proc.whenExited();
    this.onWorkerEnd(slot);
  }

  private onResult(slot: Slot, [id, ok, value]: [number, boolean, unknown]): void {
    // Results come back in the order the tasks were sent: almost always the first in flight.
    const i = slot.inflight[0]?.id === id ? 0 : slot.inflight.findIndex((t) => t.id === id);
    if (i < 0) return;
    const task = i === 0 ? slot.inflight.shift()! : slot.inflight.splice(i, 1)[0];
    const now = performance.now();
    if (slot.inflight.length > 0 && slot.lastResultAt > 0) {
      this.#msPerTask = 0.95 * this.#msPerTask + 0.05 * (now - slot.lastResultAt);
      this.#window = Math.max(WINDOW_MIN, Math.min(WINDOW_MAX, Math.ceil(WINDOW_WORK_MS / Math.max(this.#msPerTask, 1e-3))));
    }
    slot.lastResultAt = now;
    // The next task goes out before this result is taken apart (a map copies it into place);
    // a failure first cancels what is queued for its call.
    if (ok) this.dispatch();
    // A value whose class's module is being imported settles once it has its class; an error
    // whose class cannot be found here becomes a RemoteError.
    if (classesPending()) void classesLoaded().then(() => this.settleTask(task, ok, ok ? value : asRemoteError(value)));
    else this.settleTask(task, ok, ok ? value : asRemoteError(value));
    if (!ok) this.dispatch();
  }

  private onWorkerEnd(slot: Slot): void {
    slot.alive = false;
    this.#slots.delete(slot);
    slot.send.close();
    slot.recv.close();
    const code = slot.proc.exitcode;
    const running = Atomics.load(slot.status.view as Int32Array, ST_RUNNING);
    const ready = Atomics.load(slot.status.view as Int32Array, ST_READY) === 1;
    const lost = slot.inflight.filter((t) => !t.settled);
    // Its pipes serve the next worker, unless a send to it still waits for room (it would
    // write into them later).
    if (slot.waiting === 0) {
      slot.wires.tasks.recycle();
      slot.wires.results.recycle();
      (slot.status.view as Int32Array).fill(0);
      this.#recycled.push(slot.wires);
    }
    slot.inflight = [];
    const requeue: Task[] = [];
    this.holdWhileBusy();
    for (const t of lost) {
      if (t.id === running) {
        const how = code === null ? 'ended' : code < 0 ? `was killed by ${signalNames[-code] ?? `signal ${-code}`}` : `exited with code ${code}`;
        const err = new WorkerLostError(`the worker ${slot.proc.name} (pid ${slot.proc.pid}) ${how} while running this task`, code, code !== null && code < 0 ? (signalNames[-code] ?? null) : null);
        this.settleTask(t, false, err);
      } else requeue.push(t);
    }
    this.#queue.unshiftAll(requeue);
    if (this.#state === 'terminated') return;
    if (!ready && code !== 0) {
      if (++this.#startupFailures >= STARTUP_FAILURES) {
        this.breakPool(new ProcessError(`Pool: ${this.#startupFailures} workers in a row died while starting (last exit code ${code}); the pool is stopped`));
        return;
      }
    } else this.#startupFailures = 0;
    if (this.#state === 'running' || this.#queue.length > 0) {
      try {
        this.spawn();
      } catch (e) {
        // No replacement can start (the arena is full, say): the pool stops with that error
        // instead of taking the process down from inside its event loop.
        this.breakPool(e instanceof Error ? e : new ProcessError(String(e)));
        return;
      }
    }
    this.dispatch();
  }

  private breakPool(error: Error): void {
    this.#state = 'broken';
    this.#brokenBy = error;
    this.failEverything(error);
    for (const s of this.#slots) s.proc.kill();
  }

  private failEverything(error: Error): void {
    while (this.#queue.length) this.settleTask(this.#queue.shift(), false, error);
    for (const s of this.#slots) {
      for (const t of s.inflight) this.settleTask(t, false, error);
      s.inflight = [];
    }
    this.holdWhileBusy();
  }

  // ------------------------------------------------------------------ tasks

  private holdWhileBusy(): void {
    let busy = this.#queue.length > 0;
    for (const s of this.#slots) if (s.inflight.length) busy = true;
    if (busy && !this.#keepAlive) this.#keepAlive = setInterval(() => {}, 1 << 30);
    else if (!busy && this.#keepAlive) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
  }

  private dispatch(): void {
    this.holdWhileBusy();
    // What each worker gets now goes in one message.
    const batches = new Map<Slot, Task[]>();
    while (this.#queue.length) {
      let best: Slot | null = null;
      for (const s of this.#slots) {
        if (!s.alive || s.inflight.length >= this.#window || (this.#maxtasks > 0 && s.sent >= this.#maxtasks)) continue;
        if (!best || s.inflight.length < best.inflight.length) best = s;
      }
      if (!best) break;
      const task = this.#queue.shift();
      if (task.settled) continue;
      let batch = batches.get(best);
      if (!batch) batches.set(best, (batch = []));
      batch.push(task);
      best.inflight.push(task);
      best.sent++;
    }
    for (const [slot, tasks] of batches) {
      this.send(slot, tasks);
      slot.wakeReceiver?.();
    }
    if (this.#state === 'closed' && this.#queue.length === 0) {
      for (const s of this.#slots) if (s.alive && s.inflight.length === 0 && !s.retired) this.retire(s);
    }
  }

  private send(slot: Slot, tasks: Task[]): void {
    // Small tasks share a message; a large one goes alone, so that a worker can start on it
    // while the next is still being written (a message is read whole before it is run).
    const groups: Task[][] = [];
    let group: Task[] = [], bytes = 0;
    for (const task of tasks) {
      const size = approxSize(task.args);
      if (group.length && bytes + size > BATCH_BYTES) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(task);
      bytes += size;
    }
    if (group.length) groups.push(group);
    if (groups.length > 1) {
      for (const g of groups) this.send(slot, g);
      return;
    }
    let msg: Outgoing;
    try {
      msg = taskMessage(
        tasks.map((task) => {
          const first = !slot.keys.has(task.fn);
          slot.keys.add(task.fn);
          return { id: task.id, mode: task.mode, fn: task.fn, spec: first ? task.spec : null, single: task.args.length === 1, payload: this.encodeTask(task) };
        }),
      );
    } catch (e) {
      // Arguments that cannot be sent fail their own task only.
      if (tasks.length > 1) for (const task of tasks) this.send(slot, [task]);
      else {
        slot.inflight.splice(slot.inflight.indexOf(tasks[0]), 1);
        for (const task of tasks) slot.keys.delete(task.fn);
        this.settleTask(tasks[0], false, e);
      }
      return;
    }
    // Written now when it fits (the worker may be watching for it this very moment); else
    // behind the sends already waiting for room.
    if (slot.waiting === 0 && slot.send.trySendMessage(msg)) return;
    // Copied now: the arguments may change before there is room.
    const copy = msg.bytes();
    slot.waiting++;
    slot.chain = slot.chain
      .then(() => slot.send.sendBytes(copy))
      .catch((e) => {
        // The worker is gone (its pipe closed).
        if (!slot.alive) return;
        for (const task of tasks) {
          if (task.settled) continue;
          const i = slot.inflight.indexOf(task);
          if (i >= 0) slot.inflight.splice(i, 1);
          this.settleTask(task, false, e);
        }
      })
      .finally(() => slot.waiting--);
  }

  /** Tells an idle worker of a closed pool to finish. */
  private retire(slot: Slot): void {
    slot.retired = true;
    slot.waiting++;
    slot.chain = slot.chain
      .then(() => slot.send.send(null))
      .catch(() => {})
      .finally(() => slot.waiting--);
  }

  private settleTask(task: Task, ok: boolean, value: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (ok) this.#completed++;
    else this.#failed++;
    const call = task.call;
    call.taskDone(task, ok, value);
    if (this.listenerCount('progress')) this.emit('progress', this.stats());
  }

  private check(what: string): void {
    if (this.#state === 'broken') throw Object.assign(new ProcessError(`${what}: the pool is broken: ${this.#brokenBy!.message}`), { cause: this.#brokenBy });
    if (this.#state !== 'running') throw new ValueError(`${what}: the pool is ${this.#state}; no new work is accepted`);
  }

  private fnSpec(fn: AnyFunction | TargetRef, what: string): { fn: number; spec: TargetSpec } {
    if (typeof fn !== 'function' && (fn === null || typeof fn !== 'object')) throw new TypeError(`${what}: expected a function, got ${describe(fn)}`);
    let s = this.#specs.get(fn as object);
    if (!s) {
      const spec = describeTarget(fn, `${what} function`);
      const key = specKey(spec);
      let id = this.#fnIds.get(key);
      if (id === undefined) this.#fnIds.set(key, (id = this.#fnIds.size + 1));
      s = { fn: id, spec };
      this.#specs.set(fn as object, s);
    }
    return s;
  }

  /** Starts a call of n tasks; the call ends (once) on its first failure or when all are done. */
  private encodeTask(task: Task): Uint8Array[] {
    return (task.payload ??= encodeArgs(task.args, !task.ownsArgs));
  }

  private submit(what: string, fn: AnyFunction | TargetRef, mode: number, payloads: unknown[][], starts: number[], opts: TaskOptions | undefined, onValue: (task: Task, value: unknown) => void, onEnd: (ok: boolean, error?: unknown) => void, ownsArgs = false): void {
    const { fn: fnId, spec } = this.fnSpec(fn, what);
    const call = new Call(opts?.signal ?? null, payloads.length, onValue, onEnd, (c) => this.cancelCall(c));
    const end = (ok: boolean, error?: unknown) => call.end(ok, error);
    if (opts?.signal) {
      const signal = opts.signal;
      if (signal.aborted) throw signal.reason ?? new CancelledError();
      const onAbort = () => end(false, signal.reason ?? new CancelledError(`${what}: aborted`));
      signal.addEventListener('abort', onAbort, { once: true });
      call.cleanup.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (opts?.timeout !== undefined) {
      const ms = checkPositiveInt(opts.timeout, `${what}: timeout`, true);
      const timer = setTimeout(() => end(false, new TimeoutError(`${what}: not done within ${ms} ms`)), ms);
      call.cleanup.push(() => clearTimeout(timer));
    }
    for (let i = 0; i < payloads.length; i++) {
      const task: Task = { id: this.#nextId++, fn: fnId, spec, args: payloads[i], mode, call, at: starts[i], settled: false, payload: null, ownsArgs };
      call.tasks.push(task);
      this.#queue.push(task);
    }
    if (payloads.length === 0) end(true);
    this.dispatch();
    // What could not be sent yet is encoded now: the caller may change its arguments next.
    for (const task of call.tasks) {
      if (task.settled || task.payload) continue;
      try {
        this.encodeTask(task);
      } catch (e) {
        this.settleTask(task, false, e);
      }
    }
  }

  /** A failed or stopped call: its queued tasks are dropped, and a worker running one is replaced. */
  private cancelCall(call: Call): void {
    for (const t of call.tasks) {
      if (t.settled) continue;
      t.settled = true;
      for (const s of this.#slots) {
        if (s.inflight.includes(t) && Atomics.load(s.status.view as Int32Array, ST_RUNNING) === t.id) s.proc.kill();
      }
    }
  }

  /** @internal Cancels the calls made with this signal whose tasks have not started (concurrent.futures' cancel). */
  cancelUnstarted(signal: AbortSignal, error: unknown): void {
    const running = new Set<number>();
    for (const s of this.#slots) running.add(Atomics.load(s.status.view as Int32Array, ST_RUNNING));
    const calls = new Set<Call>();
    for (const t of this.#queue.toArray()) if (t.call.signal === signal) calls.add(t.call);
    for (const s of this.#slots) for (const t of s.inflight) if (t.call.signal === signal) calls.add(t.call);
    for (const c of calls) if (!c.tasks.some((t) => running.has(t.id))) c.end(false, error);
  }

  // ------------------------------------------------------------------ Python's API

  // Each call is typed from the function it is given (its parameters, its awaited result);
  // a { module, name } reference, or arguments that do not fit, take the untyped form.
  applyAsync<F extends TaskFunction>(fn: F, args?: Parameters<F>, options?: ResultCallbacks<ResultOf<F>> & TaskOptions): AsyncResult<ResultOf<F>>;
  applyAsync<T = unknown>(fn: TargetRef, args?: unknown[], options?: ResultCallbacks<T> & TaskOptions): AsyncResult<T>;
  applyAsync<T = unknown>(fn: AnyFunction | TargetRef, args: unknown[] = [], options: ResultCallbacks<T> & TaskOptions = {}): AsyncResult<T> {
    this.check('Pool.applyAsync');
    if (!Array.isArray(args)) throw new TypeError(`Pool.applyAsync: args must be an array, got ${describe(args)}`);
    const result = new AsyncResult<T>(options);
    let value: unknown;
    this.submit('Pool.applyAsync', fn, APPLY, [args], [0], options, (_t, v) => (value = v), (ok, e) => result.settle(ok, ok ? value : e));
    return result;
  }
  /** fn(...args) in a worker. */
  apply<F extends TaskFunction>(fn: F, args?: Parameters<F>, options?: TaskOptions): Promise<ResultOf<F>>;
  apply<T = unknown>(fn: TargetRef, args?: unknown[], options?: TaskOptions): Promise<T>;
  apply<T = unknown>(fn: AnyFunction | TargetRef, args: unknown[] = [], options?: TaskOptions): Promise<T> {
    try {
      // (the overloads type the caller's function; the implementation takes any target)
      return this.applyAsync<T>(fn as TargetRef, args, options ?? {}).get();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private listAsync<T>(what: string, fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, mode: number, options: { chunksize?: number | null } & ResultCallbacks<T[]> & TaskOptions): AsyncResult<T[]> {
    this.check(what);
    if (iterable == null || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TypeError(`${what}: expected an iterable, got ${describe(iterable)}`);
    // An array is sliced into chunks right away; anything else is read into one first, as Python does.
    const items = Array.isArray(iterable) ? (iterable as unknown[]) : Array.from(iterable);
    const chunksize = options.chunksize == null ? this.defaultChunksize(items.length) : checkPositiveInt(options.chunksize, `${what}: chunksize`);
    const payloads: unknown[][] = [], starts: number[] = [];
    // Plain numbers are packed once and cut into views (each travels as raw bytes).
    const packed = mode === MAP && chunksize >= 16 ? packNumbers(items) : items;
    for (let i = 0; i < items.length; i += chunksize) {
      payloads.push((ArrayBuffer.isView(packed) ? packed.subarray(i, i + chunksize) : items.slice(i, i + chunksize)) as unknown[]);
      starts.push(i);
    }
    const out = new Array<unknown>(items.length);
    const result = new AsyncResult<T[]>(options);
    this.submit(what, fn, mode, payloads, starts, options, (task, values) => {
      if (values instanceof Float64Array) copyNumbers(out, task.at, values);
      else copyValues(out, task.at, values as unknown[]);
    }, (ok, e) => result.settle(ok, ok ? out : e), ArrayBuffer.isView(packed));
    return result;
  }

  /** CPython's default: divide the items among 4x the workers. */
  private defaultChunksize(n: number): number {
    const per = Math.floor(n / (this.#size * 4)), extra = n % (this.#size * 4);
    return Math.max(1, per + (extra ? 1 : 0));
  }

  mapAsync<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: { chunksize?: number | null } & ResultCallbacks<ResultOf<F>[]> & TaskOptions): AsyncResult<ResultOf<F>[]>;
  mapAsync<T = unknown>(fn: TargetRef, iterable: Iterable<unknown>, options?: { chunksize?: number | null } & ResultCallbacks<T[]> & TaskOptions): AsyncResult<T[]>;
  mapAsync<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, options: { chunksize?: number | null } & ResultCallbacks<T[]> & TaskOptions = {}): AsyncResult<T[]> {
    return this.listAsync('Pool.mapAsync', fn, iterable, MAP, options);
  }
  /** [fn(x) for x in iterable], in order; fails with the first error. */
  map<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]>, options?: { chunksize?: number | null } & TaskOptions): Promise<ResultOf<F>[]>;
  map<T = unknown>(fn: TargetRef, iterable: Iterable<unknown>, options?: { chunksize?: number | null } & TaskOptions): Promise<T[]>;
  map<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown>, options: { chunksize?: number | null } & TaskOptions = {}): Promise<T[]> {
    try {
      return this.listAsync<T>('Pool.map', fn, iterable, MAP, options).get();
    } catch (e) {
      return Promise.reject(e);
    }
  }
  starmapAsync<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options?: { chunksize?: number | null } & ResultCallbacks<ResultOf<F>[]> & TaskOptions): AsyncResult<ResultOf<F>[]>;
  starmapAsync<T = unknown>(fn: TargetRef, iterable: Iterable<unknown[]>, options?: { chunksize?: number | null } & ResultCallbacks<T[]> & TaskOptions): AsyncResult<T[]>;
  starmapAsync<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown[]>, options: { chunksize?: number | null } & ResultCallbacks<T[]> & TaskOptions = {}): AsyncResult<T[]> {
    return this.listAsync('Pool.starmapAsync', fn, iterable, STARMAP, options);
  }
  /** [fn(...args) for args in iterable]. */
  starmap<F extends TaskFunction>(fn: F, iterable: Iterable<Parameters<F>>, options?: { chunksize?: number | null } & TaskOptions): Promise<ResultOf<F>[]>;
  starmap<T = unknown>(fn: TargetRef, iterable: Iterable<unknown[]>, options?: { chunksize?: number | null } & TaskOptions): Promise<T[]>;
  starmap<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown[]>, options: { chunksize?: number | null } & TaskOptions = {}): Promise<T[]> {
    try {
      return this.listAsync<T>('Pool.starmap', fn, iterable, STARMAP, options).get();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Results in order, pulling the input lazily (an endless iterable works). */
  imap<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options?: { chunksize?: number } & TaskOptions): IMapIterator<ResultOf<F>>;
  imap<T = unknown>(fn: TargetRef, iterable: Iterable<unknown> | AsyncIterable<unknown>, options?: { chunksize?: number } & TaskOptions): IMapIterator<T>;
  imap<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: { chunksize?: number } & TaskOptions = {}): IMapIterator<T> {
    this.check('Pool.imap');
    return new IMapIterator<T>(this, fn, iterable, options, true);
  }
  /** Results as they complete, pulling the input lazily. */
  imapUnordered<F extends (item: never) => unknown>(fn: F, iterable: Iterable<Parameters<F>[0]> | AsyncIterable<Parameters<F>[0]>, options?: { chunksize?: number } & TaskOptions): IMapIterator<ResultOf<F>>;
  imapUnordered<T = unknown>(fn: TargetRef, iterable: Iterable<unknown> | AsyncIterable<unknown>, options?: { chunksize?: number } & TaskOptions): IMapIterator<T>;
  imapUnordered<T = unknown>(fn: AnyFunction | TargetRef, iterable: Iterable<unknown> | AsyncIterable<unknown>, options: { chunksize?: number } & TaskOptions = {}): IMapIterator<T> {
    this.check('Pool.imapUnordered');
    return new IMapIterator<T>(this, fn, iterable, options, false);
  }

  /** @internal One chunk of an imap: resolves with its results. */
  chunk(fn: AnyFunction | TargetRef, items: unknown[], options: TaskOptions | undefined): Promise<unknown[]> {
    this.check('Pool.imap');
    return new Promise((resolve, reject) => {
      let values: unknown[] = [];
      this.submit('Pool.imap', fn, MAP, [items], [0], options, (_t, v) => (values = v as unknown[]), (ok, e) => (ok ? resolve(values) : reject(e)));
    });
  }
  /** @internal */
  get size(): number {
    return this.#size;
  }

  /** No more tasks; the workers end when the queued ones are done. */
  close(): void {
    if (this.#state === 'running') this.#state = 'closed';
    this.dispatch();
  }

  /** Ends the workers now; unfinished results reject with ProcessError. */
  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.failEverything(new ProcessError('the pool was terminated before this task finished'));
    for (const s of this.#slots) s.proc.kill();
  }

  /** Waits for the workers to end (after close() or terminate()). */
  async join(): Promise<void> {
    if (this.#state === 'running') throw new ValueError('Pool.join: call close() or terminate() first');
    for (;;) {
      const live = [...this.#slots];
      if (!live.length) return;
      await Promise.all(live.map((s) => s.proc.join()));
      await new Promise((r) => setImmediate(r));
    }
  }

  stats(): PoolStats {
    let busy = 0;
    for (const s of this.#slots) if (s.inflight.length) busy++;
    let inflight = 0;
    for (const s of this.#slots) inflight += s.inflight.length;
    return { workers: this.#slots.size, busy, queued: this.#queue.length + inflight - busy, completed: this.#completed, failed: this.#failed };
  }

  /** `await using pool = new Pool()`: terminates, like Python's `with Pool() as p`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }

  /** pids of the current workers. */
  get pids(): number[] {
    return [...this.#slots].map((s) => s.proc.pid!).filter((p) => p != null);
  }
}

const bound = new Map<StartMethod, typeof Process>();
function boundProcess(m: StartMethod): typeof Process {
  let B = bound.get(m);
  if (!B) {
    B = class extends Process {
      static override startMethod: StartMethod | null = m;
    };
    Object.defineProperty(B, 'name', { value: 'PoolWorker' });
    bound.set(m, B);
  }
  return B;
}
