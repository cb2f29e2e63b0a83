// mp.wait(objects, timeout): what is ready among connections, queue readers and process
// sentinels. Each such object exposes one small protocol under WAITABLE.
import { deadlineOf, remaining, timeoutMs } from '../util/options.js';

export const WAITABLE = Symbol.for('mpts.waitable');
export interface WaitTarget {
  ready(): boolean;
  /** Resolves (true) once ready, or false after ms (-1: never gives up). */
  whenReady(ms: number): Promise<boolean>;
}
export interface Waitable {
  [WAITABLE](): WaitTarget;
}

function targetOf(o: unknown, i: number): WaitTarget {
  const f = (o as Partial<Waitable> | null)?.[WAITABLE];
  if (typeof f !== 'function') throw new TypeError(`wait: objects[${i}] cannot be waited on (expected a Connection, a queue's reader or a process sentinel)`);
  return f.call(o);
}

export async function wait<T>(objects: Iterable<T>, timeout?: number | null): Promise<T[]> {
  const list = [...objects];
  const targets = list.map(targetOf);
  const deadline = deadlineOf(timeoutMs(timeout, 'wait'));
  for (;;) {
    const ready = list.filter((_, i) => targets[i].ready());
    if (ready.length || list.length === 0) return ready;
    const left = remaining(deadline);
    if (left === 0) return [];
    await Promise.race(targets.map((t) => t.whenReady(left)));
  }
}
