// Queue, JoinableQueue and SimpleQueue on one Ring. Like CPython's, Queue.put never waits for
// the consumer (only for `maxsize`): what does not fit in the ring now waits in this process's
// buffer, and a flusher (CPython's feeder thread) moves it in as room appears. The flusher keeps
// the process alive until it is done, so items put before a producer returns all arrive;
// cancelJoinThread() lets the process end without it. SimpleQueue writes directly (waiting for
// room, as CPython's does on its pipe).
import { registerKind, SEND } from '../codec/codec.js';
import { whenClassesLoaded } from '../codec/classes.js';
import { core } from '../core/core.js';
import { EmptyError, FullError, TimeoutError, ValueError } from '../errors.js';
import { WAITABLE, type WaitTarget } from '../process/waitable.js';
import { waitReadable } from '../connection/connection.js';
import { senderOf, type Sender } from '../connection/sender.js';
import { Ring } from '../connection/ring.js';
import { decodeIncoming, decodeOutgoing, outgoing, type Outgoing } from '../connection/message.js';
import { Fifo } from './fifo.js';
import { expired, NOT_EQUAL, runAsync, runSync, type Steps } from '../core/steps.js';
import { blockOptions, deadlineOf, waitOptions, type BlockArg, type WaitOptions } from '../util/options.js';
import { promised } from '../util/promised.js';

/** Ring bytes of a queue: items larger than half of it stream through. */
export const QUEUE_CAPACITY = 1 << 18;
const ITEMS = 0, ITEMS_SLEEPERS = 1, UNFINISHED = 2, UNFINISHED_SLEEPERS = 3;
const NONE = Symbol('none');
const FLUSH_SLICE_MS = 100;

type QueueHandle = { ring: Ring; maxsize: number };
/** `{ block?, timeout?, signal? }`, a timeout in ms, or Python's positional `block` (then `timeout`). */
export type QueueOptions = BlockArg;
type PutOptions = QueueOptions;

abstract class QueueBase {
  protected readonly ring: Ring;
  protected closedHere = false;

  constructor(ring: Ring) {
    this.ring = ring;
  }

  toString(): string {
    return `<${this.constructor.name}${this.closedHere ? ' closed' : ''}>`;
  }

  protected word(w: number): number {
    return this.ring.word(w);
  }
  protected check(what: string): void {
    if (this.closedHere) throw new ValueError(`${what}: the queue is closed`);
  }

  private getSteps(block: boolean, ms: number, what: string): Steps<unknown> {
    this.check(what);
    return this.taken(block ? deadlineOf(ms) : 0, what);
  }
  private *taken(deadline: number, what: string): Steps<unknown> {
    // This process's own buffered items go first when the ring has nothing (CPython's feeder
    // thread would have moved them in while we waited).
    let v = this.fromOwnBuffer(NONE);
    if (v === NONE) v = yield* this.ring.readSteps(decodeIncoming, deadline, NONE);
    if (v === NONE) throw new EmptyError(`${what}: the queue is empty`);
    this.afterGet();
    return v;
  }
  protected fromOwnBuffer<U>(none: U): unknown {
    return none;
  }
  /** The fast path of get: an item that is there now, or NONE. */
  private tryGet(): unknown {
    if (this.closedHere) return NONE;
    const v = this.ring.tryRead(decodeIncoming, NONE);
    if (v !== NONE) this.afterGet();
    return v;
  }
  protected afterGet(): void {}

  /**
   * Removes and returns an item; EmptyError after the timeout (at once with { block: false }).
   * An abort of `signal` rejects with its reason and takes no item.
   */
  get(options?: PutOptions, timeout?: number | null): Promise<unknown> {
    return promised(() => {
      if (options === undefined && timeout === undefined) {
        const v = this.tryGet();
        if (v !== NONE) return Promise.resolve(whenClassesLoaded(v));
      }
      const what = `${this.constructor.name}.get`;
      const { block, ms, signal } = blockOptions(options, what, timeout);
      signal?.throwIfAborted();
      // (A value whose class's module is being imported comes once it has its class.)
      return runAsync(core(), this.getSteps(block, ms, what), { signal }).then(whenClassesLoaded);
    });
  }
  getSync(options?: PutOptions, timeout?: number | null): unknown {
    if (options === undefined && timeout === undefined) {
      const v = this.tryGet();
      if (v !== NONE) return v;
    }
    const what = `${this.constructor.name}.getSync`;
    const { block, ms } = blockOptions(options, what, timeout);
    return runSync(core(), this.getSteps(block, ms, what));
  }
  getNowait(): unknown {
    return this.getSync({ block: false });
  }

  close(): void {
    this.closedHere = true;
  }

  #reader: { [WAITABLE](): WaitTarget } | null = null;
  /** What mp.wait() takes for this queue (CPython's `q._reader`); the queue itself works too. */
  get reader(): { [WAITABLE](): WaitTarget } {
    return (this.#reader ??= { [WAITABLE]: () => this[WAITABLE]() });
  }
  [WAITABLE](): WaitTarget {
    const ring = this.ring;
    return { ready: () => ring.readable(), whenReady: (ms, signal) => waitReadable(ring, ms, false, signal ?? null) };
  }
}

export class SimpleQueue extends QueueBase {
  /** This thread's ordered sender on the ring (made with the queue: puts are hot). */
  readonly #sender: Sender;
  constructor(ring?: Ring) {
    super(ring instanceof Ring ? ring : new Ring(QUEUE_CAPACITY));
    this.#sender = senderOf(this.ring);
  }
  /** Puts an item, waiting for room in the ring if the consumer is behind; puts keep their call order. */
  put(obj: unknown): Promise<void> {
    return promised(() => {
      this.check('SimpleQueue.put');
      return this.#sender.send(obj, null);
    });
  }
  putSync(obj: unknown): void {
    this.check('SimpleQueue.putSync');
    this.#sender.sendSync(obj, null, 'SimpleQueue.putSync');
  }
  empty(): boolean {
    return !this.ring.readable();
  }
  [SEND](): { kind: string; data: unknown } {
    return { kind: 'queues.SimpleQueue', data: { ring: this.ring } };
  }
}
registerKind('queues.SimpleQueue', (d) => new SimpleQueue((d as { ring: Ring }).ring));

export class Queue extends QueueBase {
  readonly maxsize: number;
  /** Items waiting for room: raw strings and (copied) bytes, or encoded messages. */
  readonly #pending = new Fifo<string | Uint8Array | Outgoing>();
  /** The flusher runs (set before it starts, cleared when it ends: it may end synchronously). */
  #flushRunning = false;
  #flushed: Promise<void> = Promise.resolve();
  #cancelJoin = false;
  #streaming = false;

  /** maxsize: 0 (or less) for unbounded, as in Python. */
  constructor(maxsize: number | QueueHandle = 0) {
    if (typeof maxsize === 'object' && maxsize !== null && maxsize.ring instanceof Ring) {
      super(maxsize.ring);
      this.maxsize = maxsize.maxsize;
      return;
    }
    if (typeof maxsize !== 'number' || !Number.isInteger(maxsize)) throw new TypeError(`${new.target.name}(maxsize): expected an integer, got ${String(maxsize)}`);
    super(new Ring(QUEUE_CAPACITY));
    this.maxsize = Math.max(0, maxsize);
  }

  private *reserveSteps(block: boolean, deadline: number, what: string): Steps<void> {
    const i32 = core().i32, w = this.word(ITEMS);
    if (this.maxsize === 0) {
      Atomics.add(i32, w, 1);
      return;
    }
    for (;;) {
      const n = Atomics.load(i32, w);
      if (n < this.maxsize) {
        if (Atomics.compareExchange(i32, w, n, n + 1) === n) return;
        continue;
      }
      if (!block || expired(deadline)) throw new FullError(`${what}: the queue is full (maxsize ${this.maxsize})`);
      if ((yield { index: w, expected: n, deadline, spin: true }) === NOT_EQUAL) continue;
      Atomics.add(i32, this.word(ITEMS_SLEEPERS), 1);
      yield { index: w, expected: n, deadline };
      Atomics.sub(i32, this.word(ITEMS_SLEEPERS), 1);
    }
  }

  private *putSteps(obj: unknown, block: boolean, ms: number, what: string): Steps<void> {
    this.check(what);
    if (typeof obj !== 'string' && !(obj instanceof Uint8Array)) outgoing(obj, 'obj'); // encoding errors surface here, at the put
    yield* this.reserveSteps(block, block ? deadlineOf(ms) : 0, what);
    this.enqueue(obj);
  }
  /** In order: straight into the ring if nothing is buffered and it fits now, else buffered. */
  private enqueue(obj: unknown): void {
    this.beforePut();
    if (this.#pending.length === 0 && this.ring.tryWrite(obj)) return;
    // As in CPython (whose feeder thread pickles an item when it moves it), a buffered byte
    // array is kept by reference, not copied: changing it before it reaches the ring changes
    // what is sent. Other values were encoded at put().
    const item = typeof obj === 'string' || obj instanceof Uint8Array ? obj : outgoing(obj, 'obj');
    if (this.#pending.length === 0 && this.writeNow(item)) return;
    this.#pending.push(item);
    this.startFlush();
  }
  /** Writes a buffered item if it fits now, without waiting. */
  private writeNow(item: string | Uint8Array | Outgoing): boolean {
    if (typeof item === 'string' || item instanceof Uint8Array) return this.ring.tryWrite(item) || runSync(core(), this.ring.writeSteps(outgoing(item, 'obj'), 0));
    return runSync(core(), this.ring.writeSteps(item, 0));
  }
  private static asOutgoing(item: string | Uint8Array | Outgoing): Outgoing {
    return typeof item === 'string' || item instanceof Uint8Array ? outgoing(item, 'obj') : item;
  }

  protected override fromOwnBuffer<U>(none: U): unknown {
    const pending = this.#pending;
    if (this.#streaming) return none;
    while (pending.length && !this.ring.readable() && this.writeNow(pending.peek())) pending.shift();
    if (pending.length && !this.ring.readable()) return decodeOutgoing(Queue.asOutgoing(pending.shift()));
    return none;
  }
  protected beforePut(): void {}

  private startFlush(): void {
    if (this.#flushRunning) return;
    this.#flushRunning = true;
    this.#flushed = this.flush();
  }

  private async flush(): Promise<void> {
    const c = core(), pending = this.#pending;
    try {
      while (pending.length) {
        // Everything that fits now, in one go; then wait for room (without the write lock,
        // so that a get() in this thread may still take our items from the buffer).
        while (pending.length && this.writeNow(pending.peek())) pending.shift();
        if (!pending.length) break;
        const head = Queue.asOutgoing(pending.peek());
        if (this.#cancelJoin) await new Promise((r) => setTimeout(r, 1).unref());
        // In slices, so that a cancelJoinThread() made meanwhile is seen within one.
        else if (!this.ring.streams(head.length)) await runAsync(c, this.ring.roomForSteps(head.length, deadlineOf(FLUSH_SLICE_MS)));
        else {
          // A large item streams while holding the write lock; this buffer must not give it away meanwhile.
          this.#streaming = true;
          try {
            if (await runAsync(c, this.ring.writeSteps(head, -1))) pending.shift();
          } finally {
            this.#streaming = false;
          }
        }
      }
    } finally {
      this.#flushRunning = false;
    }
  }

  /** Puts an item; waits only while a bounded queue is full (FullError after the timeout). */
  /** An abort of `signal` (while a bounded queue is full) rejects with its reason; nothing is put. */
  put(obj: unknown, options?: PutOptions, timeout?: number | null): Promise<void> {
    return promised(() => {
      const what = `${this.constructor.name}.put`;
      const { block, ms, signal } = blockOptions(options, what, timeout);
      signal?.throwIfAborted();
      return runAsync(core(), this.putSteps(obj, block, ms, what), { signal });
    });
  }
  putSync(obj: unknown, options?: PutOptions, timeout?: number | null): void {
    if (options === undefined && timeout === undefined && this.maxsize === 0 && !this.closedHere && (typeof obj === 'string' || obj instanceof Uint8Array)) {
      Atomics.add(core().i32, this.word(ITEMS), 1);
      this.enqueue(obj);
      return;
    }
    const what = `${this.constructor.name}.putSync`;
    const { block, ms } = blockOptions(options, what, timeout);
    runSync(core(), this.putSteps(obj, block, ms, what));
  }
  putNowait(obj: unknown): void {
    this.putSync(obj, { block: false });
  }

  protected override afterGet(): void {
    const i32 = core().i32;
    Atomics.sub(i32, this.word(ITEMS), 1);
    if (this.maxsize > 0 && Atomics.load(i32, this.word(ITEMS_SLEEPERS)) > 0) core().wake(this.word(ITEMS), 1);
  }

  /** Items put and not yet taken (those still buffered in a producer included). */
  qsize(): number {
    return Math.max(0, Atomics.load(core().i32, this.word(ITEMS)));
  }
  empty(): boolean {
    return this.qsize() === 0;
  }
  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }

  /** After close(): resolves when this process's buffered items are all in the queue. */
  async joinThread(): Promise<void> {
    if (!this.closedHere) throw new ValueError(`${this.constructor.name}.joinThread: call close() first`);
    while (this.#flushRunning) await this.#flushed;
  }
  joinThreadSync(): void {
    if (!this.closedHere) throw new ValueError(`${this.constructor.name}.joinThreadSync: call close() first`);
    while (this.#pending.length) if (runSync(core(), this.ring.writeSteps(Queue.asOutgoing(this.#pending.peek()), -1))) this.#pending.shift();
  }
  /** Lets this process end without waiting for its buffered items to reach the queue. */
  cancelJoinThread(): void {
    this.#cancelJoin = true;
  }

  [SEND](): { kind: string; data: unknown } {
    return { kind: `queues.${(this.constructor as { kindName?: string }).kindName ?? 'Queue'}`, data: { ring: this.ring, maxsize: this.maxsize } };
  }
}
registerKind('queues.Queue', (d) => new Queue(d as QueueHandle));

export class JoinableQueue extends Queue {
  static readonly kindName: string = 'JoinableQueue';

  protected override beforePut(): void {
    Atomics.add(core().i32, this.word(UNFINISHED), 1);
  }

  /** One item taken earlier is done; throws ValueError if called more often than items were put. */
  taskDone(): void {
    const i32 = core().i32, w = this.word(UNFINISHED);
    for (;;) {
      const n = Atomics.load(i32, w);
      if (n <= 0) throw new ValueError('JoinableQueue.taskDone: called more times than there were items');
      if (Atomics.compareExchange(i32, w, n, n - 1) !== n) continue;
      if (n === 1 && Atomics.load(i32, this.word(UNFINISHED_SLEEPERS)) > 0) core().wake(w, 0x7fffffff);
      return;
    }
  }

  private *joinSteps(deadline: number, what: string): Steps<void> {
    const i32 = core().i32, w = this.word(UNFINISHED);
    for (;;) {
      const n = Atomics.load(i32, w);
      if (n <= 0) return;
      if (expired(deadline)) throw new TimeoutError(`${what}: ${n} items not yet marked done after the timeout`);
      Atomics.add(i32, this.word(UNFINISHED_SLEEPERS), 1);
      yield { index: w, expected: n, deadline };
      Atomics.sub(i32, this.word(UNFINISHED_SLEEPERS), 1);
    }
  }
  /**
   * Resolves when every item put has been marked done with taskDone(). Beyond Python: a
   * timeout (TimeoutError) and a signal (rejects with its reason).
   */
  join(options?: number | null | WaitOptions): Promise<void> {
    return promised(() => {
      const { ms, signal } = waitOptions(options, 'JoinableQueue.join');
      signal?.throwIfAborted();
      return runAsync(core(), this.joinSteps(deadlineOf(ms), 'JoinableQueue.join'), { signal });
    });
  }
  joinSync(options?: number | null | WaitOptions): void {
    runSync(core(), this.joinSteps(deadlineOf(waitOptions(options, 'JoinableQueue.joinSync').ms), 'JoinableQueue.joinSync'));
  }
}
registerKind('queues.JoinableQueue', (d) => new JoinableQueue(d as QueueHandle));

