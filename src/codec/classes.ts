// Classes travel by reference, as pickle sends them: an instance carries the name of its class
// (where it was registered) and the module that exports it with its export name (found the way
// target functions are found: the calling file and the files it imports, then the debugger),
// never the class's code. The receiver takes the class from its registry, from the classes it
// already resolved, or by loading the module:
//   - synchronously where Node can (require: CommonJS always, an ES module where Node has
//     require(esm)), so a Sync receive gets an instance when it can;
//   - otherwise by import(), which is asynchronous: the value is built with a stand-in
//     prototype (Object, or the nearest error class known here) and gets its class's prototype
//     once the import is done. The receiving calls that return a Promise (recv, get, Process
//     args, a pool's tasks and results) wait for that before they hand the value over.
// A class whose module cannot be imported (or that exports nothing by that name) stays a
// plain object; an error, the nearest class of its chain found here, keeping its name.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findExport, loadedClass } from '../targets/describe.js';
import { packageErrors } from '../errors.js';

export type Cls = abstract new (...args: never[]) => object;

/**
 * How a class is named across the boundary (short keys: it is in every message that carries
 * an instance). n: registered name; m + x: module URL and export name (k: the class's own
 * name where it differs); b: a built-in error class or one of this package's.
 */
export interface ClassRef {
  n?: string;
  m?: string;
  x?: string;
  k?: string;
  b?: string;
}

// Registries live on globalThis so that the ESM build and the CommonJS bundle, when both are
// loaded in one thread, see the same classes.
export function shared<T>(key: string, make: () => T): T {
  const g = globalThis as Record<symbol, unknown>;
  return (g[Symbol.for(key)] ??= make()) as T;
}
const classesByName = shared('mpts.codec.classes', () => new Map<string, Cls>());
const namesByClass = shared('mpts.codec.names', () => new Map<Cls, string>());
/** Sender side: each class's reference, found once (null: no way to name it). */
const refs = shared('mpts.codec.refs', () => new WeakMap<Cls, ClassRef | null>());
/** Receiver side: module#export → the class (null: cannot be had here). */
const byRef = shared('mpts.codec.byRef', () => new Map<string, Cls | null>());

const builtinErrors: Record<string, Cls> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError,
};
const builtinNames = new Map<Cls, string>(
  [...Object.entries(builtinErrors), ...Object.entries(packageErrors)].map(([k, c]) => [c, k] as [Cls, string]),
);

/**
 * Keeps a class's prototype across the boundary under a name of its own. Only the sending side
 * needs it: the receiver finds the class by that name if it registered it too, else imports
 * the module that exports it.
 */
export function registerClass(cls: Cls, name: string = cls.name): void {
  if (typeof cls !== 'function') throw new TypeError(`registerClass: expected a class, got ${typeof cls}`);
  if (!name) throw new TypeError('registerClass: an anonymous class needs an explicit name');
  const known = classesByName.get(name);
  if (known && known !== cls) throw new TypeError(`registerClass: another class is already registered as '${name}'`);
  classesByName.set(name, cls);
  namesByClass.set(cls, name);
  refs.delete(cls);
}

const keyOf = (ref: ClassRef) => `${ref.m}#${ref.x}`;

/** The reference an instance of `cls` carries; null if the class can be named no way. */
export function classRef(cls: Cls): ClassRef | null {
  const ref = refOf(cls);
  return ref === INTERNAL ? null : ref;
}
function refOf(cls: Cls): ClassRef | null {
  let ref = refs.get(cls);
  if (ref === undefined) {
    ref = findRef(cls);
    refs.set(cls, ref);
  }
  return ref;
}

function findRef(cls: Cls): ClassRef | null {
  const b = builtinNames.get(cls);
  if (b) return { b };
  const ref: ClassRef = {};
  const n = namesByClass.get(cls);
  if (n) ref.n = n;
  const text = Function.prototype.toString.call(cls);
  if (!text.includes('[native code]')) {
    let where: { module: string | null; name: string | null } = { module: null, name: null };
    try {
      where = findExport(cls, text);
    } catch {
      /* not found: named by registration alone, if at all */
    }
    if (where.module?.startsWith('node:') && !n) return INTERNAL;
    if (where.name && where.module?.startsWith('file:')) {
      ref.m = where.module;
      ref.x = where.name;
      if (cls.name && cls.name !== where.name) ref.k = cls.name;
      // This thread knows the class already: a message it reads back resolves at once.
      byRef.set(keyOf(ref), cls);
    }
  }
  return n || ref.m ? ref : null;
}
/** A class of Node's own internals (NodeError...): an error's chain skips it. */
const INTERNAL: ClassRef = Object.freeze({});

/**
 * The classes of an error's prototype chain as references, its own class first, down to the
 * first built-in (or package) error class; null where a class can be named no way (Node's
 * internal classes are left out). The receiver revives the error as the first it can find.
 */
export function errorChain(cls: Cls): (ClassRef | null)[] {
  let chain = chains.get(cls);
  if (chain) return chain;
  chain = [];
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const ref = refOf(c as Cls);
    if (ref === INTERNAL) continue;
    chain.push(ref);
    if (ref?.b) break;
  }
  if (!chain.at(-1)?.b) chain.push({ b: 'Error' });
  chains.set(cls, chain);
  return chain;
}
const chains = shared('mpts.codec.chains', () => new WeakMap<Cls, (ClassRef | null)[]>());

// ------------------------------------------------------------------ receiver

/** The class a reference names, if it can be had now: undefined = only by an import. */
export function resolveNow(ref: ClassRef | null): Cls | null | undefined {
  if (!ref) return null;
  if (ref.b) return builtinErrors[ref.b] ?? packageErrors[ref.b] ?? null;
  if (ref.n) {
    const c = classesByName.get(ref.n);
    if (c) return c;
  }
  if (!ref.m || !ref.x) return null;
  const key = keyOf(ref);
  const known = byRef.get(key);
  if (known !== undefined) return known;
  if (loading.has(ref.m)) return undefined;
  const c = requireNow(ref) ?? (loadedClass(ref.m, ref.k ?? ref.x) as Cls | undefined);
  if (c) byRef.set(key, c);
  return c;
}

/** The module by require(), where Node loads it synchronously (CommonJS; an ES module without top-level await, where Node has require(esm)). */
function requireNow(ref: ClassRef): Cls | undefined {
  if (!ref.m!.startsWith('file:')) return undefined;
  try {
    return pick(createRequire(ref.m!)(fileURLToPath(ref.m!)) as Record<string, unknown>, ref.x!);
  } catch {
    // An ES module with top-level await (or Node without require(esm)), or one that failed:
    // found in memory if this thread has loaded it, else imported.
    return undefined;
  }
}

function pick(ns: Record<string, unknown> | null | undefined, name: string): Cls | undefined {
  if (!ns) return undefined;
  let c = ns[name];
  if (c === undefined && ns.default && typeof ns.default === 'object') c = (ns.default as Record<string, unknown>)[name];
  return typeof c === 'function' ? (c as Cls) : undefined;
}

/** Modules being imported, by URL. */
const loading = new Map<string, Promise<Record<string, unknown> | null>>();
const pending = new Set<Promise<void>>();

/**
 * Imports the modules of `chain` that are not known yet, then calls `then` with the first of
 * the chain's classes found (index and class), or nothing if none is.
 */
export function resolveLater(chain: (ClassRef | null)[], then: (i: number, cls: Cls) => void): void {
  const p = Promise.all(
    chain.map((ref) => {
      if (!ref?.m || !ref.x || byRef.has(keyOf(ref))) return undefined;
      let mod = loading.get(ref.m);
      if (!mod) {
        mod = import(ref.m).then((ns: Record<string, unknown>) => ns, () => null);
        loading.set(ref.m, mod);
      }
      return mod.then((ns) => {
        if (!byRef.has(keyOf(ref))) byRef.set(keyOf(ref), pick(ns, ref.x!) ?? null);
      });
    }),
  ).then(() => {
    for (let i = 0; i < chain.length; i++) {
      const c = resolveNow(chain[i]);
      if (c) return then(i, c);
    }
  });
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** Some received value still waits for its class's module. */
export function classesPending(): boolean {
  return pending.size > 0;
}

/** Resolves once every class import started so far has finished (or failed). */
export async function classesLoaded(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}

/** `v` once every class import started so far has finished: what an asynchronous receive returns. */
export function whenClassesLoaded<T>(v: T): T | Promise<T> {
  return pending.size ? classesLoaded().then(() => v) : v;
}
