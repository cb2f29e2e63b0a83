// Parent side of target shipping (API.md, "Where a target function comes from"): turn a
// function into something a child can load. The child never shares our heap, so a function
// travels as the module that exports it plus its export name, or, when it is self-contained,
// as its source text. The user names nothing: we find the module ourselves.
//   1. cheap: the calling file and the main script, then the local files they import, are
//      parsed, and an export whose source text is exactly fn.toString() is the function;
//   2. otherwise V8 tells where the function was defined ([[FunctionLocation]] through an
//      in-thread inspector session, synchronous) and we parse the code V8 actually ran (so a
//      .ts file under tsx is read as the JS it compiled to);
//   3. not exported: sent by source if it uses nothing from outside, else a clear error now.
import { readFileSync, statSync } from 'node:fs';
import type { Session } from 'node:inspector';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { functionAt, freeNames, parseModule, type ModuleFacts } from './analyze.js';
import { packageRoot } from '../util/here.js';
import { builtin } from '../util/builtins.js';
import { TargetError } from '../errors.js';

export type TargetSpec =
  | { kind: 'export'; module: string; name: string }
  | { kind: 'source'; source: string; name: string };

/** An explicit reference to an exported function: `{ module: URL | path, name }`. */
export interface TargetRef {
  module: string | URL;
  name: string;
}

export type AnyFunction = Function;
/** Any function a task may run; its parameters and awaited result type a pool's calls. */
export type TaskFunction = (...args: never[]) => unknown;
/** What a task function gives, once awaited (a Promise's value for an async function). */
export type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : unknown;


const cache = new WeakMap<object, TargetSpec>();
// Frames inside the package's build (either bundle) are ours, not the caller's.
const packageDir = join(packageRoot, 'dist');

export function isTargetRef(v: unknown): v is TargetRef {
  return typeof v === 'object' && v !== null && 'module' in v && 'name' in v && typeof (v as TargetRef).name === 'string';
}

export function describeTarget(target: AnyFunction | TargetRef, what = 'target'): TargetSpec {
  if (isTargetRef(target)) return checkRef({ kind: 'export', module: moduleUrl(target.module), name: target.name }, what);
  if (typeof target !== 'function') throw new TargetError(`${what} must be a function or { module, name }, got ${target === null ? 'null' : typeof target}`);
  const known = cache.get(target);
  if (known) return known;
  const spec = find(target, what);
  cache.set(target, spec);
  if (spec.kind === 'export') described.set(`${spec.module}#${spec.name}`, new WeakRef(target));
  return spec;
}

// The exports described here, by reference: one that comes back (a Barrier's action inside a
// value sent back to this process) is the function itself, not an import of its module (which
// would wait for ever on a main module still running its top-level await).
const described = new Map<string, WeakRef<AnyFunction>>();
/** @internal The function this process described as `spec`, if it is still alive. */
export function describedHere(spec: TargetSpec): AnyFunction | undefined {
  return spec.kind === 'export' ? described.get(`${spec.module}#${spec.name}`)?.deref() : undefined;
}

/** A named module we can read is parsed now, so that a syntax error fails the call, not the child. */
function checkRef(spec: TargetSpec & { kind: 'export' }, what: string): TargetSpec {
  if (!spec.module.startsWith('file:') || !/\.(m|c)?js$/.test(spec.module)) return spec;
  // This package's own modules (a pool's worker) are known to parse.
  if (fileURLToPath(spec.module).startsWith(packageDir)) return spec;
  let source: string;
  try {
    source = readFileSync(fileURLToPath(spec.module), 'utf8');
  } catch (e) {
    throw new TargetError(`${what} '${spec.name}': cannot read ${spec.module} (${(e as Error).message})`);
  }
  if (!parseModule(source)) {
    throw new TargetError(`${what} '${spec.name}': ${spec.module} has a syntax error, so a child could not import it`);
  }
  return spec;
}

function moduleUrl(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m)) return m;
  if (isAbsolute(m) || m.startsWith('.')) return pathToFileURL(resolve(m)).href;
  return m; // a bare package specifier, resolved by the child
}

function label(fn: AnyFunction): string {
  return fn.name ? `'${fn.name}'` : 'an anonymous function';
}

function find(fn: AnyFunction, what: string): TargetSpec {
  const text = Function.prototype.toString.call(fn);
  if (text.includes('[native code]')) {
    throw new TargetError(`${what} ${label(fn)} is a built-in or bound function: a child cannot import it. Wrap it in an exported function.`);
  }
  const found = findExport(fn, text);
  if (found.module !== null && found.name !== null) return { kind: 'export', module: found.module, name: found.name };
  return bySource(fn, text, what, found.module ?? undefined);
}

/**
 * Where a function (or class) is exported from: its module's URL and export name. `name` is
 * null when it is not exported; `module` is then where V8 says it was defined, if known.
 */
export function findExport(fn: AnyFunction, text = Function.prototype.toString.call(fn)): { module: string | null; name: string | null } {
  const candidates = candidateFiles();
  // The calling file and the main script, then the files they import: most targets are found
  // there, without asking V8 (whose debugger takes ~50-150 ms to start the first time).
  for (const file of [...candidates, ...candidates.flatMap(importedFiles)]) {
    const facts = factsOfFile(file);
    const name = facts?.byText.get(text);
    if (name) return { module: pathToFileURL(file).href, name };
  }
  const located = locate(fn);
  if (located) {
    const hit = functionAt(located.facts, located.offset);
    const exportName = hit?.binding ? (hit.binding === '*default*' ? 'default' : located.facts.exported.get(hit.binding)) : undefined;
    if (exportName) return { module: located.url, name: exportName };
    const byText = located.facts.byText.get(text);
    if (byText) return { module: located.url, name: byText };
  }
  return { module: located?.url ?? null, name: null };
}

function bySource(fn: AnyFunction, text: string, what: string, url?: string): TargetSpec {
  const where = url ? ` in ${url}` : '';
  const free = freeNames(text);
  if (free === null) {
    throw new TargetError(`${what} ${label(fn)}${where} is not exported from its module and is not a standalone function expression; export it (or pass { module, name })`);
  }
  const missing = free.filter((n) => !(n in globalThis));
  if (missing.length) {
    throw new TargetError(
      `${what} ${label(fn)}${where} uses ${missing.map((m) => `'${m}'`).join(', ')} from outside itself, which a child does not have: ` +
        'the function must be self-contained (use only its parameters and globals) or be exported from its module',
    );
  }
  return { kind: 'source', source: text, name: fn.name };
}

// ---------------------------------------------------------------- the cheap path

function candidateFiles(): string[] {
  const files: string[] = [];
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    for (const f of frames) {
      let name = f.getFileName() ?? '';
      if (name.startsWith('file:')) name = fileURLToPath(name);
      if (!name || name.startsWith('node:') || !isAbsolute(name) || name.startsWith(packageDir)) continue;
      if (!files.includes(name)) files.push(name);
      if (files.length >= 2) break;
    }
  } finally {
    Error.prepareStackTrace = saved;
  }
  const main = process.argv[1];
  if (main && isAbsolute(main) && !files.includes(main)) files.push(main);
  return files.filter((f) => /\.(m|c)?js$/.test(f));
}

const IMPORTED_MAX_BYTES = 1 << 20;

/** The local JavaScript files a file imports (relative or absolute specifiers). */
function importedFiles(file: string): string[] {
  const out: string[] = [];
  for (const spec of factsOfFile(file)?.imports ?? []) {
    let path: string;
    if (spec.startsWith('file:')) path = fileURLToPath(spec);
    else if (spec.startsWith('./') || spec.startsWith('../') || isAbsolute(spec)) path = resolve(dirname(file), spec);
    else continue;
    // (A large file, a bundle say, would cost more to parse than asking V8.)
    if (/\.(m|c)?js$/.test(path) && !out.includes(path) && (statSync(path, { throwIfNoEntry: false })?.size ?? Infinity) <= IMPORTED_MAX_BYTES) out.push(path);
  }
  return out;
}

const fileFacts = new Map<string, ModuleFacts | null>();
function factsOfFile(file: string): ModuleFacts | null {
  if (!fileFacts.has(file)) {
    let facts: ModuleFacts | null = null;
    try {
      facts = parseModule(readFileSync(file, 'utf8'));
    } catch {
      facts = null;
    }
    fileFacts.set(file, facts);
  }
  return fileFacts.get(file)!;
}

// ---------------------------------------------------------------- where V8 says it is

let session: Session | null = null;
const scriptUrls = new Map<string, string>();
const scriptFacts = new Map<string, ModuleFacts | null>();

function post<T>(method: string, params: object = {}): T {
  let out: T | undefined, err: Error | null = null;
  session!.post(method, params, (e: Error | null, r?: object) => {
    err = e;
    out = r as T;
  });
  if (err) throw err;
  return out as T;
}

function connect(): void {
  if (session) return;
  session = new (builtin('inspector').Session)();
  session.connect();
  session.on('Debugger.scriptParsed', (m) => scriptUrls.set(m.params.scriptId, m.params.url));
}

function locate(fn: AnyFunction): { url: string; facts: ModuleFacts; offset: number } | null {
  try {
    connect();
    const key = Symbol.for('mpts.probe');
    (globalThis as Record<symbol, unknown>)[key] = fn;
    let loc: { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
    try {
      const { result } = post<{ result: { objectId: string } }>('Runtime.evaluate', { expression: "globalThis[Symbol.for('mpts.probe')]" });
      const props = post<{ internalProperties?: { name: string; value: { value: typeof loc } }[] }>('Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
      loc = props.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value.value;
      post('Runtime.releaseObject', { objectId: result.objectId });
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
    if (!loc) return null;
    if (!scriptFacts.has(loc.scriptId)) {
      // The debugger is on only while we read: it reports every script (and its URL) at enable.
      post('Debugger.enable');
      try {
        const { scriptSource } = post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: loc.scriptId });
        scriptFacts.set(loc.scriptId, parseModule(scriptSource));
      } finally {
        post('Debugger.disable');
      }
    }
    const facts = scriptFacts.get(loc.scriptId);
    const url = scriptUrls.get(loc.scriptId);
    if (!facts || !url) return null;
    let offset = 0;
    for (let line = 0, i = 0; line < loc.lineNumber; line++) {
      i = facts.source.indexOf('\n', i) + 1;
      offset = i;
    }
    return { url: url.startsWith('/') ? pathToFileURL(url).href : url, facts, offset: offset + loc.columnNumber };
  } catch {
    return null;
  }
}

/**
 * A function (or class) named `name` that the module at `url` defined, if this thread has
 * loaded that module: for a class whose module cannot be loaded synchronously (an ES module
 * with top-level await, such as a main script still running) but is in memory. V8 lists the
 * heap's functions of that name and says where each was defined. It costs a garbage
 * collection, once per class and thread.
 */
export function loadedClass(url: string, name: string): AnyFunction | undefined {
  const group = 'mpts.loaded';
  try {
    connect();
    // The debugger is on only while we read: it reports every script (and its URL) at enable.
    post('Debugger.enable');
    post('Debugger.disable');
    const urlOf = (id: string) => {
      const u = scriptUrls.get(id);
      return u?.startsWith('/') ? pathToFileURL(u).href : u;
    };
    if (![...scriptUrls.keys()].some((id) => urlOf(id) === url)) return undefined;
    const proto = post<{ result: { objectId: string } }>('Runtime.evaluate', { expression: 'Function.prototype', objectGroup: group }).result;
    const { objects } = post<{ objects: { objectId: string } }>('Runtime.queryObjects', { prototypeObjectId: proto.objectId, objectGroup: group });
    const named = post<{ result: { objectId: string } }>('Runtime.callFunctionOn', {
      objectId: objects.objectId,
      functionDeclaration: 'function (n) { return this.filter(function (f) { return f.name === n; }); }',
      arguments: [{ value: name }],
      objectGroup: group,
    }).result;
    const items = post<{ result: { name: string; value?: { objectId?: string } }[] }>('Runtime.getProperties', { objectId: named.objectId, ownProperties: true }).result;
    for (const item of items) {
      const id = item.value?.objectId;
      if (!/^\d+$/.test(item.name) || !id) continue;
      const props = post<{ internalProperties?: { name: string; value: { value: { scriptId: string } } }[] }>('Runtime.getProperties', { objectId: id, ownProperties: true });
      const loc = props.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value.value;
      if (!loc || urlOf(loc.scriptId) !== url) continue;
      const key = Symbol.for('mpts.probe');
      post('Runtime.callFunctionOn', { objectId: id, functionDeclaration: "function () { globalThis[Symbol.for('mpts.probe')] = this; }" });
      const g = globalThis as Record<symbol, unknown>;
      const fn = g[key] as AnyFunction;
      delete g[key];
      return fn;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    try {
      post('Runtime.releaseObjectGroup', { objectGroup: group });
    } catch {
      /* no session */
    }
  }
}
