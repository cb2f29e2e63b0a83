// One worker of a local pool: the Process it runs in, its two private pipes (tasks in, results
// out) and two status words, the tasks it has been sent, and the loop that takes its results.
// The scheduler decides what a worker gets and what a result or a worker's end means; a slot
// only moves bytes and tells its owner.
import { oneWay, PIPE_CAPACITY, type Connection } from '../../connection/connection.js';
import { Ring } from '../../connection/ring.js';
import type { Outgoing } from '../../connection/message.js';
import { EOFError } from '../../errors.js';
import { Process } from '../../process/process.js';
import type { StartMethod } from '../../process/runtime.js';
import { RawArray } from '../../shared/array.js';
import type { TargetSpec } from '../../targets/describe.js';
import { esmDir } from '../../util/here.js';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { readResultFrame, readResultMessage, ST_READY, ST_RUNNING } from '../protocol.js';
import { bindStartMethod } from '../../process/context.js';

/** How long (ms) after its last result a worker with tasks in flight is polled rather than slept on. */
const POLL_MS = 0.5;
const NONE = Symbol('none');
let workerCounter = 0;
const workerRef = () => ({ module: pathToFileURL(join(esmDir, 'pool', 'worker.js')).href, name: 'poolWorker' });

/** What connects the pool to one worker: its two pipes and its status words. */
export interface WorkerWires {
  tasks: Ring;
  results: Ring;
  status: RawArray<'i'>;
}

/** What a slot tells its pool. */
export interface SlotOwner<T> {
  onResult(slot: WorkerSlot<T>, id: number, ok: boolean, value: unknown): void;
  /** The worker's process ended and its pipe is drained. */
  onEnd(slot: WorkerSlot<T>): void;
}

export interface WorkerArgs {
  method: StartMethod;
  initializer: TargetSpec | null;
  initargs: unknown[];
  maxtasks: number;
}

export class WorkerSlot<T> {
  readonly proc: Process;
  readonly #send: Connection;
  readonly #recv: Connection;
  /** The tasks sent to it and not yet answered, in the order sent. */
  inflight: T[] = [];
  sent = 0;
  /** when its last result arrived (for the time per task) */
  lastResultAt = 0;
  /** told to finish (closed pool) */
  retired = false;
  /** the function ids this worker has been sent the spec of */
  readonly keys = new Set<number>();
  alive = true;
  /** Set while its receiver sleeps: new work wakes it into polling. */
  #wakeReceiver: (() => void) | null = null;
  /** Sends that wait for room in the worker's pipe, in order; later ones queue behind them. */
  #chain: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(
    private readonly owner: SlotOwner<T>,
    readonly wires: WorkerWires,
    args: WorkerArgs,
  ) {
    const [taskRead, taskWrite] = oneWay(wires.tasks);
    const [resultRead, resultWrite] = oneWay(wires.results);
    const Bound = bindStartMethod(Process, args.method, 'PoolWorker');
    this.proc = new Bound({ name: `PoolWorker-${++workerCounter}`, target: workerRef(), args: [taskRead, resultWrite, wires.status, args.initializer, args.initargs, args.maxtasks], daemon: true });
    this.proc.start();
    // The worker holds its own copies now; ours of its ends would keep EOF from coming.
    taskRead.close();
    resultWrite.close();
    this.#send = taskWrite;
    this.#recv = resultRead;
    void this.receive();
    void this.proc.whenExited().then(() => {
      this.#recv.peerGone();
      this.#wakeReceiver?.();
    });
  }

  /** New pipes and status words, or those of a worker that ended. */
  static wires(recycled: WorkerWires[]): WorkerWires {
    return recycled.pop() ?? { tasks: new Ring(PIPE_CAPACITY), results: new Ring(PIPE_CAPACITY), status: new RawArray('i', 2) };
  }

  /** The id of the task the worker is running (0: none). */
  running(): number {
    return Atomics.load(this.wires.status.view as Int32Array, ST_RUNNING);
  }
  /** Whether its initializer has finished. */
  ready(): boolean {
    return Atomics.load(this.wires.status.view as Int32Array, ST_READY) === 1;
  }
  /** Work was queued for it: a sleeping receiver starts polling. */
  kick(): void {
    this.#wakeReceiver?.();
  }

  /**
   * Writes a message now when it fits (the worker may be watching for it this very moment);
   * else behind the sends already waiting for room. `onFailed` runs if the worker is gone
   * before it could be written.
   */
  write(msg: Outgoing, onFailed: (e: unknown) => void): void {
    if (this.#waiting === 0 && this.#send.trySendMessage(msg)) return;
    // Copied now: the arguments may change before there is room.
    const copy = msg.bytes();
    this.#waiting++;
    this.#chain = this.#chain
      .then(() => this.#send.sendBytes(copy))
      .catch((e) => {
        // The worker is gone (its pipe closed).
        if (this.alive) onFailed(e);
      })
      .finally(() => this.#waiting--);
  }

  /** Tells an idle worker of a closed pool to finish. */
  retire(): void {
    this.retired = true;
    this.#waiting++;
    this.#chain = this.#chain
      .then(() => this.#send.send(null))
      .catch(() => {})
      .finally(() => this.#waiting--);
  }

  /**
   * After the end: closes our ends, and gives the pipes to `recycled` for a replacement (arena
   * memory is never given back, so a pool with maxtasksperchild replacing thousands of workers
   * would otherwise fill it, 512 KiB a worker), unless a send still waits to write into them.
   */
  release(recycled: WorkerWires[]): void {
    this.alive = false;
    this.#send.close();
    this.#recv.close();
    if (this.#waiting === 0) {
      this.wires.tasks.recycle();
      this.wires.results.recycle();
      (this.wires.status.view as Int32Array).fill(0);
      recycled.push(this.wires);
    }
  }

  /**
   * Takes the worker's results. While tasks are in flight and results came recently it polls
   * from the event loop (setImmediate) rather than sleeping: a result is then picked up within a
   * few microseconds, where waking a sleeping event loop costs tens (the apply round trip).
   */
  private async receive(): Promise<void> {
    let lastSeen = performance.now();
    const take = ([id, ok, value]: [number, boolean, unknown]) => this.owner.onResult(this, id, ok, value);
    for (;;) {
      let frame: unknown;
      try {
        while ((frame = this.#recv.tryRecv(NONE, readResultMessage)) !== NONE) {
          take(frame as [number, boolean, unknown]);
          lastSeen = performance.now();
        }
        // A large result streams through the pipe: read it whole.
        if (this.#recv.hasData()) {
          take(readResultFrame((await this.#recv.recvInBackground()) as Buffer, true));
          lastSeen = performance.now();
          continue;
        }
      } catch (e) {
        if (e instanceof EOFError) break;
        throw e;
      }
      if (this.inflight.length > 0 && performance.now() - lastSeen < POLL_MS) await new Promise((r) => setImmediate(r));
      else {
        // Idle: nothing can arrive but what new work (or the worker's end) brings, and both kick
        // us; no sleeping wait (and no wake-up call from the worker) is needed. Busy with a long
        // task: sleep on the pipe too.
        const kicked = new Promise<void>((r) => (this.#wakeReceiver = r));
        await (this.inflight.length === 0 ? kicked : Promise.race([this.#recv.whenReadableInBackground(), kicked]));
        this.#wakeReceiver = null;
        lastSeen = performance.now();
      }
    }
    await this.proc.whenExited();
    this.owner.onEnd(this);
  }
}

/** Process bound to a start method (a pool's workers use its method, whatever the default). */
