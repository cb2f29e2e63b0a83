// The local backend: a Pool's workers are Processes (or threads) of this machine. It is the
// default backend; `local({ onWorker })` also lets the Redis worker command log its workers'
// starts and exits.
import type { Backend } from '../backend.js';
import { LocalScheduler, type WorkerEvent } from './scheduler.js';

export type { WorkerEvent };

export function local(options: { onWorker?: (e: WorkerEvent) => void } = {}): Backend {
  return { name: 'local', open: (settings) => new LocalScheduler(settings, options.onWorker ?? null) };
}
