// SharedMemory: a named POSIX segment (shm_open), attachable by name from any process, as in
// Python's multiprocessing.shared_memory. Unnamed segments are called `mpts-<pid>-<random>`.
// Space is reserved at creation (a full /dev/shm fails here with ENOSPC, never later with
// SIGBUS), and a segment this family created but did not unlink is unlinked by the family's
// tracker when the family ends, even by SIGKILL. close() unmaps; unlink() removes the name.
import { registerKind, SEND } from '../codec/codec.js';
import { native, nativeUnavailable } from '../core/native.js';
import { ValueError } from '../errors.js';
import { checkOptions, describe } from '../util/options.js';
import { track, untrack } from './tracker.js';
import { builtin } from '../util/builtins.js';

export interface SharedMemoryOptions {
  /** The segment's name; required unless create is true (then a unique one is made). */
  name?: string | null;
  create?: boolean;
  /** Bytes; required (> 0) with create. */
  size?: number;
}

interface Mapping {
  buffer: ArrayBuffer;
  address: number;
  fd: number;
  size: number;
}

export class SharedMemory {
  readonly name: string;
  readonly size: number;
  #map: Mapping | null;
  #buf: Uint8Array | null;

  constructor(options: SharedMemoryOptions = {}) {
    if (!native) throw new Error(`SharedMemory needs the native addon: ${nativeUnavailable}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`SharedMemory: expected options { name?, create?, size? }, got ${describe(options)}`);
    checkOptions(options, ['name', 'create', 'size'], 'SharedMemory');
    const create = Boolean(options.create);
    let name = options.name ?? null;
    if (!create && name === null) throw new ValueError("SharedMemory: 'name' can only be omitted when create is true");
    if (name !== null && (typeof name !== 'string' || !/^[^/\0]{1,240}$/.test(name.replace(/^\//, '')) || /^\/?\.\.?$/.test(name))) {
      // ('.' and '..' name the directory itself: the system would say "invalid argument", or
      // with create, that it "already exists".)
      throw new ValueError(`SharedMemory: invalid name ${describe(name)}: a name is 1 to 240 characters, without '/', and not '.' or '..'`);
    }
    if (create && !(typeof options.size === 'number' && Number.isInteger(options.size) && options.size > 0)) {
      throw new ValueError(`SharedMemory: 'size' must be a positive integer number of bytes when creating, got ${describe(options.size)}`);
    }
    if (name === null) name = `mpts-${process.pid}-${builtin('crypto').randomBytes(6).toString('hex')}`;
    name = name.replace(/^\//, '');
    let map: Mapping;
    try {
      map = native.shmOpen(`/${name}`, create, create ? options.size! : 0) as Mapping;
    } catch (e) {
      const code = (e as { code?: string }).code;
      const what = code === 'ENOENT' ? `no shared memory named '${name}'` : code === 'EEXIST' ? `shared memory named '${name}' already exists` : (e as Error).message;
      throw Object.assign(new Error(`SharedMemory: ${what}`), { code, cause: e });
    }
    if (create) track(name);
    this.name = name;
    this.size = map.size;
    this.#map = map;
    this.#buf = new Uint8Array(map.buffer);
  }

  /** The segment's bytes. */
  get buf(): Uint8Array {
    if (!this.#buf) throw new ValueError(`SharedMemory '${this.name}' is closed`);
    return this.#buf;
  }

  /** Unmaps the segment from this process (others keep theirs); the name stays until unlink(). */
  close(): void {
    const m = this.#map;
    if (!m) return;
    this.#map = null;
    this.#buf = null;
    native!.unmap(m.buffer, m.address, m.size, m.fd);
  }

  /** Removes the name; the memory lives on while any process still maps it. */
  unlink(): void {
    try {
      native!.shmUnlink(`/${this.name}`);
    } catch (e) {
      throw Object.assign(new Error(`SharedMemory.unlink: no shared memory named '${this.name}'`), { code: (e as { code?: string }).code, cause: e });
    }
    untrack(this.name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** It travels by name, as in Python: the receiver attaches its own mapping. */
  [SEND](): { kind: string; data: unknown } {
    return { kind: 'shared.SharedMemory', data: this.name };
  }

  toString(): string {
    return `SharedMemory('${this.name}', size=${this.size})`;
  }
}
registerKind('shared.SharedMemory', (name) => new SharedMemory({ name: name as string }));
