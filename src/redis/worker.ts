// The worker side of the Redis backend, what `multiprocessing-ts worker` runs: a BullMQ Worker
// in this process takes jobs (its lock renewal runs here, never stalled by a task) and hands
// each to a local Pool of `processes` child processes of this package's own Process, which
// import the task's module by the URL the job names and run it (job-runner.ts). A child that
// dies mid-task is replaced and the task runs again; if this whole process dies, BullMQ's
// stalled-job check gives its jobs to another worker once their locks expire.
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { WorkerLostError } from '../errors.js';
import { Pool } from '../pool/pool.js';
import { local } from '../pool/local/backend.js';
import { esmDir } from '../util/here.js';
import { checkPositiveInt, describe } from '../util/options.js';
import { loadBullMQ } from './bullmq.js';
import { encodeResult, localJob, type JobData } from './job.js';
import { checkRedisOptions, connectionOf, queueOf, tuningOf, type RedisOptions } from './options.js';

export interface WorkerOptions extends RedisOptions {
  /** Child processes running tasks (default: the number of CPUs). */
  processes?: number | null;
  /** Where the one-line start/stop messages go (default: stderr; null: nowhere). */
  log?: ((line: string) => void) | null;
}

/** A running worker: `close()` stops taking jobs, lets the running ones finish, and ends the children. */
export interface RedisWorker {
  readonly queue: string;
  /** pids of the child processes running tasks now */
  readonly pids: number[];
  /** Stops cleanly: running tasks finish (with `force`, they go back to the queue instead). */
  close(options?: { force?: boolean }): Promise<void>;
  /** Resolves once the worker has stopped. */
  readonly closed: Promise<void>;
}

const runnerRef = () => ({ module: pathToFileURL(join(esmDir, 'redis', 'job-runner.js')).href, name: 'runJob' });

export async function runWorker(options: WorkerOptions): Promise<RedisWorker> {
  const what = 'runWorker';
  const o = checkRedisOptions(options, what, ['processes', 'log']) as WorkerOptions;
  const connection = connectionOf(o.url, what);
  const queue = queueOf(o, what);
  const tuning = tuningOf(o, what);
  const processes = o.processes == null ? Math.max(1, availableParallelism()) : checkPositiveInt(o.processes, `${what}: processes`);
  if (o.log != null && typeof o.log !== 'function') throw new TypeError(`${what}: log must be a function or null, got ${describe(o.log)}`);
  const log = o.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : (o.log ?? (() => {}));
  const { Worker } = await loadBullMQ(what);
  const where = `queue '${queue}' at ${o.url.replace(/\/\/[^@/]*@/, '//***@')}`;

  const pool = new Pool({
    processes,
    context: 'process',
    backend: local({
      onWorker: (e) => log(e.event === 'start' ? `multiprocessing-ts worker: started ${e.name} (pid ${e.pid}) for ${where}` : `multiprocessing-ts worker: ${e.name} (pid ${e.pid}) stopped${e.exitcode ? ` (exit code ${e.exitcode})` : ''}`),
    }),
  });
  const ref = runnerRef();
  // A child that died under a task (killed, out of memory) is replaced; the task runs again, up
  // to maxStalledCount times, as BullMQ would retry a stalled job, then fails with that error.
  const run = async (data: JobData): Promise<string> => {
    const job = localJob(data);
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await pool.apply<Uint8Array>(ref, [job]);
        return Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('base64');
      } catch (e) {
        if (!(e instanceof WorkerLostError)) throw e;
        if (attempt > tuning.maxStalledCount) return encodeResult(false, e).toString('base64');
      }
    }
  };
  const worker = new Worker(queue, (job) => run(job.data as JobData), {
    connection,
    concurrency: processes,
    lockDuration: tuning.lockDuration,
    stalledInterval: tuning.stalledInterval,
    maxStalledCount: tuning.maxStalledCount,
  });
  worker.on('error', (e) => log(`multiprocessing-ts worker: ${where}: ${(e as Error).message}`));
  await worker.waitUntilReady();

  let stopping: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  return {
    queue,
    get pids() {
      return pool.pids;
    },
    closed,
    close({ force = false } = {}) {
      if (force) {
        // Running jobs are abandoned: their locks lapse and BullMQ gives them to another worker.
        pool.terminate();
        stopping = Promise.all([worker.close(true), pool.join()]).then(() => {});
      }
      stopping ??= (async () => {
        await worker.close();
        pool.close();
        await pool.join();
      })();
      void stopping.then(resolveClosed, resolveClosed);
      return stopping;
    },
  };
}
