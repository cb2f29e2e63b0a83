// Property tests (fast-check): whatever the sizes of the messages and however their sends are
// awaited, a Pipe and the queues deliver everything, once, in call order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as mp from 'multiprocessing-ts';

// A message: a string, a Buffer, a Uint8Array or an object, of 0 bytes to ~3x the small ring.
const message = fc.oneof(
  fc.string({ maxLength: 3000 }),
  fc.integer({ min: 0, max: 12_000 }).map((n) => Buffer.alloc(n, n & 0xff)),
  fc.integer({ min: 0, max: 12_000 }).map((n) => new Uint8Array(n).fill(n & 0x7f)),
  fc.record({ n: fc.integer(), pad: fc.string({ maxLength: 2000 }), big: fc.bigInt() }, { noNullPrototype: true }),
);
// For each message: send it without await, or await this send, or await everything so far.
const pattern = fc.array(fc.tuple(message, fc.constantFrom('none', 'this', 'all')), { minLength: 1, maxLength: 120 });

async function sendAll(send, plan) {
  const pending = [];
  for (const [m, wait] of plan) {
    const p = send(m);
    pending.push(p);
    if (wait === 'this') await p;
    else if (wait === 'all') await Promise.all(pending);
  }
  await Promise.all(pending);
}

describe('ordering and no loss, random sizes and await patterns', () => {
  it('Pipe: send/recv keep every message, in order, with its exact type', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(pattern, async (plan) => {
        const [r, w] = mp.Pipe(false, { capacity: 4096 });
        const reading = (async () => {
          const got = [];
          for (let i = 0; i < plan.length; i++) got.push(await r.recv());
          return got;
        })();
        await sendAll((m) => w.send(m), plan);
        const got = await reading;
        assert.deepEqual(got, plan.map(([m]) => m));
        got.forEach((v, i) => assert.equal(Object.getPrototypeOf(v), Object.getPrototypeOf(plan[i][0])));
        r.close();
        w.close();
      }),
      { numRuns: 40 },
    );
  });

  it('SimpleQueue and Queue: put/get keep every item, in order', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(pattern, fc.constantFrom('SimpleQueue', 'Queue'), async (plan, kind) => {
        const q = mp[kind]();
        const reading = (async () => {
          const got = [];
          for (let i = 0; i < plan.length; i++) got.push(await q.get({ timeout: 10_000 }));
          return got;
        })();
        await sendAll((m) => q.put(m), plan);
        assert.deepEqual(await reading, plan.map(([m]) => m));
      }),
      { numRuns: 30 },
    );
  });

  it('an aborted get never takes an item: racing gets against aborts loses nothing', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), async (delays) => {
        const q = mp.Queue();
        const got = [];
        let put = 0;
        for (const d of delays) {
          const ac = new AbortController();
          const get = q.get({ signal: ac.signal }).then((v) => got.push(v), (e) => assert.equal(e.name, 'AbortError'));
          if (d === 0) ac.abort();
          else if (d === 1) q.putSync(put++);
          else if (d === 2) setTimeout(() => ac.abort(), 1);
          else setTimeout(() => q.putSync(put++), 1);
          await new Promise((r) => setTimeout(r, 3));
          ac.abort();
          await get;
        }
        while (got.length < put) got.push(await q.get({ timeout: 5000 }));
        assert.deepEqual(got, Array.from({ length: put }, (_, i) => i));
        assert.equal(q.empty(), true);
      }),
      { numRuns: 30 },
    );
  });
});
