// Lock: one word holding Drepper's three-state mutex (0 free, 1 held, 2 held and someone may
// sleep), so an uncontended acquire+release is two atomic operations and no system call.
// Like Python's, any process may release it; releasing it while free throws. A lock whose
// holder dies stays held: acquire({ timeout }) then returns false after the timeout.
import { ValueError } from '../errors.js';
import { Acquirable } from './acquirable.js';
import { Attach, registerPrimitive } from './primitive.js';
import { UNINTERRUPTIBLE, type Steps } from '../core/steps.js';
import { mutexSteps } from '../core/mutex.js';

export class Lock extends Acquirable {
  static override readonly kind: string = 'sync.Lock';
  /** Acquisitions made through this object and not yet released (Python's per-process count). */
  #held = 0;

  constructor(attach?: Attach) {
    super(attach instanceof Attach ? attach : 1);
  }

  tryAcquire(): boolean {
    if (Atomics.compareExchange(this.i32, this.base, 0, 1) !== 0) return false;
    this.#held++;
    return true;
  }

  *acquireSteps(deadline: number): Steps<boolean> {
    const ok = yield* mutexSteps(this.i32, this.base, deadline);
    if (ok) this.#held++;
    return ok;
  }

  override acquireSync(options?: Parameters<Acquirable['acquireSync']>[0], timeout?: number | null): boolean {
    // The hot path, kept free of any call: an uncontended acquire is one compareExchange.
    if (options === undefined && timeout === undefined && Atomics.compareExchange(this.i32, this.base, 0, 1) === 0) {
      this.#held++;
      return true;
    }
    return super.acquireSync(options, timeout);
  }

  release(): void {
    const prev = Atomics.exchange(this.i32, this.base, 0);
    if (prev !== 1) {
      if (prev === 0) throw new ValueError('Lock.release(): the lock is not held (released too many times)');
      this.core.wake(this.base, 1);
    }
    if (this.#held > 0) this.#held--;
  }

  /** Held, and acquired through this thread (what Condition requires of its lock). */
  isMine(): boolean {
    return this.#held > 0 && Atomics.load(this.i32, this.base) !== 0;
  }
  /** For Condition.wait: release entirely, returning what restore() needs. */
  releaseAll(): number {
    this.release();
    return 1;
  }
  *restoreSteps(_saved: number): Steps<void> {
    if (!this.tryAcquire()) yield* this.acquireSteps(UNINTERRUPTIBLE);
  }

  /** @internal One guarded access for a shared value. */
  enter(): boolean {
    this.acquireSync();
    return true;
  }
  /** @internal */
  exit(took: boolean): void {
    if (took) this.release();
  }

  override toString(): string {
    const state = Atomics.load(this.i32, this.base);
    return `<Lock(owner=${state === 0 ? 'None' : this.#held > 0 ? 'this process' : 'another process'})>`;
  }
}
registerPrimitive(Lock);
