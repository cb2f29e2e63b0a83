// Start methods (Python's multiprocessing.context): which one the default context uses, and
// the check that 'process' can work here at all.
import { ValueError } from '../errors.js';
import { native, needNative } from '../core/native.js';
import { warmSpare } from '../spawn/process.js';
import { runtime, type StartMethod } from './runtime.js';
import { checkOptions } from '../util/options.js';

export const startMethods: readonly StartMethod[] = ['thread', 'process'];

export function checkStartMethod(method: unknown): StartMethod {
  if (method !== 'thread' && method !== 'process') {
    throw new ValueError(`cannot find context for ${JSON.stringify(method)}: the start methods are 'thread' and 'process'`);
  }
  if (method === 'process') needNative();
  return method;
}

export function getAllStartMethods(): StartMethod[] {
  return native ? [...startMethods] : ['thread'];
}

/** The default start method; reading it fixes it, as Python's get_start_method() does. */
export function getStartMethod(allowNone = false): StartMethod | null {
  if (runtime.startMethod === null && !allowNone) runtime.startMethod = 'thread';
  return runtime.startMethod;
}

export function setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
  checkOptions(options, ['force'], 'setStartMethod');
  if (runtime.startMethod !== null && runtime.startMethodSetExplicitly && !options.force) {
    throw new Error('context has already been set: call setStartMethod(method, { force: true }) to change it');
  }
  runtime.startMethod = method === null ? null : checkStartMethod(method);
  runtime.startMethodSetExplicitly = method !== null;
  if (method === 'process') warmSpare();
}

export function resolveStartMethod(own: StartMethod | null): StartMethod {
  const m = own ?? getStartMethod()!;
  if (m === 'process') checkStartMethod(m);
  return m;
}

const bound = new Map<string, WeakMap<object, object>>();

/**
 * A subclass of `Base` (Process, Pool, ...) that starts its children with method `m`: what a
 * context's factories are, and what a pool or a manager starts its own processes as. Made once
 * per class, method and name.
 */
export function bindStartMethod<C extends abstract new (...args: never[]) => object>(Base: C & { startMethod: StartMethod | null }, m: StartMethod, name: string): C {
  const key = `${m}:${name}`;
  let byBase = bound.get(key);
  if (!byBase) bound.set(key, (byBase = new WeakMap()));
  let B = byBase.get(Base) as C | undefined;
  if (!B) {
    B = class extends (Base as unknown as new (...args: never[]) => object) {
      static startMethod: StartMethod | null = m;
    } as unknown as C;
    Object.defineProperty(B, 'name', { value: name });
    byBase.set(Base, B);
  }
  return B;
}
