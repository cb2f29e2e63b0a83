// Runs one job in a worker process of the worker command: import the task's module (once per
// process), run it over the job's arguments, and answer with the encoded result, the task's own
// error included (it keeps its class and stack). The worker command's local pool calls this in
// its children, so that a CPU-bound task never stalls BullMQ's lock renewal, which runs in the
// parent. An entry module of its own: a child loads it without BullMQ.
import { hostname } from 'node:os';
import { TargetError } from '../errors.js';
import { loadTarget } from '../targets/load.js';
import { runTask, type Fn } from '../pool/run-task.js';
import { decode } from '../codec/codec.js';
import { encodeResult, FORMAT, type LocalJob } from './job.js';

const loaded = new Map<string, Promise<Fn>>();

function load(module: string, name: string): Promise<Fn> {
  const key = `${module}#${name}`;
  let p = loaded.get(key);
  if (!p) {
    p = loadTarget({ kind: 'export', module, name }).catch((e: unknown) => {
      loaded.delete(key);
      throw Object.assign(new TargetError(`worker on host ${hostname()} (pid ${process.pid}) could not load '${name}' from ${module}: ${(e as Error).message}`), { cause: e });
    });
    loaded.set(key, p);
  }
  return p;
}

/** The job's encoded result: ok and the value, or not ok and the error. */
export async function runJob(data: LocalJob): Promise<Uint8Array> {
  let ok = true, value: unknown;
  try {
    if (data?.v !== FORMAT) throw new TypeError(`this worker reads jobs of format ${FORMAT}, got ${JSON.stringify(data?.v)}: run the same version of multiprocessing-ts on the pool and the workers`);
    const fn = await load(data.module, data.name);
    const args = decode(data.args, true) as ArrayLike<unknown>;
    // A chunk of one travels as a list of one (the pool sends whole lists).
    const outcome = runTask(fn, data.mode, args);
    const r = outcome instanceof Promise ? await outcome : outcome;
    value = r.single ? [r.value] : r.value;
  } catch (e) {
    ok = false;
    value = e;
  }
  try {
    return encodeResult(ok, value);
  } catch (e) {
    // A result that cannot be sent (a function, say) fails its task, not the worker.
    return encodeResult(false, e);
  }
}
