// Barrier: Python's threading.Barrier algorithm, on a Condition whose words live in the arena
// beside two of its own (state, count), so parties in any thread or process of the family meet.
// The action runs in the last party to arrive; it travels to children like a Process target.
import { BrokenBarrierError } from '../errors.js';
import { describeTarget, type AnyFunction, type TargetSpec } from '../targets/describe.js';
import { loadInBackground } from '../targets/load.js';
import { checkPositiveInt, deadlineOf, timeoutMs, waitOptions, type WaitOptions } from '../util/options.js';
import { Condition } from './condition.js';
import { Attach, Primitive, registerPrimitive, type Handle } from './primitive.js';
import { abortRequested, runAsync, runSync, Settle, UNINTERRUPTIBLE, type StepsWithSettle } from '../core/steps.js';
import { promised } from '../util/promised.js';

const STATE = 0, COUNT = 1;
const LOADING = 'Barrier.waitSync: the barrier action is still being imported in this process; use await barrier.wait()';
const ASYNC_ACTION = 'Barrier.waitSync: the barrier action returned a Promise, which a synchronous wait cannot await; use await barrier.wait()';
const FILLING = 0, DRAINING = 1, RESETTING = -1, BROKEN = -2;

type BarrierHandle = Handle & { parties: number; timeout: number; cond: Condition; action: TargetSpec | null };

export class Barrier extends Primitive {
  static override readonly kind: string = 'sync.Barrier';
  readonly parties: number;
  readonly #timeout: number;
  readonly #cond: Condition;
  #action: AnyFunction | null = null;
  #actionSpec: TargetSpec | null = null;
  #actionLoading: Promise<void> | null = null;

  /** parties: how many must call wait(); action: run by the last to arrive; timeout: default for wait(), ms. */
  constructor(parties: number | Attach<BarrierHandle>, action?: AnyFunction | null, timeout?: number | null) {
    if (parties instanceof Attach) {
      super(parties);
      const d = parties.data;
      this.parties = d.parties;
      this.#timeout = d.timeout;
      this.#cond = d.cond;
      this.#actionSpec = d.action;
      if (d.action) this.#actionLoading = loadInBackground(d.action, (fn) => void (this.#action = fn));
      return;
    }
    checkPositiveInt(parties, 'Barrier(parties)');
    if (action != null && typeof action !== 'function') throw new TypeError(`Barrier(action): expected a function, got ${typeof action}`);
    const ms = timeoutMs(timeout, 'Barrier');
    super(2);
    this.parties = parties;
    this.#timeout = ms;
    this.#cond = new Condition();
    this.#action = action ?? null;
  }

  protected override sendData(): BarrierHandle {
    if (this.#action && !this.#actionSpec) this.#actionSpec = describeTarget(this.#action, 'Barrier action');
    return { ...this.handle(), parties: this.parties, timeout: this.#timeout, cond: this.#cond, action: this.#actionSpec };
  }

  private get state(): number {
    return Atomics.load(this.i32, this.base + STATE);
  }
  private set state(v: number) {
    Atomics.store(this.i32, this.base + STATE, v);
  }
  private get count(): number {
    return Atomics.load(this.i32, this.base + COUNT);
  }
  private set count(v: number) {
    Atomics.store(this.i32, this.base + COUNT, v);
  }

  private *waitSteps(deadline: number, what: string): StepsWithSettle<number> {
    const cond = this.#cond;
    // The barrier's own lock is held only briefly: these waits are not cancelled by an abort.
    if (!cond.tryAcquire()) yield* cond.acquireSteps(UNINTERRUPTIBLE);
    try {
      while (this.state === DRAINING || this.state === RESETTING) yield* cond.waitSteps(UNINTERRUPTIBLE, what);
      if (this.state < 0) throw new BrokenBarrierError();
      const index = this.count;
      this.count = index + 1;
      try {
        if (index + 1 === this.parties) {
          try {
            if (this.#actionSpec && !this.#action) {
              if (this.#actionLoading) yield new Settle(this.#actionLoading, LOADING);
              if (!this.#action) throw new TypeError('Barrier action could not be loaded in this process');
            }
            const out = this.#action?.();
            if (out && typeof (out as PromiseLike<unknown>).then === 'function') yield new Settle(out as PromiseLike<unknown>, ASYNC_ACTION);
            this.state = DRAINING;
            cond.notifyAll();
          } catch (e) {
            this.breakNow();
            throw e;
          }
        } else {
          while (this.state === FILLING) {
            if (!(yield* cond.waitSteps(deadline, what)) && this.state === FILLING) {
              // An aborted party withdraws (the finally below takes it off the count): the
              // barrier is as it was, and the driver rejects with the signal's reason.
              if (abortRequested()) return -1;
              this.breakNow();
              throw new BrokenBarrierError(`${what}: timed out; the barrier is now broken`);
            }
          }
          if (this.state < 0) throw new BrokenBarrierError();
        }
        return index;
      } finally {
        this.count = this.count - 1;
        if (this.count === 0 && (this.state === RESETTING || this.state === DRAINING)) {
          this.state = FILLING;
          cond.notifyAll();
        }
      }
    } finally {
      cond.release();
    }
  }

  private deadline(timeout: number | null | undefined | WaitOptions, what: string): { deadline: number; signal: AbortSignal | null } {
    const { ms, signal } = waitOptions(timeout, what);
    const given = timeout !== undefined && timeout !== null && (typeof timeout === 'number' || timeout.timeout !== undefined && timeout.timeout !== null);
    return { deadline: deadlineOf(given ? ms : this.#timeout), signal };
  }

  /**
   * Resolves with this party's arrival index (0 .. parties-1) once all have arrived. A timeout
   * breaks the barrier (as in Python); an abort of `signal` only withdraws this party.
   */
  wait(timeout?: number | null | WaitOptions): Promise<number> {
    return promised(() => {
      const { deadline, signal } = this.deadline(timeout, 'Barrier.wait');
      signal?.throwIfAborted();
      return runAsync(this.core, this.waitSteps(deadline, 'Barrier.wait'), { signal });
    });
  }
  waitSync(timeout?: number | null | WaitOptions): number {
    return runSync(this.core, this.waitSteps(this.deadline(timeout, 'Barrier.waitSync').deadline, 'Barrier.waitSync'));
  }

  /** Returns the barrier to its empty state; parties waiting now get BrokenBarrierError. */
  reset(): void {
    this.#cond.withSync(() => {
      if (this.count > 0) {
        if (this.state === FILLING || this.state === BROKEN) this.state = RESETTING;
      } else this.state = FILLING;
      this.#cond.notifyAll();
    });
  }

  /** Breaks the barrier: every present and future wait() throws BrokenBarrierError until reset(). */
  abort(): void {
    this.#cond.withSync(() => this.breakNow());
  }

  private breakNow(): void {
    this.state = BROKEN;
    this.#cond.notifyAll();
  }

  /** Parties currently waiting. */
  get nWaiting(): number {
    return this.state === FILLING ? this.count : 0;
  }
  get broken(): boolean {
    return this.state === BROKEN;
  }

  override toString(): string {
    return `<Barrier(parties=${this.parties}, waiting=${this.nWaiting}${this.broken ? ', broken' : ''})>`;
  }
}
registerPrimitive(Barrier);
