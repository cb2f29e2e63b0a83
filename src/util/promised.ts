// A Promise-returning call never throws: its argument checks and fast paths run synchronously,
// and whatever they throw becomes the returned promise's rejection. One helper for that.

/** Runs `f`, turning a synchronous throw into a rejected promise. */
export function promised<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * `p`'s outcome, or `timedOut()`'s after `ms` (-1: never; a throw from it rejects), or a
 * rejection with the signal's reason once it aborts: whichever comes first. The timer (which
 * keeps the event loop alive while it runs) and the abort listener go once it has settled.
 */
export function within<T, U>(p: Promise<T>, ms: number, timedOut: () => U, signal?: AbortSignal | null): Promise<T | U> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T | U>((resolve, reject) => {
    const timer = setTimeout(() => settle(() => resolve(timedOut())), ms < 0 ? 0x7fffffff : ms);
    const onAbort = () => settle(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then((v) => settle(() => resolve(v)), (e: unknown) => settle(() => reject(e)));
    function settle(how: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        how();
      } catch (e) {
        reject(e);
      }
    }
  });
}
