// RLock: a three-state mutex word plus its owner (an OS thread id) and recursion depth. The
// owner re-enters without touching the mutex; only the owner may release. Owner and depth are
// written only while the mutex is held, so plain reads and writes suffice (the mutex's atomics
// order them); a thread that does not hold the lock can never read its own id there.
import { ValueError } from '../errors.js';
import { Acquirable } from './acquirable.js';
import { mutexRelease, mutexSteps } from '../core/mutex.js';
import { Attach, registerPrimitive } from './primitive.js';
import { ownerId } from '../core/core.js';
import { runSync, UNINTERRUPTIBLE, type Steps } from '../core/steps.js';

const STATE = 0, OWNER = 1, DEPTH = 2;

export class RLock extends Acquirable {
  static override readonly kind: string = 'sync.RLock';

  constructor(attach?: Attach) {
    super(attach instanceof Attach ? attach : 3);
  }

  tryAcquire(): boolean {
    const i32 = this.i32, b = this.base;
    if (i32[b + OWNER] === ownerId) {
      i32[b + DEPTH]++;
      return true;
    }
    if (Atomics.compareExchange(i32, b + STATE, 0, 1) !== 0) return false;
    this.own(1);
    return true;
  }

  *acquireSteps(deadline: number): Steps<boolean> {
    const ok = yield* mutexSteps(this.i32, this.base + STATE, deadline);
    if (ok) this.own(1);
    return ok;
  }

  private own(depth: number): void {
    this.i32[this.base + DEPTH] = depth;
    this.i32[this.base + OWNER] = ownerId;
  }

  release(): void {
    const i32 = this.i32, b = this.base;
    if (i32[b + OWNER] !== ownerId) {
      throw new ValueError('RLock.release(): cannot release un-acquired lock (not held by this process/thread)');
    }
    if (--i32[b + DEPTH] > 0) return;
    i32[b + OWNER] = 0;
    mutexRelease(this.core, b + STATE);
  }

  isMine(): boolean {
    return this.i32[this.base + OWNER] === ownerId;
  }
  releaseAll(): number {
    const depth = this.i32[this.base + DEPTH];
    this.i32[this.base + DEPTH] = 1;
    this.release();
    return depth;
  }
  *restoreSteps(saved: number): Steps<void> {
    if (Atomics.compareExchange(this.i32, this.base + STATE, 0, 1) !== 0) yield* mutexSteps(this.i32, this.base + STATE, UNINTERRUPTIBLE);
    this.own(saved);
  }

  /** @internal One guarded access for a shared value: re-entrant, without recording an owner. */
  enter(): boolean {
    const i32 = this.i32, b = this.base;
    if (i32[b + OWNER] === ownerId) return false;
    if (Atomics.compareExchange(i32, b + STATE, 0, 1) !== 0) runSync(this.core, mutexSteps(i32, b + STATE, -1));
    return true;
  }
  /** @internal */
  exit(took: boolean): void {
    if (took) mutexRelease(this.core, this.base + STATE);
  }

  override toString(): string {
    const owner = Atomics.load(this.i32, this.base + OWNER);
    const depth = Atomics.load(this.i32, this.base + DEPTH);
    return `<RLock(${owner === 0 ? 'None' : owner === ownerId ? 'this process' : `thread ${owner}`}, ${owner === 0 ? 0 : depth})>`;
  }
}
registerPrimitive(RLock);
