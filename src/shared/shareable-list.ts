// ShareableList: a fixed-length list of small values in one SharedMemory segment, attachable
// by name (Python's shared_memory.ShareableList). Each slot keeps the room it was made with:
// 8 bytes for numbers, bigints, booleans and null, the initial byte length (rounded up to 8)
// for strings and bytes. A slot may change type as long as the new value fits; no locking,
// as in Python.
//   layout: [count u32][pad u32] then per slot [tag u8][pad 3][length u32][room u32][offset u32],
//   then the data.
import { registerKind, SEND } from '../codec/codec.js';
import { ValueError } from '../errors.js';
import { checkOptions, describe } from '../util/options.js';
import { SharedMemory } from './shared-memory.js';

export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

const NULL = 0, NUMBER = 1, BIG = 2, BOOL = 3, STR = 4, BYTES = 5;
const HEADER = 8, SLOT = 16;
const formats = ['x', 'd', 'q', '?', 's', 's'];

function tagOf(v: unknown, what: string): number {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'number') return NUMBER;
  if (typeof v === 'bigint') return BIG;
  if (typeof v === 'boolean') return BOOL;
  if (typeof v === 'string') return STR;
  if (v instanceof Uint8Array) return BYTES;
  throw new TypeError(`${what}: a ShareableList holds numbers, bigints, booleans, strings, bytes and null; got ${describe(v)}`);
}
const encoded = (v: ShareableItem, tag: number): Uint8Array | null =>
  tag === STR ? Buffer.from(v as string, 'utf8') : tag === BYTES ? (v as Uint8Array) : null;

export class ShareableList implements Iterable<ShareableItem> {
  readonly shm: SharedMemory;
  readonly #view: DataView;
  readonly length: number;

  /** sequence: the items of a new list; or { name } alone: attach to an existing one. */
  constructor(sequence?: Iterable<ShareableItem> | null, options: { name?: string } = {}) {
    checkOptions(options, ['name'], 'ShareableList');
    if (sequence === null || sequence === undefined) {
      if (options.name !== undefined) {
        this.shm = new SharedMemory({ name: options.name });
        this.#view = new DataView(this.shm.buf.buffer, this.shm.buf.byteOffset, this.shm.size);
        this.length = this.#view.getUint32(0, true);
        return;
      }
      sequence = [];
    }
    if (typeof (sequence as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TypeError(`ShareableList: expected an iterable of items, got ${describe(sequence)}`);
    const items = [...sequence];
    const tags = items.map((v, i) => tagOf(v, `ShareableList[${i}]`));
    const rooms = items.map((v, i) => Math.max(8, Math.ceil((encoded(v, tags[i])?.length ?? 8) / 8) * 8));
    const dataStart = HEADER + SLOT * items.length;
    const size = dataStart + rooms.reduce((a, b) => a + b, 0);
    this.shm = new SharedMemory({ create: true, size: Math.max(size, 8), name: options.name });
    this.#view = new DataView(this.shm.buf.buffer, this.shm.buf.byteOffset, this.shm.size);
    this.length = items.length;
    this.#view.setUint32(0, items.length, true);
    let offset = dataStart;
    for (let i = 0; i < items.length; i++) {
      const s = HEADER + SLOT * i;
      this.#view.setUint32(s + 8, rooms[i], true);
      this.#view.setUint32(s + 12, offset, true);
      offset += rooms[i];
      this.set(i, items[i]);
    }
  }

  private slot(index: number, what: string): number {
    if (!Number.isInteger(index)) throw new TypeError(`ShareableList.${what}: index must be an integer, got ${describe(index)}`);
    const i = index < 0 ? index + this.length : index;
    if (i < 0 || i >= this.length) throw new RangeError(`ShareableList.${what}: index ${index} out of range (length ${this.length})`);
    return HEADER + SLOT * i;
  }

  get(index: number): ShareableItem {
    const v = this.#view, s = this.slot(index, 'get');
    const at = v.getUint32(s + 12, true);
    switch (v.getUint8(s)) {
      case NUMBER: return v.getFloat64(at, true);
      case BIG: return v.getBigInt64(at, true);
      case BOOL: return v.getUint8(at) === 1;
      case STR: return Buffer.from(v.buffer, v.byteOffset + at, v.getUint32(s + 4, true)).toString('utf8');
      case BYTES: return Buffer.from(Buffer.from(v.buffer, v.byteOffset + at, v.getUint32(s + 4, true)));
      default: return null;
    }
  }

  set(index: number, value: ShareableItem): void {
    const v = this.#view, s = this.slot(index, 'set');
    const tag = tagOf(value, `ShareableList.set(${index})`);
    const at = v.getUint32(s + 12, true), room = v.getUint32(s + 8, true);
    const bytes = encoded(value, tag);
    if (bytes && bytes.length > room) throw new ValueError(`ShareableList.set(${index}): ${bytes.length} bytes exceed the slot's ${room}`);
    if (tag === NUMBER) v.setFloat64(at, value as number, true);
    else if (tag === BIG) v.setBigInt64(at, BigInt.asIntN(64, value as bigint), true);
    else if (tag === BOOL) v.setUint8(at, value ? 1 : 0);
    else if (bytes) new Uint8Array(v.buffer, v.byteOffset + at, room).set(bytes);
    v.setUint32(s + 4, bytes?.length ?? 0, true);
    v.setUint8(s, tag);
  }

  /** Python's struct-like format of the slots as they are now ('d', 'q', '?', 'x', '<room>s'). */
  get format(): string {
    let out = '';
    for (let i = 0; i < this.length; i++) {
      const s = HEADER + SLOT * i, tag = this.#view.getUint8(s);
      out += tag === STR || tag === BYTES ? `${this.#view.getUint32(s + 8, true)}s` : formats[tag];
    }
    return out;
  }

  /** The first index holding value; throws ValueError if none does (as Python's index). */
  index(value: ShareableItem): number {
    for (let i = 0; i < this.length; i++) if (same(this.get(i), value)) return i;
    throw new ValueError(`ShareableList.index: ${describe(value)} is not in the list`);
  }
  count(value: ShareableItem): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (same(this.get(i), value)) n++;
    return n;
  }
  *[Symbol.iterator](): Iterator<ShareableItem> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
  toArray(): ShareableItem[] {
    return [...this];
  }

  [SEND](): { kind: string; data: unknown } {
    return { kind: 'shared.ShareableList', data: this.shm.name };
  }
  toString(): string {
    return `ShareableList(${JSON.stringify(this.toArray(), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}, name='${this.shm.name}')`;
  }
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}
registerKind('shared.ShareableList', (name) => new ShareableList(null, { name: name as string }));
