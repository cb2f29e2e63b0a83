// Value and RawValue: one typed scalar, or one record of a Struct, in the family's arena
// (Python's sharedctypes.Value / RawValue). A Value guards each access with its lock (an RLock
// unless given one); with `lock: false` the factory returns the RawValue itself, as Python does.
// getObj() gives the unguarded RawValue over the same memory.
import { SEND } from '../codec/codec.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import { Attach, Primitive, registerPrimitive, type Handle } from '../sync/primitive.js';
import { registerKind } from '../codec/codec.js';
import { checkOptions } from '../util/options.js';
import { fromStored, toStored, typeInfo, viewOf, type TypeInfo, type Typecode, type TypedArrayOf } from './typecodes.js';
import { lockOption, type GuardLock, type SharedOptions, type ScalarOf, type Writable } from './guard.js';
import { Struct, structFromLayout, type Code, type Layout } from './struct.js';
import { encodeRecords, memOf, viewClass, writeRecord, type Mem } from './record.js';

type ValueHandle = Handle & { typecode: Typecode | Layout };
/** The record a Struct-typed value holds: its type, the memory, and its (unguarded) view. */
interface Rec {
  struct: Struct;
  mem: Mem;
  view: object;
}

export class RawValue<C extends Code = Code> extends Primitive {
  static override readonly kind: string = 'shared.RawValue';
  readonly #type: TypeInfo | null = null;
  readonly #view: TypedArrayOf | null = null;
  readonly #rec: Rec | null = null;

  /** label: the factory named in error messages (Value builds on RawValue). */
  constructor(typecode: C | Attach<ValueHandle>, initial?: Writable<C>, label = 'RawValue') {
    const code = typecode instanceof Attach ? typecode.data.typecode : typecode;
    if (code instanceof Struct || (code !== null && typeof code === 'object')) {
      const struct = code instanceof Struct ? code : structFromLayout(code as Layout);
      if (typecode instanceof Attach) super(typecode);
      else {
        const bytes = initial === undefined ? undefined : encodeRecords(struct, [initial], `${label}(${struct.name}, initial)`);
        super(Math.max(2, Math.ceil(struct.size / 8) * 2));
        if (bytes) new Uint8Array(this.i32.buffer, this.offset, bytes.length).set(bytes);
      }
      const mem = memOf(this.i32.buffer);
      this.#rec = { struct, mem, view: new (viewClass(struct, mem, false))(this.offset, null) };
      return;
    }
    const type = typeInfo(code, label);
    if (typecode instanceof Attach) super(typecode);
    else {
      const stored = initial === undefined ? undefined : toStored(type, initial, `${label}('${type.code}', initial)`);
      super(Math.max(2, Math.ceil(type.bytes / 4)));
      this.#type = type;
      this.#view = viewOf(type, this.i32.buffer, this.offset, 1);
      if (stored !== undefined) this.#view[0] = stored;
      return;
    }
    this.#type = type;
    this.#view = viewOf(type, this.i32.buffer, this.offset, 1);
  }

  /** The typecode, or the Struct, this value was made with. */
  get typecode(): C {
    return (this.#rec ? this.#rec.struct : this.#type!.code) as C;
  }
  /** The number, or for a Struct the record's view (its fields read and write the shared memory). */
  get value(): ScalarOf<C> {
    if (this.#rec) return this.#rec.view as ScalarOf<C>;
    return fromStored(this.#type!, this.#view![0]) as ScalarOf<C>;
  }
  /** Stores a number, or a whole record (an object of fields or a tuple; missing fields become zero). */
  set value(v: Writable<C>) {
    const rec = this.#rec;
    if (rec) writeRecord(rec.mem, rec.struct, this.offset, v, `${this.constructor.name}.value`);
    else this.#view![0] = toStored(this.#type!, v, `${this.constructor.name}.value`);
  }

  /** A view of the record whose field accesses take `lock` (what a Value of a Struct gives). */
  guardedView(lock: GuardLock): object | null {
    const rec = this.#rec;
    return rec && new (viewClass(rec.struct, rec.mem, true))(this.offset, lock);
  }

  protected override sendData(): ValueHandle {
    return { ...this.handle(), typecode: this.#rec ? this.#rec.struct.layout : this.#type!.code };
  }
  override toString(): string {
    return this.#rec ? `<RawValue ${String(this.#rec.view)}>` : `${this.#type!.code}(${String(this.value)})`;
  }
}
registerPrimitive(RawValue);

/** A shared scalar (or record) whose every read and write takes its lock. */
export class Value<C extends Code = Code> {
  readonly #raw!: RawValue<C>;
  readonly #lock!: GuardLock;
  readonly #record!: object | null;

  /**
   * typecode (or Struct) and initial value, or an existing RawValue to guard (Python's
   * synchronized()). With `{ lock: false }` this returns the RawValue itself, as Python's
   * Value(..., lock=False) does.
   */
  constructor(typecode: C | RawValue<C>, initial?: Writable<C>, options?: SharedOptions) {
    checkOptions(options, ['lock'], 'Value');
    const raw = typecode instanceof RawValue ? typecode : new RawValue(typecode, initial, 'Value');
    const lock = lockOption(options, 'Value');
    if (!lock) return raw as unknown as Value<C>;
    this.#raw = raw;
    this.#lock = lock;
    this.#record = raw.guardedView(lock);
  }

  /** The number, or for a Struct the record's view, whose every field access takes the lock. */
  get value(): ScalarOf<C> {
    if (this.#record) return this.#record as ScalarOf<C>;
    const lock = this.#lock;
    const took = lock.enter();
    try {
      return this.#raw.value;
    } finally {
      lock.exit(took);
    }
  }
  set value(v: Writable<C>) {
    const lock = this.#lock;
    const took = lock.enter();
    try {
      this.#raw.value = v;
    } finally {
      lock.exit(took);
    }
  }

  get typecode(): C {
    return this.#raw.typecode;
  }
  /** The lock guarding this value (to make read-modify-write atomic: `v.getLock().withSync(...)`). */
  getLock(): Lock | RLock {
    return this.#lock;
  }
  /** The unguarded value over the same memory. */
  getObj(): RawValue<C> {
    return this.#raw;
  }

  [SEND](): { kind: string; data: unknown } {
    return { kind: 'shared.Value', data: { raw: this.#raw, lock: this.#lock } };
  }
  toString(): string {
    return `<Synchronized wrapper for ${String(this.#raw)}>`;
  }
}
registerKind('shared.Value', (data) => {
  const d = data as { raw: RawValue; lock: GuardLock };
  return new Value(d.raw, undefined, { lock: d.lock });
});
