// mp.wait(objects, timeout): what is ready among connections, queue readers and process
// sentinels. Each such object exposes one small protocol under WAITABLE.
import { deadlineOf, remaining, waitOptions, type WaitOptions } from '../util/options.js';

export const WAITABLE = Symbol.for('mpts.waitable');
export interface WaitTarget {
  ready(): boolean;
  /** Resolves (true) once ready, or false after ms (-1: never gives up); rejects when `signal` aborts. */
  whenReady(ms: number, signal?: AbortSignal | null): Promise<boolean>;
}
export interface Waitable {
  [WAITABLE](): WaitTarget;
}

function targetOf(o: unknown, i: number): WaitTarget {
  const f = (o as Partial<Waitable> | null)?.[WAITABLE];
  if (typeof f !== 'function') throw new TypeError(`wait: objects[${i}] cannot be waited on (expected a Connection, a queue's reader or a process sentinel)`);
  return f.call(o);
}

/**
 * The objects that are ready, once one is or after `timeout` ms ([] then); `{ timeout, signal }`
 * also works, an abort rejecting with the signal's reason.
 */
export async function wait<T>(objects: Iterable<T>, timeout?: number | null | WaitOptions): Promise<T[]> {
  const list = [...objects];
  const targets = list.map(targetOf);
  const { ms, signal } = waitOptions(timeout, 'wait');
  signal?.throwIfAborted();
  const deadline = deadlineOf(ms);
  for (;;) {
    const ready = list.filter((_, i) => targets[i].ready());
    if (ready.length || list.length === 0) return ready;
    const left = remaining(deadline);
    if (left === 0) return [];
    // The waits that lose the race are ended, so none is left behind keeping the process alive.
    const race = new AbortController();
    const onAbort = () => race.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race(targets.map((t) => t.whenReady(left, race.signal)));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      race.abort();
    }
  }
}
