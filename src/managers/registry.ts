// The server's objects and what each client holds: the one place a request becomes a call.
// A request names an object by number and a method by name; both are checked here against
// what was registered (the typeid's exposed names; never a `_` name, a constructor or an
// Object.prototype property) before anything runs, and nothing a peer sends is evaluated.
// References are counted per client (Python counts them per server only, so a client that dies
// leaks them); a client that goes gives back its references and what it held of locks and
// semaphores. A copy of a proxy in flight (sent, not yet received) holds a reference of its own.
import { encode } from '../codec/codec.js';
import { Op, Status, type Request, type Token } from './protocol.js';
import { giveBack, Owners } from './owners.js';
import { heldCall, ORDINARY } from './remote-locks.js';
import { Condition } from '../sync/condition.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { Semaphore } from '../sync/semaphore.js';
import { conditionLocks, publicMethods, refusedName, type TypeInfo } from './types.js';
import { AttributeError } from '../errors.js';
import { ValueError } from '../errors.js';

interface Entry {
  obj: object;
  info: TypeInfo;
  exposed: Set<string>;
  refs: number;
  inflight: number;
  owners?: Owners;
  /** The lock under a managed Condition, or the RLock itself. */
  rlock?: object;
  token: Token;
}

/** A client as the server sees it: a family member's pipe, a socket, or the server itself. */
export interface Peer {
  /** Family members give their thread id; remote clients get a negative number. */
  who: number;
  family: boolean;
  refs: Map<number, number>;
  calls: Map<number, AbortController>;
  reply(a: Reply, seq: number): void;
  /** Set once the client is gone (its holds given back). */
  gone?: boolean;
}

export type Reply = { status: Status; value: unknown };

const isLockLike = (o: object) => o instanceof Lock || o instanceof RLock || o instanceof Semaphore || o instanceof Condition;
/** A Condition's lock (what it travels with: its handle names it). */
const lockOf = (c: Condition): object => (c as unknown as { sendData(): { lock: object } }).sendData().lock;
const WAITS = new Set(['acquire', 'get', 'put', 'wait', 'join']);

export class Registry {
  readonly #objects = new Map<number, Entry>();
  #next = 1;

  constructor(readonly types: Map<string, TypeInfo>, readonly onShutdown: () => void) {}

  get size(): number {
    return this.#objects.size;
  }

  /** The server stops: objects that clean up after themselves (a `_shutdown` method) do. */
  shutdownAll(): void {
    for (const e of this.#objects.values()) {
      const f = (e.obj as { _shutdown?: () => void })._shutdown;
      if (typeof f === 'function') {
        try {
          f.call(e.obj);
        } catch {
          // best effort
        }
      }
    }
  }

  /** The repr of an object (a proxy to it printed inside another managed object). */
  reprOf(ident: number): string | null {
    const o = this.#objects.get(ident)?.obj as { repr?: () => string } | undefined;
    return typeof o?.repr === 'function' ? o.repr() : null;
  }

  /** One request: a reply (now or later) or null (no reply expected). */
  handle(peer: Peer, r: Request): Reply | Promise<Reply> | null {
    switch (r.op) {
      case Op.CALL: return this.call(peer, r, false);
      case Op.CALL_PROXY: return this.call(peer, r, true);
      case Op.CREATE: return this.create(peer, r);
      case Op.INCREF: this.incref(peer, r.ident, 1); return null;
      case Op.DECREF: this.incref(peer, r.ident, -1); return null;
      case Op.SENT: { const e = this.#objects.get(r.ident); if (e) e.inflight++; return null; }
      case Op.ADOPT: { const e = this.#objects.get(r.ident); if (e) e.inflight--; this.incref(peer, r.ident, 1); return null; }
      case Op.HELLO: if (peer.family && typeof r.args[0] === 'number') peer.who = r.args[0]; return null;
      case Op.CANCEL: peer.calls.get(r.ident)?.abort(new DOMException('the call was cancelled', 'AbortError')); return null;
      case Op.INFO: return { status: Status.OK, value: { objects: this.#objects.size } };
      case Op.SHUTDOWN: queueMicrotask(this.onShutdown); return { status: Status.OK, value: null };
      default: throw new TypeError(`unknown manager operation ${r.op}`);
    }
  }

  private incref(peer: Peer, ident: number, d: number): void {
    const e = this.#objects.get(ident);
    if (!e) return;
    const mine = (peer.refs.get(ident) ?? 0) + d;
    if (mine < 0) return; // a release this client never held a reference for
    if (mine === 0) peer.refs.delete(ident);
    else peer.refs.set(ident, mine);
    e.refs += d;
    this.maybeFree(ident, e);
  }
  private maybeFree(ident: number, e: Entry): void {
    if (e.refs > 0 || e.inflight > 0) return;
    this.#objects.delete(ident);
    // An object holding resources of its own (a Pool's workers) lets them go now.
    const release = (e.obj as { _release?: () => void })._release;
    if (typeof release === 'function') {
      try {
        release.call(e.obj);
      } catch {
        // best effort
      }
    }
  }

  /** A client is gone: its references and its holds of locks and permits go back. */
  drop(peer: Peer): void {
    peer.gone = true;
    for (const c of peer.calls.values()) c.abort(new DOMException('the client is gone', 'AbortError'));
    for (const e of this.#objects.values()) if (e.owners) giveBack(e.obj, e.owners, peer.who, e.rlock);
    for (const [ident, n] of peer.refs) this.incref(peer, ident, -n);
    peer.refs.clear();
  }

  private create(peer: Peer, r: Request): Reply | Promise<Reply> {
    const info = this.types.get(r.name);
    if (!info) throw new TypeError(`manager: no typeid '${r.name}' is registered`);
    if (!info.make) throw new TypeError(`manager: typeid '${r.name}' has no callable: it can only be the result of a method`);
    if (!peer.family && info.createsByReference?.(r.args)) throw new TypeError(`manager: typeid '${r.name}': only members of the manager's family can send functions (by reference)`);
    const obj = info.make(...r.args);
    // (A factory may be async: the object is registered once it exists.)
    return obj instanceof Promise ? obj.then((o: unknown) => this.register(peer, info, o)) : this.register(peer, info, obj);
  }

  /** Makes an object managed; the asking client holds its first reference. */
  register(peer: Peer, info: TypeInfo, obj: unknown): Reply {
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
      throw new TypeError(`manager: typeid '${info.typeid}' made ${obj === null ? 'null' : typeof obj}, not an object a proxy can stand for`);
    }
    const ident = this.#next++;
    const exposed = new Set((info.exposed ?? publicMethods(obj)).filter((n) => !refusedName(n)));
    const token: Token = { typeid: info.typeid, ident, exposed: [...exposed], proxied: Object.keys(info.methodToTypeid) };
    const e: Entry = { obj, info, exposed, refs: 0, inflight: 0, token };
    // Holds of locks and permits are tracked per client, for the built-in typeids and for a lock
    // a registered callable hands out (Python's `register('get_lock', callable=lambda: lock)`).
    if (info.owned || isLockLike(obj)) {
      e.owners = new Owners();
      e.rlock = conditionLocks.get(obj) ?? (obj instanceof Condition ? lockOf(obj) : obj);
    }
    if (info.local) token.local = encode([obj, e.owners?.words ?? null], 'managed object');
    this.#objects.set(ident, e);
    this.incref(peer, ident, 1);
    return { status: Status.TOKEN, value: token };
  }

  private call(peer: Peer, r: Request, proxied: boolean): Reply | Promise<Reply> {
    const e = this.#objects.get(r.ident);
    if (!e) throw new ValueError(`manager: no object with id ${r.ident} (it was released, or never existed)`);
    const name = r.name;
    if (refusedName(name) || !e.exposed.has(name)) {
      throw new AttributeError(`method '${name}' of '${e.info.typeid}' is not exposed by the manager`);
    }
    const target = (e.obj as Record<string, unknown>)[name];
    if ((name === 'modify' || e.info.byReference?.includes(name)) && !peer.family) {
      throw new TypeError(`method '${name}' of '${e.info.typeid}': only members of the manager's family can send functions (by reference)`);
    }
    let result: unknown;
    if (typeof target !== 'function') {
      result = target; // an exposed property (Barrier.parties...)
    } else {
      const args = this.withSignal(peer, r, name);
      result = e.owners ? heldCall({ obj: e.obj, lock: e.rlock, owners: e.owners, who: peer.who, gone: () => peer.gone === true }, name, args) : ORDINARY;
      if (result === ORDINARY) result = (target as (...a: unknown[]) => unknown).apply(e.obj, args);
    }
    const done = (v: unknown): Reply => {
      if (e.owners && typeof v !== 'object') this.recordHold(peer, e, name, v);
      if (proxied) return this.proxyResult(peer, e, name, v);
      return { status: Status.OK, value: v };
    };
    if (result instanceof Promise) {
      return result.then(done).finally(() => peer.calls.delete(r.seq));
    }
    peer.calls.delete(r.seq);
    return done(result);
  }

  /** A remote client's waiting call gets a signal, aborted by CANCEL or by the client going. */
  private withSignal(peer: Peer, r: Request, name: string): unknown[] {
    if (!WAITS.has(name)) return r.args;
    const c = new AbortController();
    peer.calls.set(r.seq, c);
    const args = r.args.slice();
    const last = args[args.length - 1];
    const plain = last !== null && typeof last === 'object' && Object.getPrototypeOf(last) === Object.prototype;
    if (plain) args[args.length - 1] = { ...(last as object), signal: c.signal };
    else if (args.length === (name === 'put' ? 1 : 0)) args.push({ signal: c.signal });
    return args;
  }

  /** Acquires and releases run here for remote clients: record them as the client's. */
  private recordHold(peer: Peer, e: Entry, name: string, v: unknown): void {
    if (name === 'acquire' && v === true) e.owners!.add(peer.who, 1);
    else if (name === 'release') e.owners!.add(peer.who, -1);
  }

  private proxyResult(peer: Peer, e: Entry, name: string, v: unknown): Reply {
    const typeid = e.info.methodToTypeid[name];
    const info = this.types.get(typeid);
    if (!info) throw new TypeError(`manager: method '${name}' returns typeid '${typeid}', which is not registered`);
    return this.register(peer, info, v);
  }
}

