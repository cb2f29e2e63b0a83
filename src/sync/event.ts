// Event: a flag word and a count of sleepers; set() wakes everyone, with a system call only
// when someone sleeps.
import { deadlineOf, waitOptions, type WaitOptions } from '../util/options.js';
import { Attach, Primitive, registerPrimitive } from './primitive.js';
import { expired, NOT_EQUAL, runAsync, runSync, type Steps } from '../core/steps.js';
import { promised } from '../util/promised.js';

const FLAG = 0, SLEEPERS = 1;

export class Event extends Primitive {
  static override readonly kind: string = 'sync.Event';

  constructor(attach?: Attach) {
    super(attach instanceof Attach ? attach : 2);
  }

  isSet(): boolean {
    return Atomics.load(this.i32, this.base + FLAG) === 1;
  }
  set(): void {
    Atomics.store(this.i32, this.base + FLAG, 1);
    if (Atomics.load(this.i32, this.base + SLEEPERS) > 0) this.wake(FLAG);
  }
  clear(): void {
    Atomics.store(this.i32, this.base + FLAG, 0);
  }

  private *waitSteps(deadline: number): Steps<boolean> {
    const i32 = this.i32, b = this.base;
    while (Atomics.load(i32, b + FLAG) !== 1 && !expired(deadline)) {
      if ((yield { index: b + FLAG, expected: 0, deadline, spin: true }) === NOT_EQUAL) continue;
      Atomics.add(i32, b + SLEEPERS, 1);
      yield { index: b + FLAG, expected: 0, deadline };
      Atomics.sub(i32, b + SLEEPERS, 1);
    }
    return Atomics.load(i32, b + FLAG) === 1;
  }

  /** Resolves with the flag once it is set, or when the timeout (ms) ends. */
  wait(timeout?: number | null | WaitOptions): Promise<boolean> {
    return promised(() => {
      const { ms, signal } = waitOptions(timeout, 'Event.wait');
      signal?.throwIfAborted();
      if (this.isSet()) return Promise.resolve(true);
      return runAsync(this.core, this.waitSteps(deadlineOf(ms)), { signal });
    });
  }
  waitSync(timeout?: number | null | WaitOptions): boolean {
    const { ms } = waitOptions(timeout, 'Event.waitSync');
    if (this.isSet()) return true;
    return runSync(this.core, this.waitSteps(deadlineOf(ms)));
  }

  override toString(): string {
    return `<Event(${this.isSet() ? 'set' : 'unset'})>`;
  }
}
registerPrimitive(Event);
