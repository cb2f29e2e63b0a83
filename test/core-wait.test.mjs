// The core's wait/wake, used directly (the primitives of the other layers stand on it).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { core } from '../dist/esm/core/core.js';
import { wakeWord } from './fixtures/targets.mjs';
import { methods } from './helpers.mjs';

for (const method of methods) {
  describe(`core wait/wake across a '${method}' child`, () => {
    it('1,000 async waits in this process are all woken by the child; the event loop and fs stay free', async () => {
      const c = core();
      const index = c.alloc(4) >> 2;
      const waits = Array.from({ length: 1000 }, () => c.waitAsync(index, 0, 20_000));
      const p = new (mp.getContext(method).Process)({ target: wakeWord, args: [index, 1, 300] });
      p.start();
      // While they wait: timers fire and the libuv threadpool still serves fs.
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      await readFile(new URL(import.meta.url));
      // (Blocked, they would wait for the 20 s waits: the margin is for a loaded machine.)
      assert.ok(Date.now() - t0 < 2000, 'fs and timers were not blocked by pending waits');
      const results = await Promise.all(waits);
      assert.ok(results.every((r) => r === 0 || r === 1), `all woken: ${[...new Set(results)]}`);
      assert.equal(Atomics.load(c.i32, index), 1);
      await p.join();
    });

    it('sync wait is woken by the child, and times out when nobody wakes', async () => {
      const c = core();
      const index = c.alloc(4) >> 2;
      const t0 = performance.now();
      assert.equal(c.wait(index, 0, 50), 2);
      assert.ok(performance.now() - t0 >= 45);
      assert.equal(await c.waitAsync(index, 0, 50), 2);
      const p = new (mp.getContext(method).Process)({ target: wakeWord, args: [index, 7, 100] });
      p.start();
      let r;
      do r = c.wait(index, 0, 10_000);
      while (r === 0 && Atomics.load(c.i32, index) === 0);
      assert.equal(Atomics.load(c.i32, index), 7);
      await p.join();
    });
  });
}
