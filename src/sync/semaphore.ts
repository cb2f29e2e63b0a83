// Semaphore and BoundedSemaphore: a value word and a count of sleepers, so release() makes a
// system call only when someone sleeps. A sleeper counts itself before its futex wait checks
// the value, and a releaser adds before it reads the count: one of them always sees the other.
import { ValueError } from '../errors.js';
import { checkPositiveInt } from '../util/options.js';
import { Acquirable, type AcquireOptions } from './acquirable.js';
import { Attach, registerPrimitive, type Handle } from './primitive.js';
import { expired, NOT_EQUAL, type Steps } from '../core/steps.js';

const VALUE = 0, SLEEPERS = 1, BOUND = 2;

export class Semaphore extends Acquirable {
  static override readonly kind: string = 'sync.Semaphore';
  protected static readonly bounded: boolean = false;
  /** The BoundedSemaphore's maximum, -1 for a plain Semaphore; fixed at creation. */
  readonly #bound: number;

  constructor(value: number | Attach = 1) {
    if (value instanceof Attach) {
      super(value);
      this.#bound = Atomics.load(this.i32, this.base + BOUND);
      return;
    }
    checkPositiveInt(value, `${new.target.name}(value)`, true);
    super(3);
    this.#bound = (new.target as typeof Semaphore).bounded ? value : -1;
    Atomics.store(this.i32, this.base + VALUE, value);
    Atomics.store(this.i32, this.base + BOUND, this.#bound);
  }

  tryAcquire(): boolean {
    const i32 = this.i32, b = this.base;
    for (;;) {
      const v = i32[b];
      if (v <= 0) return false;
      if (Atomics.compareExchange(i32, b, v, v - 1) === v) return true;
    }
  }

  override acquireSync(options?: AcquireOptions, timeout?: number | null): boolean {
    // The hot path, kept free of calls: one load and one compareExchange.
    if (options === undefined && timeout === undefined) {
      const v = this.i32[this.base]; // a plain read is enough: the compareExchange validates it
      if (v > 0 && Atomics.compareExchange(this.i32, this.base, v, v - 1) === v) return true;
    }
    return super.acquireSync(options, timeout);
  }

  *acquireSteps(deadline: number): Steps<boolean> {
    const i32 = this.i32, b = this.base;
    for (;;) {
      if ((yield { index: b + VALUE, expected: 0, deadline, spin: true }) === NOT_EQUAL && this.tryAcquire()) return true;
      Atomics.add(i32, b + SLEEPERS, 1);
      yield { index: b + VALUE, expected: 0, deadline };
      Atomics.sub(i32, b + SLEEPERS, 1);
      if (this.tryAcquire()) return true;
      if (expired(deadline)) return false;
    }
  }

  release(): void {
    const i32 = this.i32, b = this.base;
    const bound = this.#bound;
    if (bound < 0) Atomics.add(i32, b + VALUE, 1);
    else {
      for (;;) {
        const v = Atomics.load(i32, b + VALUE);
        if (v >= bound) throw new ValueError(`${this.constructor.name}.release(): semaphore released too many times (bound ${bound})`);
        if (Atomics.compareExchange(i32, b + VALUE, v, v + 1) === v) break;
      }
    }
    if (Atomics.load(i32, b + SLEEPERS) > 0) this.wake(VALUE, 1);
  }

  /** The maximum a BoundedSemaphore may reach; -1 for a plain Semaphore. */
  protected get bound(): number {
    return this.#bound;
  }

  /** The current value (Python's get_value()). */
  getValue(): number {
    return Atomics.load(this.i32, this.base + VALUE);
  }

  override toString(): string {
    return `<${this.constructor.name}(value=${this.getValue()})>`;
  }
}

/** A Semaphore whose release() throws rather than rise above its initial value. */
export class BoundedSemaphore extends Semaphore {
  static override readonly kind: string = 'sync.BoundedSemaphore';
  protected static override readonly bounded: boolean = true;
  constructor(value: number | Attach<Handle> = 1) {
    super(value);
  }
  override toString(): string {
    return `<BoundedSemaphore(value=${this.getValue()}, maxvalue=${this.bound})>`;
  }
}
registerPrimitive(Semaphore);
registerPrimitive(BoundedSemaphore);
