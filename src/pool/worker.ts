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
import { decodeTasks, resultMessage, ST_READY, ST_RUNNING } from './protocol.js';
import { runTask, type Fn } from './run-task.js';
import type { Outgoing } from '../connection/message.js';

const IDLE_SLICE_MS = 50;
const SPIN_MS = 0.2;

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
        const outcome = runTask(fn, mode, args);
        ({ value, single } = outcome instanceof Promise ? await outcome : outcome);
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
