// `multiprocessing-ts/redis`: the same Pool beyond one machine, through BullMQ on Redis.
//   new mp.Pool({ backend: redis({ url, queue? }), processes? })   the pool side
//   runWorker({ url, queue?, processes? })                          a worker (what the command runs)
// bullmq and ioredis are optional peer dependencies, imported when a pool or worker starts.
import type { Backend } from '../pool/backend.js';
import { checkRedisOptions, connectionOf, queueOf, tuningOf, type RedisOptions } from './options.js';
import { RedisScheduler } from './scheduler.js';

export type { RedisOptions, RedisTuning } from './options.js';
export { DEFAULT_QUEUE } from './options.js';
export { runWorker, type RedisWorker, type WorkerOptions } from './worker.js';
export type { Backend } from '../pool/backend.js';

/** A Pool backend running every task as a BullMQ job on the Redis at `url`. Options are checked here. */
export function redis(options: RedisOptions): Backend {
  const what = 'redis';
  const o = checkRedisOptions(options, what);
  const target = { url: o.url, connection: connectionOf(o.url, what), queue: queueOf(o, what), tuning: tuningOf(o, what) };
  return { name: 'redis', open: (settings) => new RedisScheduler(target, settings) };
}
