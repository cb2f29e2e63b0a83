// Running one task in a worker: fn over its arguments by mode (apply, map, starmap), awaiting
// what it returns. Both kinds of worker run tasks through this: the local pool's (worker.ts) and
// the Redis backend's (redis/job-runner.ts).
import { APPLY, MAP, packNumbers, type Mode } from './protocol.js';

export type Fn = (...args: unknown[]) => unknown;

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

export interface TaskOutcome {
  value: unknown;
  /** the value is the only result of a chunk of one: it travels alone, not in a list */
  single: boolean;
}

/**
 * fn over a task's arguments. A function that returns at once is answered at once (no promise:
 * a trivial task's time is mostly this bookkeeping); a chunk of numbers comes back as a
 * Float64Array. What fn throws is thrown (or rejects) to the caller.
 */
export function runTask(fn: Fn, mode: Mode | number, args: ArrayLike<unknown>): TaskOutcome | Promise<TaskOutcome> {
  if (mode === APPLY || args.length === 1) {
    const single = mode !== APPLY;
    const v = mode === APPLY ? fn(...(args as unknown[])) : mode === MAP ? fn(args[0]) : fn(...(args[0] as unknown[]));
    return isThenable(v) ? Promise.resolve(v).then((value) => ({ value, single })) : { value: v, single };
  }
  return (mode === MAP ? mapChunk(fn, args) : starmapChunk(fn, args)).then((value) => ({ value, single: false }));
}

/** fn over a chunk. Numbers are written straight into a Float64Array (the form they travel in)
 *  until a result is something else. */
async function mapChunk(fn: Fn, items: ArrayLike<unknown>): Promise<unknown> {
  const n = items.length;
  let f64: Float64Array | null = n >= 16 ? new Float64Array(n) : null;
  let out: unknown[] | null = f64 ? null : new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    let v = fn(items[i]);
    if (typeof v === 'number' && f64) {
      f64[i] = v;
      continue;
    }
    if (isThenable(v)) v = await v;
    if (typeof v === 'number' && f64) {
      f64[i] = v;
      continue;
    }
    if (f64) {
      out = Array.from(f64.subarray(0, i));
      out.length = n;
      f64 = null;
    }
    out![i] = v;
  }
  return f64 ?? out;
}

async function starmapChunk(fn: Fn, items: ArrayLike<unknown>): Promise<unknown> {
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    let v = fn(...(items[i] as unknown[]));
    if (isThenable(v)) v = await v;
    out[i] = v;
  }
  return packNumbers(out);
}
