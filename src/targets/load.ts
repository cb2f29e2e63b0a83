// Child side of target shipping: import the defining module (running its top-level code again,
// exactly Python's spawn rule) and take the export, or evaluate a self-contained source.
import { describedHere, type TargetSpec } from './describe.js';

export async function loadTarget(spec: TargetSpec): Promise<(...args: unknown[]) => unknown> {
  if (spec.kind === 'source') {
    try {
      return (0, eval)(`(${spec.source})`) as (...args: unknown[]) => unknown;
    } catch (e) {
      throw new TypeError(`target '${spec.name}' could not be rebuilt from its source in the child (${(e as Error).message}); export it from its module instead`);
    }
  }
  const known = describedHere(spec);
  if (known) return known as (...args: unknown[]) => unknown;
  let ns: Record<string, unknown>;
  try {
    ns = (await import(spec.module)) as Record<string, unknown>;
  } catch (e) {
    const err = new TypeError(`target '${spec.name}': the child could not import ${spec.module}: ${(e as Error).message}`);
    (err as Error).cause = e;
    throw err;
  }
  let fn = ns[spec.name];
  if (fn === undefined && ns.default && typeof ns.default === 'object') fn = (ns.default as Record<string, unknown>)[spec.name];
  if (typeof fn !== 'function') {
    throw new TypeError(`target '${spec.name}': ${spec.module} has no exported function '${spec.name}' in the child`);
  }
  return fn as (...args: unknown[]) => unknown;
}

// Functions that arrive inside values (a Barrier's action) are imported while the value is
// decoded; a child awaits them all before its target runs, so synchronous calls find them.
const pendingLoads = new Set<Promise<unknown>>();

/** Starts importing a shipped function; `onLoaded` receives it. */
export function loadInBackground(spec: TargetSpec, onLoaded: (fn: (...args: unknown[]) => unknown) => void): Promise<void> {
  const p = loadTarget(spec).then(onLoaded);
  pendingLoads.add(p);
  void p.catch(() => {}).finally(() => pendingLoads.delete(p));
  return p;
}

/** Resolves when every function started by loadInBackground() so far has loaded (or failed). */
export async function settleLoads(): Promise<void> {
  while (pendingLoads.size) await Promise.allSettled([...pendingLoads]);
}
