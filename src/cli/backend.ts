// Where `multiprocessing-ts map` runs its tasks: a local Pool (worker threads or processes), or,
// with --redis, the same Pool API on the Redis backend, which is a separate part of the package
// (`multiprocessing-ts/redis`, with its own optional dependencies): it is imported only when
// asked for, and its absence is a clear error rather than a crash.
import { Pool, type PoolOptions } from '../index.js';
import type { StartMethod } from '../process/runtime.js';
import { CliError } from './errors.js';

export interface BackendOptions {
  processes?: number;
  context?: StartMethod;
  redis?: string;
}

/** The subpath of the Redis backend; a variable, so that neither tsc nor esbuild look for it at build time. */
const REDIS_MODULE: string = 'multiprocessing-ts/redis';

type RedisFactory = (options: { url: string }) => unknown;

export async function openPool(o: BackendOptions): Promise<Pool> {
  if (o.redis === undefined) return new Pool({ processes: o.processes ?? null, context: o.context ?? null });
  if (o.context) throw new CliError('--context and --redis do not go together: with --redis the tasks run on the worker machines (multiprocessing-ts worker)', 2);
  let redis: RedisFactory;
  try {
    redis = ((await import(REDIS_MODULE)) as { redis: RedisFactory }).redis;
  } catch (e) {
    throw new CliError(`--redis: the Redis backend is not available in this installation (cannot import ${REDIS_MODULE}: ${(e as Error).message})`, 2);
  }
  if (typeof redis !== 'function') throw new CliError(`--redis: ${REDIS_MODULE} has no 'redis' export`, 2);
  // The backend option belongs to the Redis backend's own part of the Pool's options.
  const options = { backend: redis({ url: o.redis }), processes: o.processes ?? null } as PoolOptions;
  return new Pool(options);
}
