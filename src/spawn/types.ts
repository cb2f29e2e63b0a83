// What the two start methods share: the boot message a child receives, the handle the parent
// keeps, and the status words (in the shared arena) through which a child reports its pid and
// exit code, so that a synchronous join works while the parent's event loop is blocked.
import { join } from 'node:path';
import type { ArenaBoot, Core } from '../core/core.js';
import type { BootIdentity } from '../process/runtime.js';
import type { TargetSpec } from '../targets/describe.js';
import { esmDir } from '../util/here.js';

export interface BootMessage {
  arena: ArenaBoot;
  proc: BootIdentity;
  /** byte offset of the child's status words */
  status: number;
  spec: TargetSpec | null;
  /** spec names a Process subclass: rebuild it from `fields` and call run() */
  subclass: boolean;
  args: Uint8Array;
  fields: Uint8Array | null;
  cwd: string;
  env?: Record<string, string | undefined>;
}

/** What a spare sends its parent once booted, loaders and package loaded. */
export const SPARE_READY = 'mpts:spare-ready';

/** Word offsets inside a child's status block (4 words). */
export const ST_STATE = 0, ST_CODE = 1, ST_PID = 2;
export const STATE_BOOTING = 0, STATE_RUNNING = 1, STATE_EXITED = 2;
export const STATUS_BYTES = 16;

/** Records a child's exit in its status words and wakes everyone blocked in joinSync(). */
export function recordExit(c: Core, status: number, code: number): void {
  const base = status >> 2;
  Atomics.store(c.i32, base + ST_CODE, code);
  Atomics.store(c.i32, base + ST_STATE, STATE_EXITED);
  c.wake(base + ST_STATE, 0x7fffffff);
}

/**
 * Settles with the exit code a child records in its last 'exit' listener (child.ts). Its thread or
 * process then still takes milliseconds to be torn down and reported by the OS (~5 ms for a
 * Node process): join() does not wait for that, as joinSync() under `thread` never did. A
 * child that is killed records nothing; the parent records its end when the OS reports it,
 * which settles this too. Weak: the caller keeps the event loop alive while it waits.
 */
export async function whenRecorded(c: Core, status: number): Promise<number> {
  const base = status >> 2;
  for (;;) {
    const state = Atomics.load(c.i32, base + ST_STATE);
    if (state === STATE_EXITED) return Atomics.load(c.i32, base + ST_CODE);
    await c.waitAsync(base + ST_STATE, state, -1, true);
  }
}

export interface ChildHandle {
  /** Settles with the exit code when the child has ended. */
  readonly exited: Promise<number>;
  readonly exitcode: number | null;
  pid(): number;
  terminate(): void;
  kill(): void;
  /** Blocks up to ms (-1 forever); the exit code, or null if the child still runs. */
  waitSync(ms: number): number | null;
}

export const bootstrapFile = join(esmDir, 'spawn', 'bootstrap.js');

/** The loaders given to this Node (--import tsx, --require ts-node/register, ...). */
export type Loader = { kind: 'import' | 'require'; specifier: string };

export function loadersOf(execArgv: string[]): Loader[] {
  const out: Loader[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const m = /^--(import|loader|experimental-loader|require|r)(?:=(.*))?$/.exec(execArgv[i]) ?? (execArgv[i] === '-r' ? [execArgv[i], 'r'] : null);
    if (!m) continue;
    const specifier = m[2] ?? execArgv[++i];
    if (specifier) out.push({ kind: m[1] === 'require' || m[1] === 'r' ? 'require' : 'import', specifier });
  }
  return out;
}

/**
 * The parent's Node flags minus those that belong to the parent's own entry (an --eval
 * script, --input-type) or cannot be shared (an inspector port): what a child runs with.
 */
export function childExecArgv(execArgv: string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (/^(-e|--eval|-p|--print)$/.test(a)) {
      i++;
      continue;
    }
    if (/^(--input-type|--eval|--print|--inspect|--inspect-brk|--inspect-port|--debug-port)(=|$)/.test(a)) continue;
    out.push(a);
  }
  return out;
}
