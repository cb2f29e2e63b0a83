// The Redis backend's options, for a pool (`redis({ url, queue?, ...tuning })`) and for a worker
// (`runWorker({ url, queue?, processes?, ...tuning })`), checked at the call, with the defaults
// that Pool semantics need from BullMQ: short locks so that a dead worker's chunk runs again
// within seconds, several stalls allowed before a chunk is given up, an events stream long
// enough for a large map, and a reconcile pass for completions whose event was trimmed anyway.
import { checkOptions, checkPositiveInt, describe } from '../util/options.js';

/** The queue a pool and its workers share when none is named. */
export const DEFAULT_QUEUE = 'multiprocessing-ts';

export interface RedisTuning {
  /** ms a worker holds a chunk before another may take it over (BullMQ lockDuration; default 10,000). */
  lockDuration?: number;
  /** ms between checks for chunks whose worker died (BullMQ stalledInterval; default 5,000). */
  stalledInterval?: number;
  /** How many times a chunk may be taken over before it fails (BullMQ maxStalledCount; default 3). */
  maxStalledCount?: number;
  /** Events kept in the queue's events stream (default 100,000). */
  eventsMaxLen?: number;
  /** ms between passes that read the stored state of chunks whose completion was not heard (default 5,000). */
  reconcileInterval?: number;
  /** ms a pool waits for Redis at its start before its calls fail saying Redis cannot be reached (default 10,000). */
  connectTimeout?: number;
}

export interface RedisOptions extends RedisTuning {
  /** `redis://host:port/db`, `rediss://...` (TLS) or `redis+unix:///path/to/redis.sock`. */
  url: string;
  /** The BullMQ queue's name (default 'multiprocessing-ts'); workers must name the same one. */
  queue?: string;
}

export interface Tuning {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  eventsMaxLen: number;
  reconcileInterval: number;
  connectTimeout: number;
}

const TUNING = ['lockDuration', 'stalledInterval', 'maxStalledCount', 'eventsMaxLen', 'reconcileInterval', 'connectTimeout'] as const;
export const REDIS_OPTIONS = ['url', 'queue', ...TUNING];

export function tuningOf(o: RedisTuning, what: string): Tuning {
  const pick = (k: (typeof TUNING)[number], dflt: number) => (o[k] == null ? dflt : checkPositiveInt(o[k], `${what}: ${k}`));
  const t = {
    lockDuration: pick('lockDuration', 10_000),
    stalledInterval: pick('stalledInterval', 5_000),
    maxStalledCount: pick('maxStalledCount', 3),
    eventsMaxLen: pick('eventsMaxLen', 100_000),
    reconcileInterval: pick('reconcileInterval', 5_000),
    connectTimeout: pick('connectTimeout', 10_000),
  };
  return t;
}

export function queueOf(o: { queue?: string }, what: string): string {
  const q = o.queue ?? DEFAULT_QUEUE;
  if (typeof q !== 'string' || q === '' || q.includes(':')) throw new TypeError(`${what}: queue must be a non-empty name without ':', got ${describe(q)}`);
  return q;
}

/** ioredis connection options from a URL (the unix form is ours: ioredis takes a path). */
export interface Connection {
  host?: string;
  port?: number;
  path?: string;
  db?: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  /** BullMQ's workers need commands never to give up while Redis reconnects. */
  maxRetriesPerRequest: null;
}

export function connectionOf(url: unknown, what: string): Connection {
  if (typeof url !== 'string') throw new TypeError(`${what}: url must be a string such as 'redis://localhost:6379', got ${describe(url)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${what}: url ${JSON.stringify(url)} is not a URL (expected redis://host:port/db, rediss://... or redis+unix:///path/to/redis.sock)`);
  }
  const c: Connection = { maxRetriesPerRequest: null };
  if (u.username) c.username = decodeURIComponent(u.username);
  if (u.password) c.password = decodeURIComponent(u.password);
  const db = (p: string | null) => {
    if (p == null || p === '') return;
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`${what}: url ${JSON.stringify(url)}: the database must be a number, got ${JSON.stringify(p)}`);
    c.db = n;
  };
  if (u.protocol === 'redis+unix:' || u.protocol === 'unix:') {
    if (!u.pathname || u.pathname === '/') throw new TypeError(`${what}: url ${JSON.stringify(url)} names no socket path`);
    c.path = decodeURIComponent(u.pathname);
    db(u.searchParams.get('db'));
    return c;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TypeError(`${what}: url ${JSON.stringify(url)}: expected redis://, rediss:// or redis+unix://`);
  c.host = u.hostname || 'localhost';
  c.port = u.port ? Number(u.port) : 6379;
  if (u.protocol === 'rediss:') c.tls = {};
  db(u.pathname.slice(1));
  return c;
}

export function checkRedisOptions(o: unknown, what: string, more: string[] = []): RedisOptions {
  if (o === null || typeof o !== 'object') throw new TypeError(`${what}: expected options { url, queue? }, got ${describe(o)}`);
  checkOptions(o as Record<string, unknown>, [...REDIS_OPTIONS, ...more], what);
  return o as RedisOptions;
}
