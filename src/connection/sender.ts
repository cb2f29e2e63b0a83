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
  message: Outgoing;
  resolve(): void;
  reject(e: unknown): void;
}

const RESOLVED = Promise.resolve();
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
      if (this.#pending.length === 0 && ring.tryWrite(bytes ?? value)) return RESOLVED;
      // Encoded now: changing an object after send() changes nothing (a byte array is sent as
      // it is when it is written, as Node's streams do with a Buffer).
      const message = bytes ? rawBytes(bytes) : outgoing(value, 'obj');
      if (this.#pending.length === 0 && !ring.streams(message.length) && runSync(core(), ring.writeSteps(message, 0))) return RESOLVED;
      return new Promise<void>((resolve, reject) => {
        this.#pending.push({ message, resolve, reject });
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

  private async pump(): Promise<void> {
    this.#pumping = true;
    const pending = this.#pending, ring = this.#ring;
    try {
      while (pending.length) {
        const p = pending.peek();
        try {
          await runAsync(core(), ring.writeSteps(p.message, -1));
        } catch (e) {
          pending.shift();
          p.reject(e);
          // No reader will ever come back: everything behind it fails the same way.
          if (e instanceof BrokenPipeError) while (pending.length) pending.shift().reject(e);
          continue;
        }
        pending.shift();
        p.resolve();
      }
    } finally {
      this.#pumping = false;
      for (const f of this.#whenDrained.splice(0)) f();
    }
  }
}
