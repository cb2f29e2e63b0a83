// The one small core every primitive stands on: a family-wide shared arena (memory that every
// thread and OS process of one process family maps at the same offsets) and wait/wake on its
// 32-bit words. Each start method gets it once:
//   native  memfd arena + futex (native/arena.c, futex.c, async-wait.c): threads and OS
//           processes alike;
//   js      SharedArrayBuffer + Atomics.wait/waitAsync: threads only (the fallback when the
//           addon cannot load).
// Fast paths are plain Atomics on `i32`; wait()/wake() are entered only to sleep or wake.
import { threadId, workerData } from 'node:worker_threads';
import { native, nativeUnavailable, type WaitResult } from './native.js';

export type { WaitResult };

/**
 * Who holds an owned lock (RLock, a Condition's lock): the OS thread id, unique across every
 * thread and process of the machine while it lives (the JS core serves one process only, where
 * thread ids are enough).
 */
export const ownerId: number = native ? native.gettid() : threadId + 1;
export const WOKEN = 0, NOT_EQUAL = 1, TIMED_OUT = 2;

/** What a child needs to map its parent's arena; carried in the boot message. */
export type ArenaBoot =
  | { kind: 'native'; pid: number; fd: number; ino: number; size: number }
  | { kind: 'js'; sab: SharedArrayBuffer };

export interface Core {
  readonly kind: 'native' | 'js';
  readonly buffer: ArrayBufferLike;
  readonly i32: Int32Array;
  /** Identifies the process family: handles from another family are refused. */
  readonly family: number;
  /** Sleep while i32[index] === expected, at most ms (-1: forever). Callers re-check their condition. */
  wait(index: number, expected: number, ms: number): WaitResult;
  /** weak: this wait alone does not keep the event loop alive (a background listener's). */
  waitAsync(index: number, expected: number, ms: number, weak?: boolean): Promise<WaitResult>;
  wake(index: number, count: number): number;
  /** Settles this thread's pending async waits on a word at once, as not-equal (they re-check): for a caller that stopped waiting. */
  cancelWaits(index: number): void;
  /** Allocate zeroed bytes in the arena; returns a byte offset valid in every process of the family. */
  alloc(bytes: number, align?: number): number;
  boot(): ArenaBoot;
}

const HDR_TOP = 0, HDR_RESERVED = 1, HDR_FAMILY = 2;
/** Arena header words naming the family's segment tracker (its publisher's pid and pipe fd). */
export const HDR_TRACKER_PID = 3, HDR_TRACKER_FD = 4;
const HEADER_BYTES = 64;
const CHUNK = 1 << 20;
const BOOT_KEY = Symbol.for('mpts.boot');

/** The boot message of this thread/process when it is a child, set by the bootstrap. */
export function childBoot(): { arena: ArenaBoot } | undefined {
  const g = globalThis as Record<symbol, unknown>;
  if (g[BOOT_KEY]) return g[BOOT_KEY] as { arena: ArenaBoot };
  const wd = workerData as Record<string, unknown> | null;
  if (wd && typeof wd === 'object' && wd.mpts) return wd.mpts as { arena: ArenaBoot };
  return undefined;
}
export function setChildBoot(boot: unknown): void {
  (globalThis as Record<symbol, unknown>)[BOOT_KEY] = boot;
}

function arenaBytes(): number {
  const mb = Number(process.env.MPTS_ARENA_MB);
  return (Number.isFinite(mb) && mb >= 1 ? mb : 256) * CHUNK;
}

abstract class BaseCore implements Core {
  abstract readonly kind: 'native' | 'js';
  readonly i32: Int32Array;
  constructor(readonly buffer: ArrayBufferLike, root: boolean) {
    this.i32 = new Int32Array(buffer);
    if (root) {
      Atomics.store(this.i32, HDR_TOP, HEADER_BYTES);
      Atomics.store(this.i32, HDR_FAMILY, (Math.random() * 0x7fffffff) | 1);
    }
  }
  get family(): number {
    return Atomics.load(this.i32, HDR_FAMILY);
  }
  abstract wait(index: number, expected: number, ms: number): WaitResult;
  abstract waitAsync(index: number, expected: number, ms: number, weak?: boolean): Promise<WaitResult>;
  abstract wake(index: number, count: number): number;
  abstract cancelWaits(index: number): void;
  abstract boot(): ArenaBoot;
  protected reserve(_from: number, _to: number): void {}

  alloc(bytes: number, align = 8): number {
    const size = (bytes + 7) & ~7;
    for (;;) {
      const top = Atomics.load(this.i32, HDR_TOP);
      const start = Math.ceil(top / align) * align;
      const end = start + size;
      if (end > this.buffer.byteLength) {
        throw new RangeError(`the shared arena is full (${this.buffer.byteLength >> 20} MiB); set MPTS_ARENA_MB to a larger size`);
      }
      if (Atomics.compareExchange(this.i32, HDR_TOP, top, end) !== top) continue;
      const reserved = Atomics.load(this.i32, HDR_RESERVED);
      if (end > reserved) {
        const to = Math.ceil(end / CHUNK) * CHUNK;
        this.reserve(Math.floor(start / CHUNK) * CHUNK, to);
        let seen = reserved;
        while (seen < to) {
          const prev = Atomics.compareExchange(this.i32, HDR_RESERVED, seen, to);
          if (prev === seen) break;
          seen = prev;
        }
      }
      return start;
    }
  }
}

class NativeCoreImpl extends BaseCore {
  readonly kind = 'native' as const;
  private readonly n = native!;
  constructor(private readonly mapped: { buffer: ArrayBuffer; fd: number; ino: number }, root: boolean) {
    super(mapped.buffer, root);
  }
  wait(index: number, expected: number, ms: number): WaitResult {
    return this.n.wait(this.i32, index, expected, ms);
  }
  waitAsync(index: number, expected: number, ms: number, weak = false): Promise<WaitResult> {
    return this.n.waitAsync(this.i32, index, expected, ms, weak);
  }
  wake(index: number, count: number): number {
    return this.n.wake(this.i32, index, count);
  }
  cancelWaits(index: number): void {
    this.n.waitCancel(this.i32, index);
  }
  protected override reserve(from: number, to: number): void {
    this.n.arenaReserve(from, to);
  }
  boot(): ArenaBoot {
    return { kind: 'native', pid: process.pid, fd: this.mapped.fd, ino: this.mapped.ino, size: this.buffer.byteLength };
  }
}

class JsCore extends BaseCore {
  readonly kind = 'js' as const;
  private pending = 0;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  wait(index: number, expected: number, ms: number): WaitResult {
    const r = Atomics.wait(this.i32, index, expected, ms < 0 ? Infinity : ms);
    return r === 'ok' ? 0 : r === 'not-equal' ? 1 : 2;
  }
  async waitAsync(index: number, expected: number, ms: number, weak = false): Promise<WaitResult> {
    const r = Atomics.waitAsync(this.i32, index, expected, ms < 0 ? Infinity : ms);
    if (!r.async) return r.value === 'not-equal' ? 1 : 2;
    if (weak) return (await r.value) === 'ok' ? 0 : 2;
    // Atomics.waitAsync does not keep the event loop alive by itself.
    if (this.pending++ === 0) this.keepAlive = setInterval(() => {}, 1 << 30);
    try {
      return (await r.value) === 'ok' ? 0 : 2;
    } finally {
      if (--this.pending === 0) clearInterval(this.keepAlive);
    }
  }
  wake(index: number, count: number): number {
    return Atomics.notify(this.i32, index, count);
  }
  cancelWaits(index: number): void {
    // (Atomics.waitAsync registers at once: a notify reaches it. Other waiters re-check.)
    Atomics.notify(this.i32, index);
  }
  boot(): ArenaBoot {
    return { kind: 'js', sab: this.buffer as SharedArrayBuffer };
  }
}

function makeCore(): Core {
  const boot = childBoot()?.arena;
  if (boot?.kind === 'js') return new JsCore(boot.sab, false);
  if (boot?.kind === 'native') {
    if (!native) throw new Error(`multiprocessing-ts: this child cannot map its parent's shared memory: ${nativeUnavailable}`);
    return new NativeCoreImpl(native.arena(boot.size, boot.pid, boot.fd, boot.ino)!, false);
  }
  if (native) return new NativeCoreImpl(native.arena(arenaBytes())!, true);
  return new JsCore(new SharedArrayBuffer(Math.min(arenaBytes(), 64 * CHUNK)), true);
}

/** This thread's core, made at first use. */
let instance: Core | undefined;
export function core(): Core {
  return (instance ??= makeCore());
}
