// The manager's server process: what start() runs in the child (a daemon Process of the
// manager's context). It rebuilds the registered types (callables imported by reference, as
// targets are), runs the initializer, listens, tells its owner the address over the owner's
// pipe, and serves until shutdown or until its owner is gone.
import type { Connection } from '../connection/connection.js';
import type { Ring } from '../connection/ring.js';
import type { Address } from '../net/options.js';
import type { Queue } from '../queues/queue.js';
import { runtime } from '../process/runtime.js';
import type { Semaphore } from '../sync/semaphore.js';
import type { TargetSpec } from '../targets/describe.js';
import { loadTarget } from '../targets/load.js';
import { SharedMemory } from '../shared/shared-memory.js';
import type { ServerRef } from './link.js';
import { ManagerServer } from './server.js';
import { syncTypes, type Factory, type TypeInfo, type TypeSpec } from './types.js';
import './proxies.js';
import './sync-proxies.js';
import './pool-proxy.js';

export interface ServerBoot {
  ref: ServerRef;
  sync: boolean;
  types: TypeSpec[];
  owner: Connection;
  /** The owner's pipe's rings: [the one the server reads, the one it writes]. */
  ownerRings: [Ring, Ring];
  inbox: Queue;
  bell: Semaphore;
  address: Address | null;
  authkey: Buffer | string | null;
  initializer: TargetSpec | null;
  initargs: unknown[];
}

const isClass = (fn: Function): boolean => /^class[\s{]/.test(Function.prototype.toString.call(fn));

/** A registered callable as a factory: a class is constructed, a function called. */
export function factoryOf(fn: Function): Factory {
  return isClass(fn) ? (...a) => Reflect.construct(fn, a) : (...a) => (fn as Factory)(...a);
}

/** The server's table of typeids: SyncManager's, then the registered ones. */
export async function typeTable(sync: boolean, specs: TypeSpec[], local?: Map<string, Function | null>): Promise<Map<string, TypeInfo>> {
  const types = new Map<string, TypeInfo>();
  if (sync) for (const t of syncTypes) types.set(t.typeid, t);
  for (const s of specs) {
    let make: Factory | null = null;
    const fn = local?.get(s.typeid);
    if (fn) make = factoryOf(fn);
    else if (s.callable) {
      if (s.callable.kind !== 'export') throw new TypeError(`register('${s.typeid}'): the callable must be exported from its module`);
      make = factoryOf(await loadTarget(s.callable));
    }
    types.set(s.typeid, { typeid: s.typeid, make, exposed: s.exposed, methodToTypeid: s.methodToTypeid });
  }
  return types;
}

export async function managerMain(boot: ServerBoot): Promise<void> {
  // The server is started daemonic, so that it ends with its owner; but like Python's manager
  // process it may have children (the workers of a manager.Pool(), daemonic themselves).
  runtime.daemon = false;
  let server: ManagerServer;
  try {
    const types = await typeTable(boot.sync, boot.types);
    if (boot.initializer) await (await loadTarget(boot.initializer))(...boot.initargs);
    server = new ManagerServer(boot.ref, types, boot.inbox, boot.bell);
    await server.listen(boot.address, boot.authkey);
  } catch (e) {
    boot.owner.sendSync({ error: e });
    boot.owner.close();
    return;
  }
  boot.owner.sendSync({ address: server.address });
  server.addPipe(boot.owner, boot.ownerRings[0], boot.ownerRings[1], true);
  await server.serveForever();
  // Nothing of the server may keep its process alive now (a handle left by user code would).
  setTimeout(() => process.exit(0), 50).unref();
}

/** The server side of a SharedMemoryManager: the names to unlink at shutdown. */
export class SharedMemoryTracker {
  readonly #names = new Set<string>();
  track(name: string): void {
    if (typeof name !== 'string') throw new TypeError('track: a segment name is a string');
    this.#names.add(name);
  }
  untrack(name: string): void {
    this.#names.delete(name);
  }
  /** Called by the server when it shuts down (a `_` name: no client can call it). */
  _shutdown(): void {
    for (const name of this.#names) {
      try {
        new SharedMemory({ name }).unlink();
      } catch {
        // already unlinked by its user
      }
    }
    this.#names.clear();
  }
}
