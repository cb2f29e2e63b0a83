// An error as it arrives: revived as the first class of its chain (sent by codec.ts) that is
// found here, keeping its name, message, stack, cause and own fields; one revived as another
// class than its own is remembered, so that a pool can give a task's failure of that kind as a
// RemoteError, as it always has.
import { RemoteError } from '../errors.js';
import { resolveLater, resolveNow, type ClassRef, type Cls } from './classes.js';

type Revive = (v: unknown, seen: Map<object, unknown>) => unknown;

/** Errors revived as a class other than their own (theirs was not found here). */
const standIns = new WeakSet<Error>();

export function reviveError(rec: Record<string, unknown>, seen: Map<object, unknown>, revive: Revive): Error {
  const chain = rec.chain as (ClassRef | null)[];
  // The first class of its chain known here; those before it that an import may yet bring.
  let at = 0, cls: Cls | null | undefined;
  const later: (ClassRef | null)[] = [];
  for (; at < chain.length; at++) {
    cls = resolveNow(chain[at]);
    if (cls) break;
    later.push(cls === undefined ? chain[at] : null);
  }
  const landed = (cls ?? Error) as Cls;
  const err = Object.create(landed.prototype) as Error;
  seen.set(rec, err);
  const define = (k: string, value: unknown) =>
    Object.defineProperty(err, k, { value, writable: true, configurable: true, enumerable: false });
  define('message', rec.message);
  define('stack', rec.stack);
  const fields = rec.fields as Record<string, unknown>;
  if (!('name' in fields) && rec.name !== (landed.prototype as Error).name) define('name', rec.name);
  if ('cause' in rec) define('cause', revive(rec.cause, seen));
  if ('errors' in rec) define('errors', revive(rec.errors, seen));
  for (const k of Object.keys(fields)) (err as unknown as Record<string, unknown>)[k] = revive(fields[k], seen);
  if (at > 0) {
    standIns.add(err);
    if (later.some((r) => r !== null)) {
      resolveLater(later, (i, c) => {
        Object.setPrototypeOf(err, c.prototype);
        if (i === 0) standIns.delete(err);
      });
    }
  }
  return err;
}

/**
 * The error as a RemoteError if its own class was not found here (what a pool's failed task
 * gives): its message says the remote name, and it keeps the remote stack and own fields.
 */
export function asRemoteError(e: unknown): unknown {
  if (!(e instanceof Error) || !standIns.has(e)) return e;
  const r = new RemoteError(`${e.name}: ${e.message}`);
  r.remoteName = e.name;
  r.remoteStack = String(e.stack ?? '');
  Object.defineProperty(r, 'stack', { value: e.stack, writable: true, configurable: true, enumerable: false });
  if ('cause' in e) Object.defineProperty(r, 'cause', { value: e.cause, writable: true, configurable: true, enumerable: false });
  for (const k of Object.keys(e)) if (k !== 'name') (r as unknown as Record<string, unknown>)[k] = (e as unknown as Record<string, unknown>)[k];
  return r;
}
