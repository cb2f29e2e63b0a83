// BaseManager and SyncManager (Python's multiprocessing.managers): a manager starts a server
// process (start(), under the manager's context), connects to one by address (connect()), or
// serves in this process (getServer().serveForever()); its factories resolve to proxies.
// Typeids are registered on the class (static register, inherited and copied per subclass as
// in Python), each with a callable exported from a module (shipped by reference) or none.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encode } from '../codec/codec.js';
import { core } from '../core/core.js';
import { ProcessError, TimeoutError, ValueError } from '../errors.js';
import type { Address, Authkey } from '../net/options.js';
import { checkStartMethod, getStartMethod } from '../process/context.js';
import { Process, currentProcess } from '../process/process.js';
import type { StartMethod } from '../process/runtime.js';
import { Queue } from '../queues/queue.js';
import { Semaphore } from '../sync/semaphore.js';
import { describeTarget, type AnyFunction, type TargetRef, type TargetSpec } from '../targets/describe.js';
import { esmDir } from '../util/here.js';
import { checkOptions, describe } from '../util/options.js';
import { connectLink, dropLink, managerPipe, ownerLink, rememberAuthkey, setLink, type Link, type ServerRef } from './link.js';
import { typeTable, type ServerBoot } from './main.js';
import { Op, Status, type Token } from './protocol.js';
import { BaseProxy, makeProxy, proxyForTypeid, registerProxyType, type ProxyClass } from './proxy.js';
import { ManagerServer } from './server.js';
import type { TypeSpec } from './types.js';
import { bindStartMethod } from '../process/context.js';

export interface RegisterOptions {
  /** The proxy class for this typeid (default: the built-in one, or an AutoProxy of the exposed methods). */
  proxytype?: ProxyClass | null;
  /** The methods a proxy may call (default: the object's public methods). */
  exposed?: readonly string[] | null;
  /** Methods whose result is itself managed, as a proxy of the given typeid. */
  methodToTypeid?: Readonly<Record<string, string>> | null;
  /** Add a factory method named after the typeid (default true). */
  createMethod?: boolean;
}
export interface ManagerOptions {
  /** Where the server listens (`['127.0.0.1', port]`, a Unix path); default a fresh Unix socket. */
  address?: Address | null;
  /** The key clients must prove (default: currentProcess().authkey). */
  authkey?: Authkey | null;
  /** The start method of the server process (a context or its name). */
  context?: { startMethod: StartMethod } | StartMethod | null;
}
interface Registration {
  callable: AnyFunction | TargetRef | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string>;
}

const serverRef = () => ({ module: pathToFileURL(join(esmDir, 'managers', 'main.js')).href, name: 'managerMain' });
const START_MS = 30_000;
const SHUTDOWN_MS = 2_000;
const registries = new WeakMap<Function, Map<string, Registration>>();

export class BaseManager {
  readonly #address: Address | null;
  readonly #authkey: Authkey;
  readonly #method: StartMethod;
  #ref: ServerRef | null = null;
  #link: Link | null = null;
  #process: Process | null = null;
  #state: 'initial' | 'started' | 'connected' | 'shutdown' = 'initial';

  constructor(options?: ManagerOptions) {
    const o = checkOptions(options, ['address', 'authkey', 'context'], new.target.name) ?? {};
    this.#address = o.address ?? null;
    this.#authkey = o.authkey ?? currentProcess().authkey;
    const ctx = o.context;
    this.#method = ctx == null ? getStartMethod()! : checkStartMethod(typeof ctx === 'string' ? ctx : ctx.startMethod);
  }

  /** Python's register(typeid, callable=None, proxytype=None, exposed=None, method_to_typeid=None, create_method=True). */
  static register(typeid: string, callable?: AnyFunction | TargetRef | null, options?: RegisterOptions): void {
    if (typeof typeid !== 'string' || !typeid || typeid.startsWith('_')) throw new TypeError(`register: typeid must be a non-empty string not starting with '_', got ${describe(typeid)}`);
    const o = checkOptions(options, ['proxytype', 'exposed', 'methodToTypeid', 'createMethod'], 'register') ?? {};
    if (callable != null) describeTarget(callable, `register('${typeid}') callable`); // fails now if it cannot travel
    const own = registryOf(this, true);
    own.set(typeid, { callable: callable ?? null, exposed: o.exposed ? [...o.exposed] : null, methodToTypeid: { ...(o.methodToTypeid ?? {}) } });
    if (o.proxytype) {
      proxyForTypeid.set(typeid, o.proxytype);
      registerProxyType(o.proxytype);
    }
    if (o.createMethod !== false) {
      Object.defineProperty(this.prototype, typeid, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this.create(typeid, ...args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  /** @internal SyncManager's server also makes the built-in typeids. */
  protected static readonly syncTypes: boolean = false;

  get address(): Address | null {
    return this.#ref?.address ?? this.#address;
  }

  private specs(): TypeSpec[] {
    return [...registryOf(this.constructor, false)].map(([typeid, r]) => ({
      typeid,
      callable: r.callable ? describeTarget(r.callable, `register('${typeid}') callable`) : null,
      exposed: r.exposed,
      methodToTypeid: r.methodToTypeid,
    }));
  }

  /** Starts the server process; resolves once it listens. */
  async start(initializer?: AnyFunction | TargetRef | null, initargs: unknown[] = []): Promise<this> {
    if (this.#state !== 'initial') throw new ProcessError(`${this.constructor.name}.start(): the manager was already ${this.#state}`);
    const init: TargetSpec | null = initializer ? describeTarget(initializer, 'start(initializer)') : null;
    const [mine, theirs, up, down] = managerPipe();
    const inbox = new Queue(), bell = new Semaphore(0);
    const ref: ServerRef = { id: randomBytes(8).toString('hex'), family: core().family, address: null, wires: encode([inbox, bell]) };
    const boot: ServerBoot = {
      ref, sync: (this.constructor as typeof BaseManager).syncTypes, types: this.specs(), owner: theirs, ownerRings: [up, down],
      inbox, bell, address: this.#address, authkey: Buffer.from(this.#authkey), initializer: init, initargs,
    };
    const P = bindStartMethod(Process, this.#method, 'ManagerServer');
    const proc = new P({ name: `${this.constructor.name}-server`, target: serverRef(), args: [boot], daemon: true });
    proc.start();
    theirs.close();
    this.#process = proc;
    this.#state = 'started';
    const first = (await Promise.race([
      mine.recv(),
      proc.whenExited().then((code) => ({ error: new ProcessError(`the manager's server exited (code ${code}) before it was ready`) })),
      new Promise((r) => setTimeout(r, START_MS).unref()).then(() => ({ error: new TimeoutError(`the manager's server did not start within ${START_MS} ms`) })),
    ])) as { address?: Address; error?: Error };
    if (first.error) {
      this.#state = 'shutdown';
      proc.kill();
      mine.close();
      throw first.error;
    }
    ref.address = first.address!;
    this.#ref = ref;
    this.#link = ownerLink(ref, mine, up, down, bell);
    return this;
  }

  /** Connects to a running server at `address` (authenticated with `authkey`). */
  async connect(): Promise<this> {
    if (this.#state !== 'initial') throw new ProcessError(`${this.constructor.name}.connect(): the manager was already ${this.#state}`);
    if (this.#address == null) throw new ValueError(`${this.constructor.name}.connect(): no address was given`);
    rememberAuthkey(this.#address, Buffer.from(this.#authkey));
    const probe: ServerRef = { id: `connect:${randomBytes(6).toString('hex')}`, family: -1, address: this.#address, wires: null };
    const link = await connectLink(probe, Buffer.from(this.#authkey));
    const a = await link.call(Op.INFO, 0, '', []);
    const ref = (a.value as { ref: ServerRef }).ref;
    setLink(ref.id, link);
    this.#ref = { ...ref, address: this.#address };
    this.#link = link;
    this.#state = 'connected';
    return this;
  }

  /** A server that runs in this process: `await manager.getServer().serveForever()`. */
  getServer(): { address: Promise<Address>; serveForever(): Promise<void>; shutdown(): void } {
    if (this.#address == null) throw new ValueError(`${this.constructor.name}.getServer(): an address is needed`);
    const ref: ServerRef = { id: randomBytes(8).toString('hex'), family: core().family, address: this.#address, wires: null };
    const local = new Map([...registryOf(this.constructor, false)].map(([t, r]) => [t, typeof r.callable === 'function' ? r.callable : null]));
    const ready = typeTable((this.constructor as typeof BaseManager).syncTypes, this.specs().map((s) => (local.get(s.typeid) ? { ...s, callable: null } : s)), local).then(async (types) => {
      const server = new ManagerServer(ref, types, null, null);
      await server.listen(this.#address, Buffer.from(this.#authkey));
      return server;
    });
    return {
      address: ready.then((s) => s.address!),
      serveForever: async () => (await ready).serveForever(),
      shutdown: () => void ready.then((s) => s.shutdown()),
    };
  }

  /** Makes an object of a registered typeid on the server; resolves to its proxy. */
  async create<P extends BaseProxy = BaseProxy>(typeid: string, ...args: unknown[]): Promise<P> {
    const link = this.line(typeid);
    const a = await link.call(Op.CREATE, 0, typeid, args);
    if (a.status === Status.ERROR) throw a.value;
    return makeProxy(this.#ref!, a.value as Token, link) as P;
  }

  private line(what: string): Link {
    if (this.#state === 'initial') throw new ProcessError(`${this.constructor.name}.${what}(): the manager is not started (call start() or connect())`);
    if (this.#state === 'shutdown' || this.#link!.dead) throw new ProcessError(`${this.constructor.name}.${what}(): the manager has shut down`);
    return this.#link!;
  }

  /** @internal The server's counters: { objects } (tests watch objects being freed). */
  async _debugInfo(): Promise<{ objects: number }> {
    return (await this.line('_debugInfo').call(Op.INFO, 0, '', [])).value as { objects: number };
  }

  /** @internal Asks the server at the other end to stop (CPython lets any authenticated client). */
  async _shutdownServer(): Promise<void> {
    await this.line('_shutdownServer').call(Op.SHUTDOWN, 0, '', []);
    await this.shutdown();
  }

  /** Stops the server (start()) or drops the connection (connect()); every proxy call then rejects. */
  async shutdown(): Promise<void> {
    if (this.#state === 'shutdown' || this.#state === 'initial') return;
    const was = this.#state;
    this.#state = 'shutdown';
    const link = this.#link!;
    const reason = new ProcessError(`the manager has shut down (${this.constructor.name} at ${JSON.stringify(this.address)})`);
    if (was === 'started') {
      // (Timers kept referenced: the wait itself must keep this process alive.)
      await raceTimer(link.call(Op.SHUTDOWN, 0, '', []).catch(() => {}), SHUTDOWN_MS);
      const proc = this.#process!;
      await raceTimer(proc.whenExited(), SHUTDOWN_MS);
      if (proc.exitcode === null) {
        proc.kill();
        await proc.whenExited();
      }
    }
    dropLink(this.#ref!.id, reason);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
  /** The server process's pid (null when connected to a server elsewhere). */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }
}

async function raceTimer(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

function registryOf(cls: Function, own: boolean): Map<string, Registration> {
  let r = registries.get(cls);
  if (!r) {
    const parent = Object.getPrototypeOf(cls) as Function;
    const inherited = parent && parent !== Function.prototype ? registryOf(parent, false) : new Map<string, Registration>();
    if (!own) return inherited;
    r = new Map(inherited);
    registries.set(cls, r);
  }
  return r;
}

