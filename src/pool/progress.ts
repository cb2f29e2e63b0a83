// A call's progress, for its `onProgress` option (map, starmap, imap and their async forms, on
// any backend): items done and failed, and the total when it is known (not for a lazy imap).
// Reported at most every 100 ms while the call runs, and with the final figures at its end, so
// a program can draw its own bar without being called once per item.

export interface Progress {
  done: number;
  /** The number of items, when known (map and starmap; not imap over a lazy input). */
  total?: number;
  failed: number;
}
export type OnProgress = (progress: Progress) => void;

const EVERY_MS = 100;

export class ProgressReporter {
  #done = 0;
  #failed = 0;
  #last = -Infinity;
  #trailing: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly report: OnProgress,
    private readonly total?: number,
  ) {
    if (typeof report !== 'function') throw new TypeError(`onProgress must be a function, got ${typeof report}`);
  }

  add(done: number, failed = 0): void {
    this.#done += done;
    this.#failed += failed;
    const now = performance.now();
    if (now - this.#last >= EVERY_MS) this.emit(now);
    // The figures of the last 100 ms are not lost: they are reported once that time is up.
    else this.#trailing ??= setTimeout(() => this.emit(performance.now()), EVERY_MS - (now - this.#last)).unref();
  }

  /** The call has ended: its final figures now. */
  end(): void {
    this.emit(performance.now());
  }

  private emit(now: number): void {
    if (this.#trailing) clearTimeout(this.#trailing);
    this.#trailing = null;
    this.#last = now;
    this.report(this.total === undefined ? { done: this.#done, failed: this.#failed } : { done: this.#done, total: this.total, failed: this.#failed });
  }
}
