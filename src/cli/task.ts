// The worker side of `multiprocessing-ts map`: one pool task runs the user's export over a chunk
// of input lines. Each line is parsed, passed, and its result written as JSON here, in the
// worker, so that this work is spread over the pool like the task itself; and each line's
// failure is caught here, so that one bad line fails that line only, never its whole chunk.
// This file is an entry point of the build: the pool's workers import it by its path.
import { toJsonLine } from './json.js';

/** Which function to run, and how a line becomes its arguments. */
export interface TaskSpec {
  /** the module's URL (file:, or a bare package name resolved in the worker) */
  module: string;
  /** the export to call */
  name: string;
  /** spread a JSON array line as the arguments (`--star`) */
  star: boolean;
}

/** What went wrong with one input line, as written by `--on-error record`. */
export interface LineError {
  name: string;
  message: string;
  /** the input line's number, from 1 (blank lines count) */
  line: number;
  stack?: string;
}

/** One line's outcome: its result as JSON text, or its error. */
export type LineResult = string | { error: LineError };

/**
 * A chunk's outcomes and how long it ran in the worker (ms: the CLI sizes its next chunks
 * from it), or why no line can run at all (the module or export cannot be had).
 */
export type ChunkResult = { results: LineResult[]; ms: number } | { fatal: string };

type Fn = (...args: unknown[]) => unknown;
const loaded = new Map<string, Promise<Fn>>();

async function load(spec: TaskSpec): Promise<Fn> {
  let ns: Record<string, unknown>;
  try {
    ns = (await import(spec.module)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot import ${spec.module}: ${(e as Error).message}`);
  }
  const fn = ns[spec.name] ?? (ns.default as Record<string, unknown> | undefined)?.[spec.name];
  if (typeof fn !== 'function') {
    const names = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
    throw new Error(`${spec.module} has no exported function '${spec.name}'` + (names.length ? ` (its exported functions: ${names.join(', ')})` : ''));
  }
  return fn as Fn;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';

/** The stack as far as the user's code: the frames of this file and of the pool below it say nothing to the user. */
function userStack(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const lines = stack.split('\n');
  const here = lines.findIndex((l) => l.includes('runChunk'));
  return (here > 0 ? lines.slice(0, here) : lines).join('\n');
}

export function lineError(e: unknown, line: number): LineError {
  const stack = e instanceof Error ? userStack(e.stack) : undefined;
  if (e instanceof Error) return { name: e.name, message: e.message, line, ...(stack ? { stack } : {}) };
  return { name: typeof e, message: String(e), line };
}

/** Answers at once: the CLI waits for each worker's answer before it starts timing tasks (--timeout). */
export function ready(): true {
  return true;
}

/** Runs the task over `lines` ([line number, text] pairs). */
export async function runChunk(spec: TaskSpec, lines: [number, string][]): Promise<ChunkResult> {
  const key = `${spec.module}#${spec.name}`;
  let pending = loaded.get(key);
  if (!pending) loaded.set(key, (pending = load(spec)));
  let fn: Fn;
  try {
    fn = await pending;
  } catch (e) {
    return { fatal: (e as Error).message };
  }
  const started = performance.now();
  const out = new Array<LineResult>(lines.length);
  for (let k = 0; k < lines.length; k++) {
    const [no, text] = lines[k];
    try {
      let arg: unknown;
      try {
        arg = JSON.parse(text);
      } catch (e) {
        throw new SyntaxError(`the line is not JSON (${(e as Error).message})`);
      }
      let value: unknown;
      if (spec.star) {
        if (!Array.isArray(arg)) throw new TypeError(`--star needs each line to be a JSON array of arguments, got ${arg === null ? 'null' : typeof arg}`);
        value = fn(...arg);
      } else value = fn(arg);
      if (isThenable(value)) value = await value;
      out[k] = toJsonLine(value);
    } catch (e) {
      out[k] = { error: lineError(e, no) };
    }
  }
  return { results: out, ms: performance.now() - started };
}
