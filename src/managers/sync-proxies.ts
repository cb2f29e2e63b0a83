// The proxies of the managed synchronization objects and queues. Their objects live in shared
// memory, so a proxy in the server's family uses the object itself (a managed Lock costs what a
// Lock costs) and records what it holds in the object's owner table, from which the server gives
// back the holds of a client that dies; a remote proxy calls the server, which runs the method
// for it. Every method is async, as on every proxy; an options object's `signal` cancels a
// remote wait as well as a local one.
import { decode } from '../codec/codec.js';
import { core } from '../core/core.js';
import type { RawArray } from '../shared/array.js';
import { ownerId } from '../core/core.js';
import type { Link, ServerRef } from './link.js';
import { Owners } from './owners.js';
import type { Token } from './protocol.js';
import { BaseProxy, proxyForTypeid, registerProxyType, type ProxyClass } from './proxy.js';

type Args = unknown[];
interface Acq { acquire(...a: Args): Promise<boolean>; release(): void }

/** A signal inside the last options object is the call's own, not an argument sent. */
function split(args: Args): [Args, AbortSignal | null] {
  const last = args[args.length - 1];
  if (last === null || typeof last !== 'object' || Object.getPrototypeOf(last) !== Object.prototype || !('signal' in last)) return [args, null];
  const { signal, ...rest } = last as { signal?: AbortSignal | null };
  return [[...args.slice(0, -1), rest], signal ?? null];
}

class SharedProxy<O> extends BaseProxy {
  /** The object itself when this thread is in the server's family, else null. */
  protected readonly obj: O | null = null;
  protected readonly owners: Owners | null = null;
  constructor(ref: ServerRef, token: Token, link: Link) {
    super(ref, token, link);
    if (token.local && ref.family === core().family) {
      const [obj, words] = decode(token.local) as [O, RawArray<'i'> | null];
      this.obj = obj;
      this.owners = words ? new Owners(words) : null;
    }
  }
  protected remote(name: string, args: Args): Promise<unknown> {
    const [a, signal] = split(args);
    return this._callmethod(name, a, signal);
  }
}

class Acquirer<O extends Acq> extends SharedProxy<O> {
  async acquire(...args: Args): Promise<boolean> {
    if (!this.obj) return this.remote('acquire', args) as Promise<boolean>;
    const ok = await this.obj.acquire(...args);
    if (ok) this.owners?.add(ownerId, 1);
    return ok;
  }
  async release(): Promise<void> {
    if (!this.obj) return void (await this.remote('release', []));
    this.owners?.add(ownerId, -1);
    try {
      this.obj.release();
    } catch (e) {
      this.owners?.add(ownerId, 1);
      throw e;
    }
  }
  /** Python's `with lock:`: runs fn holding it, releasing on throw. */
  async with<T>(fn: () => T | Promise<T>, options?: { signal?: AbortSignal | null }): Promise<T> {
    await this.acquire(options?.signal ? { signal: options.signal } : undefined);
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

export class AcquirerProxy extends Acquirer<Acq> {}
export class SemaphoreProxy extends Acquirer<Acq & { getValue(): number }> {
  async getValue(): Promise<number> {
    return this.obj ? this.obj.getValue() : (this.remote('getValue', []) as Promise<number>);
  }
}

type Cond = Acq & { wait(...a: Args): Promise<boolean>; waitFor(p: () => unknown, ...a: Args): Promise<unknown>; notify(n?: number): void; notifyAll(): void };
export class ConditionProxy extends Acquirer<Cond> {
  wait(...args: Args): Promise<boolean> {
    return this.obj ? this.obj.wait(...args) : (this.remote('wait', args) as Promise<boolean>);
  }
  /** Waits until predicate() is truthy (the predicate runs here: family members only). */
  waitFor(predicate: () => unknown, ...args: Args): Promise<unknown> {
    if (!this.obj) return Promise.reject(new TypeError('Condition.waitFor: a predicate cannot be sent to the server; use wait() in a loop'));
    return this.obj.waitFor(predicate, ...args);
  }
  async notify(n = 1): Promise<void> {
    if (this.obj) this.obj.notify(n);
    else await this.remote('notify', [n]);
  }
  async notifyAll(): Promise<void> {
    if (this.obj) this.obj.notifyAll();
    else await this.remote('notifyAll', []);
  }
}

type Ev = { isSet(): boolean; set(): void; clear(): void; wait(...a: Args): Promise<boolean> };
export class EventProxy extends SharedProxy<Ev> {
  async isSet(): Promise<boolean> {
    return this.obj ? this.obj.isSet() : (this.remote('isSet', []) as Promise<boolean>);
  }
  async set(): Promise<void> {
    if (this.obj) this.obj.set();
    else await this.remote('set', []);
  }
  async clear(): Promise<void> {
    if (this.obj) this.obj.clear();
    else await this.remote('clear', []);
  }
  wait(...args: Args): Promise<boolean> {
    return this.obj ? this.obj.wait(...args) : (this.remote('wait', args) as Promise<boolean>);
  }
}

type Bar = { wait(...a: Args): Promise<number>; reset(): void; abort(): void; parties: number; nWaiting: number; broken: boolean };
export class BarrierProxy extends SharedProxy<Bar> {
  wait(...args: Args): Promise<number> {
    return this.obj ? this.obj.wait(...args) : (this.remote('wait', args) as Promise<number>);
  }
  async reset(): Promise<void> {
    if (this.obj) this.obj.reset();
    else await this.remote('reset', []);
  }
  async abort(): Promise<void> {
    if (this.obj) this.obj.abort();
    else await this.remote('abort', []);
  }
  async parties(): Promise<number> {
    return this.obj ? this.obj.parties : (this.remote('parties', []) as Promise<number>);
  }
  async nWaiting(): Promise<number> {
    return this.obj ? this.obj.nWaiting : (this.remote('nWaiting', []) as Promise<number>);
  }
  async broken(): Promise<boolean> {
    return this.obj ? this.obj.broken : (this.remote('broken', []) as Promise<boolean>);
  }
}

type Q = {
  put(v: unknown, ...a: Args): Promise<void>; get(...a: Args): Promise<unknown>; putNowait(v: unknown): void; getNowait(): unknown;
  qsize(): number; empty(): boolean; full(): boolean; taskDone(): void; join(...a: Args): Promise<void>;
};
export class QueueProxy<T = unknown> extends SharedProxy<Q> {
  put(v: T, ...args: Args): Promise<void> {
    return this.obj ? this.obj.put(v, ...args) : (this.remote('put', [v, ...args]) as Promise<void>);
  }
  get(...args: Args): Promise<T> {
    return (this.obj ? this.obj.get(...args) : this.remote('get', args)) as Promise<T>;
  }
  async putNowait(v: T): Promise<void> {
    if (this.obj) this.obj.putNowait(v);
    else await this.remote('putNowait', [v]);
  }
  async getNowait(): Promise<T> {
    return (this.obj ? this.obj.getNowait() : this.remote('getNowait', [])) as T;
  }
  async qsize(): Promise<number> {
    return this.obj ? this.obj.qsize() : (this.remote('qsize', []) as Promise<number>);
  }
  async empty(): Promise<boolean> {
    return this.obj ? this.obj.empty() : (this.remote('empty', []) as Promise<boolean>);
  }
  async full(): Promise<boolean> {
    return this.obj ? this.obj.full() : (this.remote('full', []) as Promise<boolean>);
  }
}
export class JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  async taskDone(): Promise<void> {
    if (this.obj) this.obj.taskDone();
    else await this.remote('taskDone', []);
  }
  join(...args: Args): Promise<void> {
    return this.obj ? this.obj.join(...args) : (this.remote('join', args) as Promise<void>);
  }
}

const byTypeid: [string, unknown][] = [
  ['Lock', AcquirerProxy], ['RLock', AcquirerProxy], ['Semaphore', SemaphoreProxy], ['BoundedSemaphore', SemaphoreProxy],
  ['Condition', ConditionProxy], ['Event', EventProxy], ['Barrier', BarrierProxy], ['Queue', QueueProxy], ['JoinableQueue', JoinableQueueProxy],
];
for (const [typeid, cls] of byTypeid) {
  proxyForTypeid.set(typeid, cls as ProxyClass);
  registerProxyType(cls as ProxyClass);
}
