// IMapIterator: what Pool.imap and Pool.imapUnordered return. It pulls its input lazily, keeps
// a bounded number of chunks in flight (so an endless input works in bounded memory), and
// gives results in order (imap) or as they complete (imapUnordered), with Python's
// next(timeout).
import { TimeoutError } from '../errors.js';
import type { AnyFunction, TargetRef } from '../targets/describe.js';
import { checkPositiveInt, describe } from '../util/options.js';
import type { Pool, TaskOptions } from './pool.js';

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

  constructor(
    readonly pool: Pool,
    readonly fn: AnyFunction | TargetRef,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    readonly options: { chunksize?: number } & TaskOptions,
    ordered: boolean,
  ) {
    const it = iterable as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
    if (typeof it?.[Symbol.asyncIterator] === 'function') this.#source = it[Symbol.asyncIterator]!();
    else if (typeof it?.[Symbol.iterator] === 'function') this.#source = it[Symbol.iterator]!();
    else throw new TypeError(`Pool.imap: expected an iterable, got ${describe(iterable)}`);
    this.#chunksize = options.chunksize == null ? 1 : checkPositiveInt(options.chunksize, 'Pool.imap: chunksize');
    this.#window = pool.size * IMAP_WINDOW;
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
      const p = this.pool.chunk(this.fn, items, this.options).then((values) => ({ index, values }));
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

  /** The next result; TimeoutError after `timeout` ms (Python's IMapIterator.next(timeout)). */
  async next(timeout?: number | null): Promise<IteratorResult<T>> {
    if (timeout != null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`IMapIterator.next: no result within ${timeout} ms`)), timeout)));
      try {
        return await Promise.race([this.next(), limit]);
      } finally {
        clearTimeout(timer);
      }
    }
    for (;;) {
      if (this.#ready.length) return { value: this.#ready.shift() as T, done: false };
      if (this.#errors.length) throw this.#errors.shift();
      await this.fill();
      if (this.#unordered) {
        if (this.#ready.length || this.#errors.length) continue;
        if (!this.#unordered.size) return { value: undefined as never, done: true };
        await Promise.race([...this.#unordered.values()].map((p) => p.catch(() => {})));
        continue;
      }
      const head = this.#inflight.shift();
      if (!head) return { value: undefined as never, done: true };
      const { values } = await head;
      this.#ready.push(...values);
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
