// Contexts (Python's multiprocessing.context): the package's factories (factories.ts) with the
// ones that start children bound to one start method. One table, one place that binds.
import { callable } from './util/callable.js';
import { bindStartMethod, checkStartMethod, getStartMethod } from './process/context.js';
import type { StartMethod } from './process/runtime.js';
import { warmSpare } from './spawn/process.js';
import { Process as ProcessClass } from './process/process.js';
import { Pool as PoolClass } from './pool/pool.js';
import { Manager, type SyncManager } from './managers/sync-manager.js';
import type { ManagerOptions } from './managers/manager.js';
import * as factories from './factories.js';

/** A context: every factory of the package, those that start children bound to one start method. */
export type Context = Omit<typeof factories, 'Manager'> & {
  readonly startMethod: StartMethod;
  getStartMethod(): StartMethod;
  /** `await ctx.Manager()`: a started SyncManager whose server runs under this start method. */
  Manager(options?: Omit<ManagerOptions, 'context'>): Promise<SyncManager>;
};

const contexts = new Map<StartMethod, Context>();

export function getContext(method?: StartMethod | null): Context {
  const m = method == null ? getStartMethod()! : checkStartMethod(method);
  let ctx = contexts.get(m);
  if (!ctx) {
    ctx = {
      ...factories,
      startMethod: m,
      getStartMethod: () => m,
      Process: callable(bindStartMethod(ProcessClass, m, 'Process')),
      Pool: callable(bindStartMethod(PoolClass, m, 'Pool')),
      Manager: (options?: Omit<ManagerOptions, 'context'>) => Manager({ ...options, context: m }),
    };
    contexts.set(m, ctx);
  }
  if (m === 'process') warmSpare();
  return ctx;
}
