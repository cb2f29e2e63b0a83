// `multiprocessing-ts worker --redis <url> [--queue <name>] [--processes <n>]`: runs a Redis
// backend worker (runWorker) until SIGINT or SIGTERM, then stops cleanly: no new jobs, running
// tasks finish, children end. A second signal stops at once (running tasks go back to the
// queue when their locks lapse).
import type { Command } from 'commander';
import { runWorker } from '../redis/worker.js';
import { DEFAULT_QUEUE } from '../redis/options.js';

export interface WorkerCommandOptions {
  redis: string;
  queue: string;
  processes?: string;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** Runs the worker command; resolves once it has stopped after a signal. */
export async function workerCommand(opts: WorkerCommandOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const processes = opts.processes === undefined ? undefined : positiveInt(opts.processes, '--processes');
  const worker = await runWorker({ url: opts.redis, queue: opts.queue, processes, log });
  log(`multiprocessing-ts worker: ready (pid ${process.pid}, queue '${worker.queue}'); SIGINT or SIGTERM stops it`);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    log(`multiprocessing-ts worker: ${sig}: ${signals === 1 ? 'stopping (running tasks finish; again to stop at once)' : 'stopping now'}`);
    void worker.close({ force: signals > 1 });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await worker.closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log(`multiprocessing-ts worker: stopped (pid ${process.pid})`);
}

/** Adds the `worker` subcommand to the program. */
export function registerWorker(program: Command): Command {
  return program
    .command('worker')
    .description('run Pool tasks from a Redis queue (BullMQ) in child processes on this machine')
    .requiredOption('--redis <url>', 'redis://host:port/db, rediss://... or redis+unix:///path/to/redis.sock')
    .option('--queue <name>', 'the queue the pools use', DEFAULT_QUEUE)
    .option('--processes <n>', 'worker processes (default: the number of CPUs)')
    .action(async (opts: WorkerCommandOptions) => {
      await workerCommand(opts);
    });
}
