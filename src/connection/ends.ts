// Who holds the ends of a pipe. An OS closes a dead process's descriptors, so a pipe whose
// every reader died gives its writer EPIPE and one whose every writer died gives its reader
// EOF; ends in shared memory have no such help. Each direction of a pipe therefore counts its
// open ends (closed explicitly, by GC, or when their thread ends normally) and records, in a
// small table beside the counts, which threads hold them: a waiting side that finds every
// recorded holder of the other end dead (killed, so it closed nothing) treats that end as
// closed. Copies in flight (sent, not yet received) and tables that overflowed make the
// answer "unknown", which keeps the old behaviour: wait.
import { readFileSync } from 'node:fs';
import { native } from '../core/native.js';
import { ownerId } from '../core/core.js';
import { UNINTERRUPTIBLE, type Sleep } from '../core/steps.js';
import { BrokenPipeError } from '../errors.js';

export type End = 'read' | 'write';

/** Word offsets (from a ring's base) of the tables; Ring reserves them in its header. */
export const ENDS_FIRST_WORD = 13;
const COUNT = { read: 0, write: 1 } as const;
const INFLIGHT = { read: 2, write: 3 } as const;
const OVERFLOW = { read: 4, write: 5 } as const;
const PIPE = 6;
const TABLE = { read: 7, write: 7 + 2 * 4 } as const;
const SLOTS = 4;
/** Words the tables take after ENDS_FIRST_WORD. */
export const ENDS_WORDS = 7 + 2 * 2 * SLOTS;
/** A count once its holders were found dead (far below any count of open ends). */
export const GONE = -(1 << 30);
/** How often a waiting side looks for dead holders. */
export const CHECK_MS = 50;

/** Is this thread (an OS thread id from gettid) still running? Unknown counts as yes. */
function alive(tid: number): boolean {
  if (tid === ownerId || !native) return true;
  try {
    const stat = readFileSync(`/proc/${tid}/stat`, 'latin1');
    const state = stat[stat.lastIndexOf(')') + 2];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export class Ends {
  constructor(
    private readonly i32: Int32Array,
    /** The ring's first word of the tables. */
    private readonly at: number,
  ) {}

  /**
   * A new ring (or one a pool recycles): one write end, and no holder recorded. Its readers are
   * counted only once it becomes a pipe (countReaders): a queue's or a pool's never run out.
   */
  reset(): void {
    for (let w = 0; w < ENDS_WORDS; w++) Atomics.store(this.i32, this.at + w, 0);
    Atomics.store(this.i32, this.at + COUNT.write, 1);
    Atomics.store(this.i32, this.at + COUNT.read, 1 << 29);
  }
  /** The ring is a pipe: its one read end is counted, and a send fails once none is left. */
  countReaders(): void {
    Atomics.store(this.i32, this.at + COUNT.read, 1);
    Atomics.store(this.i32, this.at + PIPE, 1);
  }
  /** A pipe (not a queue's or pool's ring): its waits look for dead holders now and then. */
  get pipe(): boolean {
    return Atomics.load(this.i32, this.at + PIPE) === 1;
  }

  /** The word (index in the arena's i32) that counts the read ends: for a writer's fast path. */
  get readersWord(): number {
    return this.at + COUNT.read;
  }
  count(end: End): number {
    return Atomics.load(this.i32, this.at + COUNT[end]);
  }
  /** An end leaves in a message: it counts as open from now (as a duplicated fd would). */
  sent(end: End): void {
    Atomics.add(this.i32, this.at + COUNT[end], 1);
    Atomics.add(this.i32, this.at + INFLIGHT[end], 1);
  }
  /** An end arrived here (revived from a message): no longer in flight. */
  arrived(end: End): void {
    const w = this.at + INFLIGHT[end];
    for (let n = Atomics.load(this.i32, w); n > 0; n = Atomics.load(this.i32, w)) if (Atomics.compareExchange(this.i32, w, n, n - 1) === n) break;
  }
  /** This thread holds one more end of this kind. */
  hold(end: End): void {
    const i32 = this.i32, t = this.at + TABLE[end];
    for (let i = 0; i < SLOTS; i++) if (Atomics.load(i32, t + 2 * i) === ownerId) return void Atomics.add(i32, t + 2 * i + 1, 1);
    for (let i = 0; i < SLOTS; i++) if (Atomics.compareExchange(i32, t + 2 * i, 0, ownerId) === 0) return void Atomics.add(i32, t + 2 * i + 1, 1);
    Atomics.store(i32, this.at + OVERFLOW[end], 1);
  }
  /** An end held here was closed: one fewer open end. Returns the count left. */
  drop(end: End): number {
    const i32 = this.i32, t = this.at + TABLE[end];
    for (let i = 0; i < SLOTS; i++) {
      if (Atomics.load(i32, t + 2 * i) !== ownerId) continue;
      if (Atomics.sub(i32, t + 2 * i + 1, 1) === 1) Atomics.compareExchange(i32, t + 2 * i, ownerId, 0);
      break;
    }
    return Atomics.sub(i32, this.at + COUNT[end], 1) - 1;
  }
  /** Every end of this kind is gone (the count says so, or it was forced). */
  forceGone(end: End): void {
    Atomics.store(this.i32, this.at + COUNT[end], GONE);
  }

  /**
   * True when no end of this kind is open: all closed, or every recorded holder is dead with
   * none in flight. A dead finding is recorded (the count becomes GONE) so it is made once.
   */
  gone(end: End): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, this.at + COUNT[end]) <= 0) return true;
    if (Atomics.load(i32, this.at + INFLIGHT[end]) > 0 || Atomics.load(i32, this.at + OVERFLOW[end]) !== 0) return false;
    const t = this.at + TABLE[end];
    let holders = 0;
    for (let i = 0; i < SLOTS; i++) {
      const tid = Atomics.load(i32, t + 2 * i);
      if (tid === 0) continue;
      holders++;
      if (alive(tid)) return false;
    }
    if (holders === 0) return false;
    this.forceGone(end);
    return true;
  }
}

/**
 * One thread's look at a pipe's other end while it waits: the sleeps are cut into slices so
 * that it looks, at most every CHECK_MS, for dead holders (a killed process closes nothing);
 * the slices do not count as timeouts. Rings that are not pipes sleep whole and never look.
 */
export class Lookout {
  #checked = 0;
  constructor(private readonly ends: Ends) {}

  /** BrokenPipeError once no reader is left: by the count, or (now and then) by their holders too. */
  checkReaders(countOnly: boolean): void {
    if (this.ends.count('read') <= 0 || (!countOnly && this.due() && this.ends.gone('read'))) {
      throw new BrokenPipeError('send: the other end of the pipe is closed (every reader is gone)');
    }
  }
  /** Now and then: are the writers' holders all dead? (The count then says so: EOF.) */
  checkWriters(): void {
    if (this.due()) this.ends.gone('write');
  }

  /** A sleep on word `index` while it holds `expected`, until `deadline`, in slices on a pipe. */
  slice(index: number, expected: number, deadline: number): Sleep {
    if (!this.ends.pipe) return { index, expected, deadline };
    const slice = performance.now() + 2 * CHECK_MS;
    if (deadline >= 0 && deadline <= slice) return { index, expected, deadline };
    return { index, expected, deadline: slice, firm: deadline === UNINTERRUPTIBLE };
  }

  private due(): boolean {
    if (!this.ends.pipe) return false;
    const now = performance.now();
    if (now - this.#checked < CHECK_MS) return false;
    this.#checked = now;
    return true;
  }
}
