// Argument checking shared by every blocking call: timeouts in milliseconds, `block` flags.
import { ValueError } from '../errors.js';

export interface BlockOptions {
  block?: boolean;
  /** milliseconds; undefined or null waits forever */
  timeout?: number | null;
}

/** A timeout argument as milliseconds, -1 meaning forever. Negative values count as 0, as in Python. */
export function timeoutMs(timeout: unknown, what: string): number {
  if (timeout === undefined || timeout === null || timeout === Infinity) return -1;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${describe(timeout)}`);
  }
  return timeout < 0 ? 0 : timeout;
}

/** Accepts `f(500)`, `f({ timeout: 500 })`, `f({ block: false })`, `f(false)` and `f()`. */
export function blockOptions(arg: unknown, what: string): { block: boolean; ms: number } {
  if (arg === undefined || arg === null) return { block: true, ms: -1 };
  if (typeof arg === 'number') return { block: true, ms: timeoutMs(arg, what) };
  if (typeof arg === 'boolean') return { block: arg, ms: arg ? -1 : 0 };
  if (typeof arg !== 'object') throw new TypeError(`${what}: expected options { block?, timeout? } or a timeout in ms, got ${describe(arg)}`);
  const o = arg as BlockOptions;
  const block = o.block === undefined ? true : Boolean(o.block);
  return { block, ms: block ? timeoutMs(o.timeout, what) : 0 };
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

export function checkPositiveInt(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new ValueError(`${what} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${describe(v)}`);
  }
  return v;
}

/** Milliseconds left before a deadline taken with deadlineOf(); -1 stays forever. */
export function deadlineOf(ms: number): number {
  return ms < 0 ? -1 : performance.now() + ms;
}
export function remaining(deadline: number): number {
  return deadline < 0 ? -1 : Math.max(0, deadline - performance.now());
}
