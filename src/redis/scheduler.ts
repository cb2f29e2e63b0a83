// The Redis backend's scheduler: a pool's tasks as BullMQ jobs. Each task is one job whose id is
// `<call>-<task>` (the call's id starts with this pool's own random id), added with addBulk;
// results come back through the queue's events stream (QueueEvents, read from the stream's end
// as it was when the pool started), and a job's stored state is read for a task whose event was
// missed (trimmed). Delivery is at least once: a job whose worker died runs again; a result is
// taken once (a task settles once, later events for it are dropped), then its job is removed.
import { randomBytes } from 'node:crypto';
import { asRemoteError } from '../codec/codec.js';
import { classesLoaded, classesPending } from '../codec/classes.js';
import { ProcessError, TargetError, ValueError, WorkerLostError } from '../errors.js';
import type { CallRequest, PoolSettings, PoolStats, Scheduler } from '../pool/backend.js';
import { Call } from '../pool/call.js';
import { describeTarget } from '../targets/describe.js';
import { loadBullMQ } from './bullmq.js';
import { decodeResult, jobData } from './job.js';
import type { Connection, Tuning } from './options.js';
import { within } from '../util/promised.js';

/**
 * A job is removed once its result is read; one whose result nobody reads (its call was stopped
 * while it ran, or its pool's program died) is removed by BullMQ after this long (seconds).
 */
const RETENTION = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } };
/** ms a read result's job waits to be removed with others. */
const REMOVE_DELAY_MS = 20;
/** Chunks whose state one reconcile pass reads, at most. */
const RECONCILE_BATCH = 200;

interface Chunk {
  id: string;
  index: number;
  call: Call<Chunk>;
  settled: boolean;
  /** when its job was stored (0: not yet) */
  addedAt: number;
}

type Queue = import('bullmq').Queue;
type QueueEvents = import('bullmq').QueueEvents;
interface Link {
  queue: Queue;
  events: QueueEvents;
}

export interface RedisTarget {
  url: string;
  connection: Connection;
  queue: string;
  tuning: Tuning;
}

export class RedisScheduler implements Scheduler {
  readonly size: number;
  readonly pids: number[] = [];
  readonly #id = randomBytes(6).toString('hex');
  readonly #link: Promise<Link>;
  readonly #pending = new Map<string, Chunk>();
  /** Jobs of stopped calls, removed when their result arrives (one that ran cannot be removed before). */
  readonly #orphans = new Set<string>();
  #toRemove: string[] = [];
  #removing: Promise<void> = Promise.resolve();
  #state: 'running' | 'closed' | 'terminated' | 'broken' = 'running';
  /** Every Redis client this pool opened: disconnected if Redis cannot be reached in time. */
  readonly #clients: { disconnect(): unknown }[] = [];
  #brokenBy: Error | null = null;
  #seq = 0;
  #completed = 0;
  #failed = 0;
  #idle: (() => void)[] = [];
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  #reconciler: ReturnType<typeof setInterval>;
  #shutdown: Promise<void> | null = null;

  constructor(
    private readonly target: RedisTarget,
    private readonly settings: PoolSettings,
  ) {
    if (settings.initializer) throw new TypeError('Pool: an initializer is not supported by the Redis backend (each worker machine runs its own setup)');
    if (settings.maxtasksperchild) throw new TypeError('Pool: maxtasksperchild is not supported by the Redis backend');
    // The size the pool is told (processes) sets its default chunking, as CPython's.
    this.size = settings.processes ?? 1;
    // Redis that cannot be reached fails the pool's calls after connectTimeout (its clients
    // would otherwise retry for ever, and the calls wait with them).
    const ms = target.tuning.connectTimeout;
    this.#link = within(this.connect(), ms, () => {
      throw new ProcessError(`Pool: cannot reach Redis for queue '${target.queue}' within ${ms} ms (is redis-server running at that address?)`);
    });
    this.#link.catch((e: unknown) => {
      this.breakPool(e instanceof Error ? e : new ProcessError(String(e)));
      for (const client of this.#clients) void Promise.resolve(client.disconnect()).catch(() => {});
    });
    this.#reconciler = setInterval(() => void this.reconcile().catch(() => {}), target.tuning.reconcileInterval);
    this.#reconciler.unref();
  }

  private async connect(): Promise<Link> {
    const { Queue, QueueEvents } = await loadBullMQ('Pool');
    const { connection, queue: name, tuning } = this.target;
    const { Redis } = await import('ioredis');
    // The queue's client is ours, so that it can be stopped while it is still trying to connect.
    const client = new Redis(connection);
    client.on('error', () => {});
    this.#clients.push(client);
    const queue = new Queue(name, { connection: client, streams: { events: { maxLen: tuning.eventsMaxLen } } });
    queue.on('error', () => {});
    await queue.waitUntilReady();
    // The events from now on: the stream's last id before any job of ours is added.
    const probe = new Redis({ ...connection, lazyConnect: true });
    this.#clients.push(probe);
    let last = '0-0';
    try {
      await probe.connect();
      const top = (await probe.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][];
      if (top.length) last = top[0][0];
    } finally {
      probe.disconnect();
    }
    const events = new QueueEvents(name, { connection, lastEventId: last });
    this.#clients.push(events);
    events.on('error', () => {});
    events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue as unknown));
    events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
    await events.waitUntilReady();
    return { queue, events };
  }

  // ------------------------------------------------------------------ results

  private onCompleted(jobId: string, returnvalue: unknown): void {
    if (this.#orphans.delete(jobId)) return this.remove(jobId);
    const chunk = this.#pending.get(jobId);
    if (!chunk) return; // another pool's job, or a duplicate: each result is taken once
    this.#pending.delete(jobId);
    this.remove(jobId);
    let ok: boolean, value: unknown;
    try {
      if (typeof returnvalue !== 'string') throw new ProcessError(`job ${jobId} returned ${typeof returnvalue}: is a worker of another program reading queue '${this.target.queue}'?`);
      ({ ok, value } = decodeResult(returnvalue));
    } catch (e) {
      return this.settle(chunk, false, e);
    }
    // A value whose class's module is being imported settles once it has its class; an error
    // whose class cannot be found here becomes a RemoteError.
    if (classesPending()) void classesLoaded().then(() => this.settle(chunk, ok, ok ? value : asRemoteError(value)));
    else this.settle(chunk, ok, ok ? value : asRemoteError(value));
  }

  /** A job BullMQ gave up on (a task's own error comes back as a result, not this). */
  private onFailed(jobId: string, reason: string): void {
    if (this.#orphans.delete(jobId)) return this.remove(jobId);
    const chunk = this.#pending.get(jobId);
    if (!chunk) return;
    this.#pending.delete(jobId);
    this.remove(jobId);
    const what = `task ${jobId} failed in queue '${this.target.queue}': ${reason}`;
    this.settle(chunk, false, /stall/i.test(reason) ? new WorkerLostError(`${what} (its workers kept dying)`, null, null) : new ProcessError(what));
  }

  private settle(chunk: Chunk, ok: boolean, value: unknown): void {
    if (chunk.settled) return;
    chunk.settled = true;
    this.#pending.delete(chunk.id);
    if (ok) this.#completed++;
    else this.#failed++;
    chunk.call.taskDone(chunk, ok, value);
    this.settings.onSettled();
    this.holdWhileBusy();
  }

  /**
   * Jobs are removed once their result is read, a batch at a time, a moment later: removals
   * sent at once would sit in front of the next call's jobs on the queue's connection (half
   * the apply round trip).
   */
  private remove(jobId: string): void {
    this.#toRemove.push(jobId);
    if (this.#toRemove.length > 1) return;
    const later = new Promise<void>((r) => setTimeout(r, REMOVE_DELAY_MS).unref());
    this.#removing = Promise.all([this.#removing, later]).then(async () => {
      const ids = this.#toRemove;
      this.#toRemove = [];
      const { queue } = await this.#link;
      await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    }).catch(() => {});
  }

  /** Reads the stored state of chunks waiting longer than a pass, in case their event was trimmed. */
  private async reconcile(): Promise<void> {
    if (this.#pending.size === 0) return;
    const { queue } = await this.#link;
    const before = Date.now() - this.target.tuning.reconcileInterval;
    const old: Chunk[] = [];
    for (const c of this.#pending.values()) {
      if (c.addedAt > 0 && c.addedAt < before) old.push(c);
      if (old.length >= RECONCILE_BATCH) break;
    }
    await Promise.all(
      old.map(async (c) => {
        const job = await queue.getJob(c.id);
        if (!job || !job.finishedOn) return;
        if (job.failedReason) this.onFailed(c.id, job.failedReason);
        else this.onCompleted(c.id, job.returnvalue);
      }),
    );
  }

  // ------------------------------------------------------------------ the Scheduler interface

  check(what: string): void {
    if (this.#state === 'broken') throw Object.assign(new ProcessError(`${what}: the pool is broken: ${this.#brokenBy!.message}`), { cause: this.#brokenBy });
    if (this.#state !== 'running') throw new ValueError(`${what}: the pool is ${this.#state}; no new work is accepted`);
  }

  submit(req: CallRequest): void {
    const { what } = req;
    if (typeof req.fn !== 'function' && (req.fn === null || typeof req.fn !== 'object')) throw new TypeError(`${what}: expected a function, got ${String(req.fn)}`);
    const spec = describeTarget(req.fn, `${what} function`);
    if (spec.kind !== 'export') {
      throw new TargetError(`${what}: function '${spec.name || 'anonymous'}' can only be sent by its source, and the Redis backend sends functions by reference only: export it from a module that the workers can import (or pass { module, name })`);
    }
    const callId = `${this.#id}.${++this.#seq}`;
    const call = new Call<Chunk>(what, req.tasks.length, req.options, (c, v) => req.onValue(c.index, v), req.onEnd, (c) => this.cancelCall(c));
    const jobs: { name: string; data: ReturnType<typeof jobData>; opts: { jobId: string } & typeof RETENTION }[] = [];
    try {
      for (let i = 0; i < req.tasks.length; i++) {
        // Encoded now: the caller may change its arguments next.
        const id = `${callId}-${i}`;
        jobs.push({ name: spec.name, data: jobData(spec.module, spec.name, req.mode, req.tasks[i]), opts: { jobId: id, ...RETENTION } });
        const chunk: Chunk = { id, index: i, call, settled: false, addedAt: 0 };
        call.tasks.push(chunk);
      }
    } catch (e) {
      call.end(false, e);
      return;
    }
    if (jobs.length === 0) return call.end(true);
    for (const c of call.tasks) this.#pending.set(c.id, c);
    this.holdWhileBusy();
    void this.#link
      .then(async ({ queue }) => {
        // (one job: one command; addBulk wraps even one in a transaction)
        if (jobs.length === 1) await queue.add(jobs[0].name, jobs[0].data, jobs[0].opts);
        else await queue.addBulk(jobs);
      })
      .then(() => {
        const now = Date.now();
        for (const c of call.tasks) c.addedAt = now;
      })
      .catch((e: unknown) => {
        for (const c of call.tasks) this.#pending.delete(c.id);
        call.end(false, e);
        this.holdWhileBusy();
      });
  }

  /** A failed or stopped call: its jobs that have not run are removed; results of the others are dropped. */
  private cancelCall(call: Call<Chunk>): void {
    for (const c of call.tasks) {
      if (c.settled) continue;
      c.settled = true;
      if (this.#pending.delete(c.id)) {
        this.#orphans.add(c.id);
        void this.#link.then(({ queue }) => queue.remove(c.id)).then((n) => n && this.#orphans.delete(c.id)).catch(() => {});
      }
    }
    this.holdWhileBusy();
  }

  cancelUnstarted(signal: AbortSignal, error: unknown): void {
    // Whether a job has started is the workers' to know: the calls made with this signal end;
    // their jobs not yet taken are removed.
    const calls = new Set<Call<Chunk>>();
    for (const c of this.#pending.values()) if (c.call.signal === signal) calls.add(c.call);
    for (const call of calls) call.end(false, error);
  }

  private breakPool(error: Error): void {
    if (this.#state === 'terminated') return;
    this.#state = 'broken';
    this.#brokenBy = error;
    for (const c of [...this.#pending.values()]) this.settle(c, false, error);
  }

  private holdWhileBusy(): void {
    const busy = this.#pending.size > 0;
    if (busy && !this.#keepAlive) this.#keepAlive = setInterval(() => {}, 1 << 30);
    else if (!busy && this.#keepAlive) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
    if (!busy) for (const wake of this.#idle.splice(0)) wake();
  }

  close(): void {
    if (this.#state === 'running') this.#state = 'closed';
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    const error = new ProcessError('the pool was terminated before this task finished');
    const calls = new Set<Call<Chunk>>();
    for (const c of this.#pending.values()) calls.add(c.call);
    for (const call of calls) call.end(false, error);
  }

  async join(): Promise<void> {
    if (this.#state === 'running') throw new ValueError('Pool.join: call close() or terminate() first');
    while (this.#pending.size > 0) await new Promise<void>((r) => this.#idle.push(r));
    await (this.#shutdown ??= this.shutdown());
  }

  /** After the last result: the removals finish, then the connections close. */
  private async shutdown(): Promise<void> {
    clearInterval(this.#reconciler);
    let link: Link;
    try {
      link = await this.#link;
    } catch {
      return;
    }
    // The jobs of stopped calls that were not removed yet (taken by a worker meanwhile) are left
    // to finish, and to BullMQ's retention (RETENTION).
    await Promise.all([...this.#orphans].map((id) => link.queue.remove(id).catch(() => 0)));
    await this.#removing;
    await Promise.all([link.events.close(), link.queue.close()]);
    // (The queue's client is ours: BullMQ leaves a client it was given open.)
    for (const client of this.#clients) client.disconnect();
  }

  stats(): PoolStats {
    const inflight = this.#pending.size;
    const busy = Math.min(inflight, this.size);
    return { workers: this.size, busy, queued: inflight - busy, completed: this.#completed, failed: this.#failed };
  }
}
