// The loop every pool worker runs: take a task from its own pipe, run it, send the result back.
// The worker writes the id of the task it is running into its status words before it starts
// it, so that if the worker dies the pool knows exactly which task was lost (and that the ones
// queued behind it never started).
import type { Connection } from '../connection/connection.js';
import { EOFError } from '../errors.js';
import type { RawArray } from '../shared/array.js';
import type { TargetSpec } from '../targets/describe.js';
import { loadTarget } from '../targets/load.js';
import { classesLoaded, classesPending } from '../codec/classes.js';
import { decodeTasks, resultMessage } from './frames.js';
import type { Outgoing } from '../connection/message.js';

/** status words: the task running now (0: none), 1 once the initializer has run. */
export const ST_RUNNING = 0, ST_READY = 1;
/** Task modes: fn(...args); fn(item) for each item of a chunk; fn(...item) for each. */
export const APPLY = 0, MAP = 1, STARMAP = 2;
const IDLE_SLICE_MS = 50;
const SPIN_MS = 0.2;

type Fn = (...args: unknown[]) => unknown;

/** A chunk of plain numbers travels as a Float64Array: one copy instead of a value-by-value serialization. */
export function packNumbers(values: unknown[]): unknown[] | Float64Array {
  if (values.length < 16) return values;
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return values;
  // set() copies an array of numbers in one pass; new Float64Array(array) takes ~8x longer.
  const packed = new Float64Array(values.length);
  packed.set(values as number[]);
  return packed;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

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

export async function poolWorker(
  tasks: Connection,
  results: Connection,
  status: RawArray<'i'>,
  initializer: TargetSpec | null,
  initargs: unknown[],
  maxtasks: number,
): Promise<void> {
  if (initializer) await (await loadTarget(initializer))(...initargs);
  Atomics.store(status.view as Int32Array, ST_READY, 1);
  const fns = new Map<number, Fn>();
  let done = 0;
  for (;;) {
    if (maxtasks > 0 && done >= maxtasks) return;
    // Waiting for the next task blocks this worker (a sync wake is several times quicker than
    // an async one), in slices, so that its event loop still turns while it is idle.
    // Right after a task the next one often follows at once: watch for it a moment first.
    const until = performance.now() + SPIN_MS;
    let msg: Buffer | null;
    try {
      while (!tasks.pollSync() && performance.now() < until);
      if (!tasks.pollSync(IDLE_SLICE_MS)) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      msg = tasks.recvSync() as Buffer | null;
    } catch (e) {
      // The pool's end of the task pipe is gone: the program ended without close() (its
      // threads are being torn down, or it exited), so the worker ends with it, silently, as
      // Python's worker does on EOFError.
      if (e instanceof EOFError) return;
      throw e;
    }
    if (msg === null) return;
    // A message is a batch of task frames (what the pool had for this worker at once).
    const batch = decodeTasks(msg);
    // Arguments whose class's module is being imported get their class first.
    if (classesPending()) await classesLoaded();
    for (const { id, fn: fnId, spec, args, mode } of batch) {
      Atomics.store(status.view as Int32Array, ST_RUNNING, id);
      let ok = true, value: unknown, single = false;
      try {
        let fn = fns.get(fnId);
        if (!fn) {
          fn = await loadTarget(spec!);
          fns.set(fnId, fn);
        }
        if (mode === APPLY) {
          value = fn(...args);
          if (isThenable(value)) value = await value;
        } else if (args.length === 1) {
          let v = mode === MAP ? fn(args[0]) : fn(...(args[0] as unknown[]));
          if (isThenable(v)) v = await v;
          value = v;
          single = true;
        } else value = mode === MAP ? await mapChunk(fn, args) : await starmapChunk(fn, args);
      } catch (e) {
        ok = false;
        value = e;
        single = false;
      }
      let frame: Outgoing;
      try {
        frame = resultMessage(id, ok, value, single);
      } catch (e) {
        // A result that cannot be sent (a function, say) fails its task, not the worker.
        frame = resultMessage(id, false, e, false);
      }
      results.sendMessageSync(frame);
      Atomics.store(status.view as Int32Array, ST_RUNNING, 0);
      done++;
    }
  }
}
