// Argument checking shared by every blocking call: timeouts in milliseconds, `block` flags.
import { ValueError } from '../errors.js';

export interface BlockOptions {
  block?: boolean;
  /** milliseconds; undefined or null waits forever */
  timeout?: number | null;
  /** Aborting rejects the wait with the signal's reason and leaves the object as it was. */
  signal?: AbortSignal | null;
}
/** What a wait that has no `block` takes: a timeout and a signal. */
export interface WaitOptions {
  /** milliseconds; undefined or null waits forever */
  timeout?: number | null;
  signal?: AbortSignal | null;
}
/** A blocking call's options: an object, or Python's positional forms (`block`, `timeout` in ms). */
export type BlockArg = BlockOptions | number | boolean | null;

/** A timeout argument as milliseconds, -1 meaning forever. Negative values count as 0, as in Python. */
export function timeoutMs(timeout: unknown, what: string): number {
  if (timeout === undefined || timeout === null || timeout === Infinity) return -1;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${describe(timeout)}`);
  }
  return timeout < 0 ? 0 : timeout;
}

// Names users write for an option that has another name here (Python's keywords, other libraries').
const MEANT: Record<string, string> = { blocking: 'block', wait: 'block', timeout_ms: 'timeout', ms: 'timeout', abortSignal: 'signal' };

/** The closest allowed name to a misspelt one (at most two edits away), if any. */
function closest(name: string, allowed: readonly string[]): string | undefined {
  if (MEANT[name] && allowed.includes(MEANT[name])) return MEANT[name];
  const lower = name.toLowerCase().replace(/_(.)/g, (_, c: string) => c);
  let best: string | undefined, bestCost = 3;
  for (const a of allowed) {
    const cost = distance(lower, a.toLowerCase());
    if (cost < bestCost) (best = a), (bestCost = cost);
  }
  return best;
}
/** Levenshtein distance, to name the option (or field) meant by a misspelt one. */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * Checks an options object: it must be a plain object whose every key is one of `allowed`;
 * an unknown name throws a TypeError naming it (and the name meant, where one is close).
 */
export function checkOptions<T extends object>(options: T | undefined | null, allowed: readonly string[], what: string): T | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${what}: expected an options object { ${allowed.join(', ')} }, got ${describe(options)}`);
  for (const key in options) {
    if (!allowed.includes(key)) {
      const meant = closest(key, allowed);
      throw new TypeError(`${what}: unknown option '${key}'${meant ? ` (did you mean '${meant}'?)` : ''}; the options are ${allowed.join(', ')}`);
    }
  }
  return options;
}

const BLOCK_KEYS = ['block', 'timeout', 'signal'] as const;
const WAIT_KEYS = ['timeout', 'signal'] as const;

/**
 * Accepts `f()`, `f({ block, timeout, signal })`, a timeout `f(500)`, and Python's positional
 * `f(block, timeout)`: `f(false)`, `f(true, 500)`.
 */
export function blockOptions(arg: unknown, what: string, timeoutArg?: unknown): { block: boolean; ms: number; signal: AbortSignal | null } {
  if (arg === undefined || arg === null) {
    if (timeoutArg !== undefined && timeoutArg !== null) throw new TypeError(`${what}: a timeout after block must follow a boolean block argument, got ${describe(arg)}`);
    return { block: true, ms: -1, signal: null };
  }
  if (typeof arg === 'boolean') {
    if (timeoutArg !== undefined && typeof timeoutArg === 'object' && timeoutArg !== null) {
      // f(true, { signal }) is not a Python form, but f(true, 500) is.
      throw new TypeError(`${what}: after the block argument, expected a timeout in ms, got ${describe(timeoutArg)}`);
    }
    return { block: arg, ms: arg ? timeoutMs(timeoutArg, what) : 0, signal: null };
  }
  if (timeoutArg !== undefined) throw new TypeError(`${what}: unexpected second argument ${describe(timeoutArg)} (the positional form is (block: boolean, timeout?: ms))`);
  if (typeof arg === 'number') return { block: true, ms: timeoutMs(arg, what), signal: null };
  if (typeof arg !== 'object') throw new TypeError(`${what}: expected options { block?, timeout?, signal? }, a timeout in ms or (block, timeout), got ${describe(arg)}`);
  const o = checkOptions(arg as BlockOptions, BLOCK_KEYS, what)!;
  const block = o.block === undefined ? true : checkBoolean(o.block, 'block', what);
  return { block, ms: block ? timeoutMs(o.timeout, what) : 0, signal: checkSignal(o.signal, what) };
}

/** Accepts `f()`, a timeout `f(500)` / `f(null)`, or `f({ timeout, signal })`. */
export function waitOptions(arg: unknown, what: string): { ms: number; signal: AbortSignal | null } {
  if (arg === undefined || arg === null || typeof arg === 'number') return { ms: timeoutMs(arg, what), signal: null };
  if (typeof arg !== 'object') throw new TypeError(`${what}: expected a timeout in ms or options { timeout?, signal? }, got ${describe(arg)}`);
  const o = checkOptions(arg as WaitOptions, WAIT_KEYS, what)!;
  return { ms: timeoutMs(o.timeout, what), signal: checkSignal(o.signal, what) };
}

export function checkSignal(signal: unknown, what: string): AbortSignal | null {
  if (signal === undefined || signal === null) return null;
  if (what.endsWith('Sync')) throw new TypeError(`${what}: a blocking (Sync) call cannot take a signal (nothing else runs in this thread while it waits); use the Promise form`);
  if (!(signal instanceof AbortSignal)) throw new TypeError(`${what}: signal must be an AbortSignal, got ${describe(signal)}`);
  return signal;
}
function checkBoolean(v: unknown, name: string, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

export function checkPositiveInt(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new ValueError(`${what} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${describe(v)}`);
  }
  return v;
}

/** The deadline `ms` from now (performance.now() time); a negative ms (forever) gives -1. */
export function deadlineOf(ms: number): number {
  return ms < 0 ? -1 : performance.now() + ms;
}
/** Milliseconds left before a deadline taken with deadlineOf(); -1 (or any negative) stays forever. */
export function remaining(deadline: number): number {
  return deadline < 0 ? -1 : Math.max(0, deadline - performance.now());
}
