// Value and RawValue: one typed scalar in the family's arena (Python's sharedctypes.Value /
// RawValue). A Value guards each access with its lock (an RLock unless given one, none with
// `lock: false`); getObj() gives the unguarded RawValue over the same memory.
import { SEND } from '../codec/codec.js';
import { ValueError } from '../errors.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { Attach, Primitive, registerPrimitive, type Handle } from '../sync/primitive.js';
import { registerKind } from '../codec/codec.js';
import { fromStored, toStored, typeInfo, viewOf, type TypeInfo, type Typecode, type TypedArrayOf } from './typecodes.js';
import { lockOption, type GuardLock, type SharedOptions, type ScalarOf, type Writable } from './guard.js';

type ValueHandle = Handle & { typecode: Typecode };

export class RawValue<C extends Typecode = Typecode> extends Primitive {
  static override readonly kind: string = 'shared.RawValue';
  readonly #type: TypeInfo;
  readonly #view: TypedArrayOf;

  /** label: the factory named in error messages (Value builds on RawValue). */
  constructor(typecode: C | Attach<ValueHandle>, initial?: Writable<C>, label = 'RawValue') {
    const type = typeInfo(typecode instanceof Attach ? typecode.data.typecode : typecode, label);
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

  get typecode(): C {
    return this.#type.code as C;
  }
  get value(): ScalarOf<C> {
    return fromStored(this.#type, this.#view[0]) as ScalarOf<C>;
  }
  set value(v: Writable<C>) {
    this.#view[0] = toStored(this.#type, v, `${this.constructor.name}.value`);
  }

  protected override sendData(): ValueHandle {
    return { ...this.handle(), typecode: this.#type.code };
  }
  override toString(): string {
    return `${this.#type.code}(${String(this.value)})`;
  }
}
registerPrimitive(RawValue);

/** A shared scalar whose every read and write takes its lock. */
export class Value<C extends Typecode = Typecode> {
  readonly #raw: RawValue<C>;
  readonly #lock: GuardLock | null;

  /** typecode and initial value, or an existing RawValue to guard (Python's synchronized()). */
  constructor(typecode: C | RawValue<C>, initial?: Writable<C>, options?: SharedOptions) {
    this.#raw = typecode instanceof RawValue ? typecode : new RawValue(typecode, initial, 'Value');
    this.#lock = lockOption(options, 'Value');
  }

  get value(): ScalarOf<C> {
    const lock = this.#lock;
    if (!lock) return this.#raw.value;
    const took = lock.enter();
    try {
      return this.#raw.value;
    } finally {
      lock.exit(took);
    }
  }
  set value(v: Writable<C>) {
    const lock = this.#lock;
    if (!lock) {
      this.#raw.value = v;
      return;
    }
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
    if (!this.#lock) throw new ValueError('Value.getLock(): this Value was made with { lock: false } and has no lock');
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
  const d = data as { raw: RawValue; lock: GuardLock | null };
  return new Value(d.raw, undefined, { lock: d.lock ?? false });
});
