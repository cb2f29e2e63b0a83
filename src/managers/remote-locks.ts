// Managed RLocks and Conditions held by clients whose calls the server runs for them (remote
// clients; family proxies use the shared-memory objects in place, under their own thread ids).
// Run on the server's thread as they are, every remote client would be that thread: a second
// client's acquire of an RLock the first holds would succeed as a re-entry, and any client could
// release it or wait on its Condition. So these calls are run here under the client's own id
// (its negative number): the RLock's owner word names the client, re-entry and release check
// it, and a Condition's wait or notify lends the lock to the server's thread only for the
// synchronous part of the call. A Condition over a plain Lock (Manager.Condition(lock)) has no
// owner word: the server's record of who acquired it (the owner table) is checked instead.
import { ownerId, type Core } from '../core/core.js';
import { mutexRelease, mutexSteps } from '../core/mutex.js';
import { runAsync } from '../core/steps.js';
import { ValueError } from '../errors.js';
import { Condition } from '../sync/condition.js';
import { RLock } from '../sync/rlock.js';
import { blockOptions, deadlineOf } from '../util/options.js';

const STATE = 0, OWNER = 1, DEPTH = 2;
type Words = { i32: Int32Array; base: number; core: Core };
/** Returned when the call is not one of these (the registry runs it as any other). */
export const ORDINARY = Symbol('ordinary');

/** What the registry knows of the object and the client making the call. */
export interface Held {
  obj: object;
  /** The lock under a Condition (or the RLock itself). */
  lock: object | undefined;
  /** The object's owner table (owners.ts), asked only how much a client holds. */
  owners: { count(who: number): number } | undefined;
  who: number;
  /** The client is gone: a wait that ends now gives the lock straight back. */
  gone(): boolean;
}

const words = (rl: RLock) => rl as unknown as Words;
const owns = (rl: RLock, who: number) => words(rl).i32[words(rl).base + OWNER] === who;
function own(rl: RLock, who: number, depth: number): void {
  const { i32, base } = words(rl);
  i32[base + DEPTH] = depth;
  i32[base + OWNER] = who;
}
function setOwner(rl: RLock, who: number): void {
  words(rl).i32[words(rl).base + OWNER] = who;
}

/** Frees an RLock `who` holds, whatever its depth (the client is gone); false if it holds none. */
export function freeRLock(rl: RLock, who: number): boolean {
  const { i32, base, core } = words(rl);
  if (Atomics.load(i32, base + OWNER) !== who) return false;
  i32[base + DEPTH] = 0;
  i32[base + OWNER] = 0;
  mutexRelease(core, base + STATE);
  return true;
}

function acquire(rl: RLock, who: number, args: unknown[]): boolean | Promise<boolean> {
  const { i32, base, core } = words(rl);
  const { block, ms, signal } = blockOptions(args[0], 'acquire', args[1]);
  if (owns(rl, who)) {
    i32[base + DEPTH]++;
    return true;
  }
  if (Atomics.compareExchange(i32, base + STATE, 0, 1) === 0) {
    own(rl, who, 1);
    return true;
  }
  if (!block) return false;
  return runAsync(core, mutexSteps(i32, base + STATE, deadlineOf(ms)), { signal }).then((ok) => {
    if (ok) own(rl, who, 1);
    return ok;
  });
}

function release(rl: RLock, who: number): void {
  const { i32, base, core } = words(rl);
  if (!owns(rl, who)) throw new ValueError('RLock.release(): cannot release un-acquired lock (not held by this client)');
  if (--i32[base + DEPTH] > 0) return;
  i32[base + OWNER] = 0;
  mutexRelease(core, base + STATE);
}

/** Runs `name` for client `who` if it is an RLock or Condition call that needs its identity. */
export function heldCall(h: Held, name: string, args: unknown[]): unknown {
  const { obj, lock, who } = h;
  const isCond = obj instanceof Condition;
  if (!(obj instanceof RLock) && !isCond) return ORDINARY;
  const cond = obj as Condition;
  if (!(lock instanceof RLock)) {
    // A Condition over a plain Lock: anyone may acquire; only its holder may use it.
    if (name === 'acquire' || (h.owners?.count(who) ?? 0) > 0) return ORDINARY;
    throw new ValueError(`Condition.${name}(): cannot ${name === 'release' ? 'release' : name === 'wait' ? 'wait on' : 'notify on'} un-acquired lock (not held by this client)`);
  }
  if (name === 'acquire') return acquire(lock, who, args);
  if (name === 'release') return void release(lock, who);
  if (!isCond || (name !== 'wait' && name !== 'notify' && name !== 'notifyAll')) return ORDINARY;
  if (!owns(lock, who)) throw new ValueError(`Condition.${name}(): cannot ${name === 'wait' ? 'wait on' : 'notify on'} un-acquired lock (not held by this client)`);
  // The server's thread holds the lock for the client while the Condition's own code runs.
  setOwner(lock, ownerId);
  if (name !== 'wait') {
    try {
      return name === 'notify' ? cond.notify(...(args as [number?])) : cond.notifyAll();
    } finally {
      setOwner(lock, who);
    }
  }
  let waiting: Promise<boolean>;
  try {
    waiting = cond.wait(args[0] as never); // (releases the lock before it returns)
  } catch (e) {
    setOwner(lock, who);
    throw e;
  }
  // It ends holding the lock again (after a timeout or an abort too): the client's once more.
  const back = () => {
    if (owns(lock, ownerId)) setOwner(lock, who);
    if (h.gone()) freeRLock(lock, who);
  };
  return waiting.then((v) => (back(), v), (e: unknown) => {
    back();
    throw e;
  });
}
