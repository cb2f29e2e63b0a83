// The local backend's scheduler: a pool's tasks on this machine's workers. It keeps a few tasks
// in flight per worker (an adaptive window), batches what a worker gets at once into one
// message, and knows which task each worker is running. When a worker dies, that task fails
// with WorkerLostError, the tasks queued behind it go back to the front of the queue (they never
// started), and a new worker takes its place, so no task is lost or run twice.
import { availableParallelism } from 'node:os';
import { ProcessError, ValueError, WorkerLostError } from '../../errors.js';
import { asRemoteError } from '../../codec/codec.js';
import { classesLoaded, classesPending } from '../../codec/classes.js';
import { Fifo } from '../../queues/fifo.js';
import { describeTarget, type TargetSpec } from '../../targets/describe.js';
import { describe } from '../../util/options.js';
import { signalNames } from '../../util/signals.js';
import type { Outgoing } from '../../connection/message.js';
import type { CallRequest, PoolSettings, PoolStats, Scheduler } from '../backend.js';
import { Call } from '../call.js';
import { encodeArgs, taskMessage, type Mode } from '../protocol.js';
import { WorkerSlot, type WorkerArgs, type WorkerWires } from './slot.js';

/**
 * Tasks in flight per worker: enough to keep it fed across the parent's wake-up latency, few
 * enough that a slow task does not hold many others behind it. It adapts to the measured time
 * per task: about 5 ms of work per worker, between 2 and 256 tasks.
 */
const WINDOW_MIN = 2, WINDOW_MAX = 256, WINDOW_WORK_MS = 5;
/** Tasks share a message up to about this many bytes of arguments. */
const BATCH_BYTES = 16 * 1024;
/** Workers that die before their initializer finishes, in a row, before the pool gives up. */
const STARTUP_FAILURES = 3;

/** A cheap guess of a task's encoded size (exact for numeric chunks). */
function approxSize(args: unknown): number {
  if (ArrayBuffer.isView(args)) return args.byteLength;
  return Array.isArray(args) ? 16 * args.length : 16;
}
const specKey = (spec: TargetSpec): string => (spec.kind === 'export' ? `${spec.module}#${spec.name}` : `src:${spec.source}`);

interface Task {
  id: number;
  /** the function's id in this pool */
  fn: number;
  spec: TargetSpec;
  args: unknown[];
  mode: Mode;
  call: Call<Task>;
  /** its place among its call's tasks */
  index: number;
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
type Slot = WorkerSlot<Task>;

/** What a local worker's life looks like from outside (the worker command logs it). */
export interface WorkerEvent {
  event: 'start' | 'exit';
  name: string;
  pid: number | null;
  exitcode: number | null;
}

export class LocalScheduler implements Scheduler {
  readonly size: number;
  readonly #worker: WorkerArgs;
  readonly #slots = new Set<Slot>();
  /** The pipes and status words of workers that ended, for their replacements. */
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

  constructor(
    private readonly settings: PoolSettings,
    private readonly onWorker: ((e: WorkerEvent) => void) | null = null,
  ) {
    this.size = settings.processes ?? Math.max(1, availableParallelism());
    this.#worker = { method: settings.startMethod, initializer: settings.initializer, initargs: settings.initargs, maxtasks: settings.maxtasksperchild };
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  // ------------------------------------------------------------------ workers

  private spawn(): void {
    const slot: Slot = new WorkerSlot(this, WorkerSlot.wires(this.#recycled), this.#worker);
    this.#slots.add(slot);
    this.onWorker?.({ event: 'start', name: slot.proc.name, pid: slot.proc.pid ?? null, exitcode: null });
  }

  onResult(slot: Slot, id: number, ok: boolean, value: unknown): void {
    // Results come back in the order the tasks were sent: almost always the first in flight.
    const i = (slot.inflight[0] as Task | undefined)?.id === id ? 0 : slot.inflight.findIndex((t) => t.id === id);
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

  onEnd(slot: Slot): void {
    this.#slots.delete(slot);
    const code = slot.proc.exitcode;
    const running = slot.running();
    const ready = slot.ready();
    const lost = slot.inflight.filter((t) => !t.settled);
    slot.release(this.#recycled);
    this.onWorker?.({ event: 'exit', name: slot.proc.name, pid: slot.proc.pid ?? null, exitcode: code });
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
    const maxtasks = this.#worker.maxtasks;
    // What each worker gets now goes in one message.
    const batches = new Map<Slot, Task[]>();
    while (this.#queue.length) {
      let best: Slot | null = null;
      for (const s of this.#slots) {
        if (!s.alive || s.inflight.length >= this.#window || (maxtasks > 0 && s.sent >= maxtasks)) continue;
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
      slot.kick();
    }
    if (this.#state === 'closed' && this.#queue.length === 0) {
      for (const s of this.#slots) if (s.alive && s.inflight.length === 0 && !s.retired) s.retire();
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
    slot.write(msg, (e) => {
      for (const task of tasks) {
        if (task.settled) continue;
        const i = slot.inflight.indexOf(task);
        if (i >= 0) slot.inflight.splice(i, 1);
        this.settleTask(task, false, e);
      }
    });
  }

  private settleTask(task: Task, ok: boolean, value: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (ok) this.#completed++;
    else this.#failed++;
    task.call.taskDone(task, ok, value);
    this.settings.onSettled();
  }

  private encodeTask(task: Task): Uint8Array[] {
    return (task.payload ??= encodeArgs(task.args, !task.ownsArgs));
  }

  private fnSpec(fn: CallRequest['fn'], what: string): { fn: number; spec: TargetSpec } {
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

  // ------------------------------------------------------------------ the Scheduler interface

  check(what: string): void {
    if (this.#state === 'broken') throw Object.assign(new ProcessError(`${what}: the pool is broken: ${this.#brokenBy!.message}`), { cause: this.#brokenBy });
    if (this.#state !== 'running') throw new ValueError(`${what}: the pool is ${this.#state}; no new work is accepted`);
  }

  submit(req: CallRequest): void {
    const { fn: fnId, spec } = this.fnSpec(req.fn, req.what);
    const call = new Call<Task>(req.what, req.tasks.length, req.options, (task, value) => req.onValue(task.index, value), req.onEnd, (c) => this.cancelCall(c));
    for (let i = 0; i < req.tasks.length; i++) {
      const task: Task = { id: this.#nextId++, fn: fnId, spec, args: req.tasks[i], mode: req.mode, call, index: i, settled: false, payload: null, ownsArgs: req.ownsArgs };
      call.tasks.push(task);
      this.#queue.push(task);
    }
    if (req.tasks.length === 0) call.end(true);
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
  private cancelCall(call: Call<Task>): void {
    for (const t of call.tasks) {
      if (t.settled) continue;
      t.settled = true;
      for (const s of this.#slots) if (s.inflight.includes(t) && s.running() === t.id) s.proc.kill();
    }
  }

  cancelUnstarted(signal: AbortSignal, error: unknown): void {
    const running = new Set<number>();
    for (const s of this.#slots) running.add(s.running());
    const calls = new Set<Call<Task>>();
    for (const t of this.#queue.toArray()) if (t.call.signal === signal) calls.add(t.call);
    for (const s of this.#slots) for (const t of s.inflight) if (t.call.signal === signal) calls.add(t.call);
    for (const c of calls) if (!c.tasks.some((t) => running.has(t.id))) c.end(false, error);
  }

  close(): void {
    if (this.#state === 'running') this.#state = 'closed';
    this.dispatch();
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.failEverything(new ProcessError('the pool was terminated before this task finished'));
    for (const s of this.#slots) s.proc.kill();
  }

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
    let busy = 0, inflight = 0;
    for (const s of this.#slots) {
      if (s.inflight.length) busy++;
      inflight += s.inflight.length;
    }
    return { workers: this.#slots.size, busy, queued: this.#queue.length + inflight - busy, completed: this.#completed, failed: this.#failed };
  }

  get pids(): number[] {
    return [...this.#slots].map((s) => s.proc.pid!).filter((p) => p != null);
  }
}
