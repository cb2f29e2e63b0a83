// IMapIterator: what Pool.imap and Pool.imapUnordered return. It pulls its input lazily, keeps
// a bounded number of chunks in flight (so an endless input works in bounded memory), and
// gives results in order (imap) or as they complete (imapUnordered), with Python's
// next(timeout).
import { TimeoutError } from '../errors.js';
import { checkPositiveInt, deadlineOf, describe, remaining, waitOptions } from '../util/options.js';
import { within } from '../util/promised.js';

const nothing = (): void => undefined;

/** Runs one chunk of the input through the pool: resolves with its results in order. */
export type RunChunk = (items: unknown[]) => Promise<unknown[]>;

/** imap keeps at most this many chunks per worker in flight (bounded memory). */
const IMAP_WINDOW = 16;

/** What imap/imapUnordered return: an async iterator with Python's next(timeout). */
export class IMapIterator<T> implements AsyncIterableIterator<T> {
  readonly #source: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #chunksize: number;
  readonly #window: number;
  readonly #inflight: Promise<{ index: number; values: unknown[] }>[] = [];
  readonly #ready: unknown[] = [];
  readonly #errors: unknown[] = [];
  #index = 0;
  #exhausted = false;
  #unordered: Map<number, Promise<{ index: number; values: unknown[] }>> | null;
  #done = false;
  #step: Promise<void> | null = null;

  /** @internal (made by Pool.imap and Pool.imapUnordered) */
  constructor(
    private readonly runChunk: RunChunk,
    workers: number,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    chunksize: number | null | undefined,
    ordered: boolean,
  ) {
    const it = iterable as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
    if (typeof it?.[Symbol.asyncIterator] === 'function') this.#source = it[Symbol.asyncIterator]!();
    else if (typeof it?.[Symbol.iterator] === 'function') this.#source = it[Symbol.iterator]!();
    else throw new TypeError(`Pool.imap: expected an iterable, got ${describe(iterable)}`);
    this.#chunksize = chunksize == null ? 1 : checkPositiveInt(chunksize, 'Pool.imap: chunksize');
    this.#window = workers * IMAP_WINDOW;
    this.#unordered = ordered ? null : new Map();
  }

  private async fill(): Promise<void> {
    const pending = () => (this.#unordered ? this.#unordered.size : this.#inflight.length);
    while (!this.#exhausted && pending() < this.#window) {
      const items: unknown[] = [];
      while (items.length < this.#chunksize) {
        const r = await this.#source.next();
        if (r.done) {
          this.#exhausted = true;
          break;
        }
        items.push(r.value);
      }
      if (!items.length) break;
      const index = this.#index++;
      const p = this.runChunk(items).then((values) => ({ index, values }));
      p.catch(() => {});
      if (this.#unordered) {
        this.#unordered.set(index, p);
        void p.then(
          (r) => {
            this.#unordered!.delete(index);
            this.#ready.push(...r.values);
          },
          (e) => {
            this.#unordered!.delete(index);
            this.#errors.push(e);
          },
        );
      } else this.#inflight.push(p);
    }
  }

  /**
   * The next result; TimeoutError after `timeout` ms (Python's IMapIterator.next(timeout)), or
   * the signal's reason once `signal` aborts. A wait that times out or is aborted takes nothing:
   * the result it was waiting for is given to the next call.
   */
  async next(timeout?: number | null | { timeout?: number | null; signal?: AbortSignal }): Promise<IteratorResult<T>> {
    const { ms, signal } = waitOptions(timeout, 'IMapIterator.next');
    signal?.throwIfAborted();
    const deadline = deadlineOf(ms);
    for (;;) {
      if (this.#ready.length) return { value: this.#ready.shift() as T, done: false };
      if (this.#errors.length) throw this.#errors.shift();
      if (this.#done) return { value: undefined as never, done: true };
      // Results move into #ready/#errors through one shared step, never straight to a caller,
      // so a caller that stops waiting leaves them for the next one.
      this.#step ??= this.advance().finally(() => (this.#step = null));
      if (ms < 0 && !signal) await this.#step;
      // (The step runs on either way: a timeout or an abort only stops this wait.)
      else await within(this.#step.then(nothing, nothing), remaining(deadline), () => {
        throw new TimeoutError(`IMapIterator.next: no result within ${ms} ms`);
      }, signal);
    }
  }

  /** One unit of progress: more input sent, then one chunk's results (or error) made ready. */
  private async advance(): Promise<void> {
    try {
      await this.fill();
    } catch (e) {
      // The input itself threw: that error is the next result, and the input is over.
      this.#exhausted = true;
      this.#errors.push(e);
      return;
    }
    if (this.#unordered) {
      if (this.#ready.length || this.#errors.length) return;
      if (!this.#unordered.size) this.#done = true;
      else await Promise.race([...this.#unordered.values()].map((p) => p.catch(() => {})));
      return;
    }
    const head = this.#inflight.shift();
    if (!head) {
      this.#done = true;
      return;
    }
    try {
      this.#ready.push(...(await head).values);
    } catch (e) {
      this.#errors.push(e);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
