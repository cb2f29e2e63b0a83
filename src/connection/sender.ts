// Sends that keep their call order. A send that cannot go into the ring now (the reader is
// behind) waits; sends made meanwhile, awaited or not, queue up behind it in this thread, so
// that however many are pending and whatever their sizes they are written in call order and
// none overtakes another (racing each other for the ring's write lock, they used to land
// newest first). The waits keep the process alive until every pending send is written, as a
// Queue's feeder does, and once no reader is left every pending send rejects with
// BrokenPipeError. One Sender per ring and thread, shared by Connection.send and
// SimpleQueue.put.
import { core } from '../core/core.js';
import { BrokenPipeError, ValueError } from '../errors.js';
import { Fifo } from '../queues/fifo.js';
import { runAsync, runSync } from '../core/steps.js';
import { type Ring } from './ring.js';
import { outgoing, rawBytes, type Outgoing } from './message.js';
import { promised } from '../util/promised.js';

interface Pending {
  /** A string or byte array, written as it is by the ring's fast path; else null. */
  raw: string | Uint8Array | null;
  /** The message as the ring's careful path writes it (made when needed for a raw one). */
  message: Outgoing | null;
  resolve(): void;
  reject(e: unknown): void;
}

/** The pending send as a message (a raw one's is made the first time it is needed). */
function messageOf(p: Pending): Outgoing {
  return (p.message ??= typeof p.raw === 'string' ? outgoing(p.raw, 'obj') : rawBytes(p.raw!));
}

const RESOLVED = Promise.resolve();
const noop = (): void => {};
const senders = new WeakMap<Ring, Sender>();

/** This thread's Sender for a ring. */
export function senderOf(ring: Ring): Sender {
  let s = senders.get(ring);
  if (!s) senders.set(ring, (s = new Sender(ring)));
  return s;
}

export class Sender {
  readonly #ring: Ring;
  readonly #pending = new Fifo<Pending>();
  #pumping = false;
  #whenDrained: (() => void)[] = [];

  constructor(ring: Ring) {
    this.#ring = ring;
  }

  /** Sends still waiting for room. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Sends a value (`bytes` given: those bytes, raw) after every earlier send of this thread. */
  send(value: unknown, bytes: Uint8Array | null): Promise<void> {
    const ring = this.#ring;
    return promised(() => {
      const raw = bytes ?? (typeof value === 'string' || value instanceof Uint8Array ? value : null);
      if (this.#pending.length === 0 && ring.tryWrite(raw ?? value)) return RESOLVED;
      // Encoded now: changing an object after send() changes nothing (a byte array is sent as
      // it is when it is written, as Node's streams do with a Buffer).
      const pending: Pending = { raw, message: raw === null ? outgoing(value, 'obj') : null, resolve: noop, reject: noop };
      if (this.#pending.length === 0) {
        const message = messageOf(pending);
        if (!ring.streams(message.length) && runSync(core(), ring.writeSteps(message, 0))) return RESOLVED;
      }
      return new Promise<void>((resolve, reject) => {
        pending.resolve = resolve;
        pending.reject = reject;
        this.#pending.push(pending);
        if (!this.#pumping) void this.pump();
      });
    });
  }

  /** The blocking form; refuses to overtake sends still pending in this thread. */
  sendSync(value: unknown, bytes: Uint8Array | null, what: string): void {
    if (this.#pending.length) throw new ValueError(`${what}: ${this.#pending.length} earlier sends of this thread are still waiting for room; await them before a blocking send, or it would overtake them`);
    const ring = this.#ring;
    if (!ring.tryWrite(bytes ?? value)) runSync(core(), ring.writeSteps(bytes ? rawBytes(bytes) : outgoing(value, 'obj'), -1));
  }

  /** Calls `f` once nothing is pending (at once if nothing is). */
  whenDrained(f: () => void): void {
    if (this.#pending.length === 0) f();
    else this.#whenDrained.push(f);
  }

  /** Writes pending sends while they go in at once; true if it wrote every one. */
  private writeWhatFits(): boolean {
    const pending = this.#pending, ring = this.#ring, c = core();
    while (pending.length) {
      const p = pending.peek();
      if (p.raw !== null && ring.tryWrite(p.raw)) {
        pending.shift().resolve();
        continue;
      }
      const message = messageOf(p);
      if (ring.streams(message.length)) return false;
      try {
        if (!runSync(c, ring.writeSteps(message, 0))) return false;
      } catch (e) {
        this.fail(e);
        continue;
      }
      pending.shift().resolve();
    }
    return true;
  }

  /** The first pending send failed; after a BrokenPipeError no reader comes back: all fail. */
  private fail(e: unknown): void {
    const pending = this.#pending;
    pending.shift().reject(e);
    if (e instanceof BrokenPipeError) while (pending.length) pending.shift().reject(e);
  }

  private async pump(): Promise<void> {
    this.#pumping = true;
    const pending = this.#pending, ring = this.#ring;
    try {
      while (pending.length) {
        // First everything that goes in now, in one synchronous pass (no turn of the event
        // loop per message); then one wait, for room (or the write lock) for the next.
        if (this.writeWhatFits()) continue;
        const p = pending.peek();
        try {
          await runAsync(core(), ring.writeSteps(messageOf(p), -1));
        } catch (e) {
          this.fail(e);
          continue;
        }
        pending.shift().resolve();
      }
    } finally {
      this.#pumping = false;
      for (const f of this.#whenDrained.splice(0)) f();
    }
  }
}
