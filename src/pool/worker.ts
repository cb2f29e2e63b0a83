// The loop every pool worker runs: take a task from its own pipe, run it, send the result back.
// The worker writes the id of the task it is running into its status words before it starts
// it, so that if the worker dies the pool knows exactly which task was lost (and that the ones
// queued behind it never started).
import type { Connection } from '../connection/connection.js';
import type { RawArray } from '../shared/array.js';
import type { TargetSpec } from '../targets/describe.js';
import { loadTarget } from '../targets/load.js';
import { decode, encode } from '../codec/codec.js';

/** status words: the task running now (0: none), 1 once the initializer has run. */
export const ST_RUNNING = 0, ST_READY = 1;
/** Task modes: fn(...args); fn(item) for each item of a chunk; fn(...item) for each. */
export const APPLY = 0, MAP = 1, STARMAP = 2;
const IDLE_SLICE_MS = 50;
const SPIN_MS = 0.2;

/** [id, fnKey, spec (first time this worker sees fnKey) | null, args or chunk, mode] */
export type TaskMessage = [number, string, TargetSpec | null, unknown[], number];
/** A result frame: [u32 id][u8 ok][the value or error, encoded] (no serializer for numbers and strings). */
export function resultFrame(id: number, ok: boolean, value: unknown): Buffer {
  const body = encode(value, 'result');
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt32LE(id, 0);
  out[4] = ok ? 1 : 0;
  body.copy(out, 5);
  return out;
}
export function readResultFrame(frame: Buffer): [number, boolean, unknown] {
  return [frame.readUInt32LE(0), frame[4] === 1, decode(frame.subarray(5))];
}

type Fn = (...args: unknown[]) => unknown;

/** A chunk of plain numbers travels as a Float64Array: one copy instead of a value-by-value serialization. */
export function packNumbers(values: unknown[]): unknown[] | Float64Array {
  if (values.length < 16) return values;
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return values;
  return Float64Array.from(values as number[]);
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

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
  const fns = new Map<string, Fn>();
  let done = 0;
  for (;;) {
    if (maxtasks > 0 && done >= maxtasks) return;
    // Waiting for the next task blocks this worker (a sync wake is several times quicker than
    // an async one), in slices, so that its event loop still turns while it is idle.
    // Right after a task the next one often follows at once: watch for it a moment first.
    const until = performance.now() + SPIN_MS;
    while (!tasks.pollSync() && performance.now() < until);
    if (!tasks.pollSync(IDLE_SLICE_MS)) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const msg = tasks.recvSync() as TaskMessage | TaskMessage[] | null;
    if (msg === null) return;
    // A message is one task or a batch of them (the pool sends what it has for this worker at once).
    const batch = typeof msg[0] === 'number' ? [msg as TaskMessage] : (msg as TaskMessage[]);
    for (const [id, key, spec, args, mode] of batch) {
      Atomics.store(status.view as Int32Array, ST_RUNNING, id);
      let ok = true, value: unknown;
      try {
        let fn = fns.get(key);
        if (!fn) {
          fn = await loadTarget(spec!);
          fns.set(key, fn);
        }
        if (mode === APPLY) {
          value = fn(...args);
          if (isThenable(value)) value = await value;
        } else {
          const out = new Array<unknown>(args.length);
          for (let i = 0; i < args.length; i++) {
            let v = mode === MAP ? fn(args[i]) : fn(...(args[i] as unknown[]));
            if (isThenable(v)) v = await v;
            out[i] = v;
          }
          value = packNumbers(out);
        }
      } catch (e) {
        ok = false;
        value = e;
      }
      let frame: Buffer;
      try {
        frame = resultFrame(id, ok, value);
      } catch (e) {
        // A result that cannot be sent (a function, say) fails its task, not the worker.
        frame = resultFrame(id, false, e);
      }
      results.sendBytesSync(frame);
      Atomics.store(status.view as Int32Array, ST_RUNNING, 0);
      done++;
    }
  }
}
