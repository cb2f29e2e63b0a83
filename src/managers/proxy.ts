// Proxies: the client's stand-in for an object a manager's server keeps. Each proxy holds one
// reference on the server (given when it was made, or adopted from the copy in flight when it
// arrived in a message) and gives it back when collected (a FinalizationRegistry) or closed.
// A proxy is sendable like the package's primitives: it travels as its server's address and the
// object's token, and the receiver's proxy talks to the same server (over its own pipe in the
// family, over the socket elsewhere). The class of a received proxy is looked up by name: the
// built-in ones, those given to register({ proxytype }), or an AutoProxy built from the
// token's exposed names.
import { registerKind, SEND } from '../codec/codec.js';
import { ProcessError } from '../errors.js';
import { linkTo, type Link, type ServerRef } from './link.js';
import { Op, Status, type Token } from './protocol.js';
import { REPR } from './pyobjects.js';

interface Held {
  link: Link;
  ident: number;
}
const collected = new FinalizationRegistry<Held>((h) => h.link.post(Op.DECREF, h.ident));

export type ProxyClass = new (ref: ServerRef, token: Token, link: Link) => BaseProxy;
const proxyTypes = new Map<string, ProxyClass>();
/** Makes a proxy class known by its name (both sides define it: it lives in an imported module). */
export function registerProxyType(cls: ProxyClass, name = cls.name): void {
  proxyTypes.set(name, cls);
}

export class BaseProxy {
  readonly #ref: ServerRef;
  readonly #token: Token;
  readonly #link: Link;
  #closed = false;

  /** Made by a manager (or on arrival); the reference it holds was already counted for it. */
  constructor(ref: ServerRef, token: Token, link: Link) {
    this.#ref = ref;
    this.#token = token;
    this.#link = link;
    collected.register(this, { link, ident: token.ident }, this);
  }

  /** The typeid the proxy's object was made as. */
  get typeid(): string {
    return this.#token.typeid;
  }
  /** @internal */
  get _token(): Token {
    return this.#token;
  }
  /** @internal */
  get _ref(): ServerRef {
    return this.#ref;
  }

  /** Calls a method of the object on the server (Python's _callmethod). */
  _callmethod(name: string, args: readonly unknown[] = [], signal?: AbortSignal | null): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ProcessError(`${this}: the proxy was closed; call '${name}' cannot be made`));
    const op = this.#token.proxied.includes(name) ? Op.CALL_PROXY : Op.CALL;
    return this.#link.call(op, this.#token.ident, name, args, signal).then((a) => this.#answer(a, name));
  }
  #answer(a: { status: Status; value: unknown }, name: string): unknown {
    if (a.status === Status.OK) return a.value;
    if (a.status === Status.TOKEN) return makeProxy(this.#ref, a.value as Token, this.#link);
    const e = a.value;
    if (e instanceof Error && typeof e.stack === 'string') e.stack += `\n    at (manager) ${this.#token.typeid}.${name}`;
    throw e;
  }

  /** The object's repr on the server (Python's str(proxy)): `[1, 2]`, `Namespace(x=10, y='hello')`. */
  repr(): Promise<string> {
    if (this.#token.exposed.includes('repr')) return this._callmethod('repr') as Promise<string>;
    return Promise.resolve(this.toString());
  }

  /** Gives back this proxy's reference now (instead of when it is collected). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    collected.unregister(this);
    this.#link.post(Op.DECREF, this.#token.ident);
  }

  toString(): string {
    return `<${this.constructor.name} object, typeid '${this.#token.typeid}' at 0x${this.#token.ident.toString(16).padStart(8, '0')}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  [SEND](): { kind: string; data: unknown } {
    if (this.#closed) throw new ProcessError(`${this}: a closed proxy cannot be sent`);
    // The copy in flight keeps the object alive until its receiver adopts the reference.
    this.#link.post(Op.SENT, this.#token.ident);
    const { local: _local, ...token } = this.#token;
    return { kind: 'managers.Proxy', data: { ref: this.#ref, token: { ...token, local: _local }, cls: this.constructor.name } };
  }

  /** A proxy inside a managed container prints as what it stands for, as in Python's docs. */
  [REPR](): string {
    const r = (globalThis as Record<symbol, ((ident: number) => string | null) | undefined>)[Symbol.for('mpts.manager.repr.' + this.#ref.id)];
    return r?.(this.#token.ident) ?? this.toString();
  }
}

/** A proxy whose methods are the token's exposed names (Python's AutoProxy). */
const autoClasses = new Map<string, ProxyClass>();
function autoProxy(token: Token): ProxyClass {
  const key = `${token.typeid}\u0000${token.exposed.join(',')}`;
  let cls = autoClasses.get(key);
  if (!cls) {
    const C = class AutoProxy extends BaseProxy {};
    for (const name of token.exposed) {
      if (name in BaseProxy.prototype) continue;
      Object.defineProperty(C.prototype, name, {
        value: function (this: BaseProxy, ...args: unknown[]) {
          return this._callmethod(name, args);
        },
        writable: true,
        configurable: true,
      });
    }
    Object.defineProperty(C, 'name', { value: 'AutoProxy' });
    cls = C as ProxyClass;
    autoClasses.set(key, cls);
  }
  return cls;
}

/** Proxy classes by typeid, per manager class (register({ proxytype })) and for the built-in ones. */
export const proxyForTypeid = new Map<string, ProxyClass>();

export function makeProxy(ref: ServerRef, token: Token, link: Link, clsName?: string): BaseProxy {
  const cls = (clsName && proxyTypes.get(clsName)) || proxyForTypeid.get(token.typeid) || autoProxy(token);
  return new cls(ref, token, link);
}

registerKind('managers.Proxy', (data) => {
  const d = data as { ref: ServerRef; token: Token; cls: string };
  const link = linkTo(d.ref);
  const p = makeProxy(d.ref, d.token, link, d.cls);
  link.post(Op.ADOPT, d.token.ident);
  return p;
});
