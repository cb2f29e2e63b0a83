// What every synchronization primitive shares: its words in the family's shared arena and the
// handle it travels as (kind + arena offset, checked against the family). How its algorithms
// wait is the core's (core/steps.ts).
import { core, type Core } from '../core/core.js';
import { registerKind, SEND } from '../codec/codec.js';


/** A handle: the words of a primitive in the arena of one process family. */
export interface Handle {
  family: number;
  offset: number;
}

// One object per primitive per thread: a handle received twice (or sent back to its creator)
// gives the same object, so per-object state such as "held here" stays consistent.
const live = new Map<number, WeakRef<Primitive>>();
const sweep = new FinalizationRegistry<number>((offset) => {
  if (!live.get(offset)?.deref()) live.delete(offset);
});

/** Passed to a primitive's constructor by its reviver: attach to existing words. */
export class Attach<D extends Handle = Handle> {
  constructor(readonly data: D) {}
}

export abstract class Primitive {
  /** The name a primitive's handle is sent under; registerPrimitive() uses the same one. */
  static readonly kind: string = '';
  /** The arena as 32-bit words; `base` is this primitive's first word. */
  protected readonly i32: Int32Array;
  protected readonly base: number;
  protected readonly core: Core;
  readonly #offset: number;

  /** words: how many 32-bit words to allocate, or the handle of existing ones. */
  constructor(words: number | Attach) {
    this.core = core();
    if (typeof words === 'number') {
      this.#offset = this.core.alloc(words * 4, 8);
    } else {
      if (words.data.family !== this.core.family) {
        throw new TypeError(`received a ${new.target.name} from another process family; primitives travel only between a process and its descendants`);
      }
      this.#offset = words.data.offset;
    }
    this.i32 = this.core.i32;
    this.base = this.#offset >> 2;
    live.set(this.#offset, new WeakRef(this));
    sweep.register(this, this.#offset);
  }

  /** Byte offset of this primitive's memory in the arena. */
  protected get offset(): number {
    return this.#offset;
  }

  protected handle(): Handle {
    return { family: this.core.family, offset: this.#offset };
  }

  /** The kind name this primitive is sent under, and its handle data. */
  [SEND](): { kind: string; data: unknown } {
    return { kind: (this.constructor as typeof Primitive).kind, data: this.sendData() };
  }
  protected sendData(): unknown {
    return this.handle();
  }

  protected wake(word: number, count = 0x7fffffff): void {
    this.core.wake(this.base + word, count);
  }
}

/** Registers how a received handle becomes an object again (the same object, if it is alive here). */
export function registerPrimitive(cls: { kind: string } & (new (a: Attach<never>) => Primitive)): void {
  registerKind(cls.kind, (data) => live.get((data as Handle).offset)?.deref() ?? new cls(new Attach(data as never)));
}

