import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/targets.mjs';
import { methods, runNode, jsonLines } from './helpers.mjs';

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

for (const method of methods) {
  describe(`Process under '${method}'`, () => {
    const ctx = mp.getContext(method);
    const started = [];
    const make = (opts) => {
      const p = new ctx.Process(opts);
      started.push(p);
      return p;
    };
    after(() => {
      for (const p of started) {
        try {
          p.kill();
        } catch {
          /* closed */
        }
      }
    });

    it('exit code 0 when the target returns, and the lifecycle around it', async () => {
      const p = make({ target: t.noop });
      assert.equal(p.exitcode, null);
      assert.equal(p.isAlive(), false);
      assert.equal(p.pid, null);
      p.start();
      assert.equal(typeof p.pid, 'number');
      assert.throws(() => p.start(), mp.ValueError);
      await p.join();
      assert.equal(p.exitcode, 0);
      assert.equal(p.isAlive(), false);
      assert.match(String(p), /stopped/);
    });

    it('exit code 1 when the target throws (sync and async)', async () => {
      const a = make({ target: t.throws });
      const b = make({ target: t.asyncRejects });
      a.start();
      b.start();
      await a.join();
      await b.join();
      assert.equal(a.exitcode, 1);
      assert.equal(b.exitcode, 1);
    });

    it('exit code given to process.exit(n)', async () => {
      const p = make({ target: t.exitWith, args: [7] });
      p.start();
      p.joinSync();
      assert.equal(p.exitcode, 7);
    });

    it('-15 after terminate(), -9 after kill(); join with a timeout returns while it runs', async () => {
      const a = make({ target: t.forever });
      const b = make({ target: t.forever });
      a.start();
      b.start();
      const t0 = Date.now();
      await a.join(150);
      assert.ok(Date.now() - t0 >= 140, 'join(150) waited');
      assert.equal(a.exitcode, null);
      assert.equal(a.isAlive(), true);
      b.joinSync(100);
      assert.equal(b.isAlive(), true);
      a.terminate();
      b.kill();
      await a.join(10_000);
      b.joinSync(10_000);
      assert.equal(a.exitcode, -15);
      assert.equal(b.exitcode, -9);
      assert.match(String(a), /SIGTERM/);
    });

    it('joinSync of a child that libuv reaped in the same batch as another still gives its code', async () => {
      // Both children die while the event loop is blocked, so libuv reaps them in one batch and
      // runs JS (this continuation) between the two exit callbacks.
      const a = make({ target: t.forever });
      const b = make({ target: t.forever });
      a.start();
      b.start();
      await new Promise((r) => setTimeout(r, 300));
      a.kill();
      b.terminate();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await Promise.race([a.join(), b.join()]);
      for (const p of [a, b]) p.joinSync(10_000);
      assert.equal(a.exitcode, -9);
      assert.equal(b.exitcode, -15);
    });

    it('close() refuses a running process, then makes the object unusable', async () => {
      const p = make({ target: t.asyncWork, args: [200] });
      p.start();
      assert.throws(() => p.close(), /still running/);
      await p.join();
      p.close();
      assert.throws(() => p.isAlive(), mp.ValueError);
      assert.throws(() => p.exitcode, mp.ValueError);
    });

    it('names Process-N, pid seen from inside, parentProcess, isMainProcess', async () => {
      const r = await runNode([fixture('identity.mjs'), method]);
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonLines(r.stdout);
      const parent = lines.find((l) => !l.label);
      const kids = lines.filter((l) => l.label);
      assert.equal(parent.main, true);
      assert.equal(parent.name, 'MainProcess');
      assert.equal(parent.parent, null);
      const child = kids.find((k) => k.label === 'child');
      assert.equal(child.name, 'Process-1');
      assert.equal(child.pid, parent.childPid);
      assert.equal(child.main, false);
      assert.deepEqual(child.parent, { name: 'MainProcess', pid: parent.pid });
      assert.equal(kids.find((k) => k.label === 'named').name, 'custom');
    });

    it('nested children: a child starts its own children under either method', async () => {
      for (const inner of methods) {
        const r = await runNode([fixture('nested.mjs'), method, inner]);
        assert.equal(r.code, 0, r.stderr);
        const lines = jsonLines(r.stdout);
        const child = lines.find((l) => l.label === 'child');
        const grandchild = lines.find((l) => l.label === 'grandchild');
        assert.equal(child.name, 'Process-1');
        assert.equal(grandchild.name, 'Process-1:1');
        assert.equal(grandchild.parent.pid, child.pid);
      }
    });

    it('sentinel and mp.wait', async () => {
      const fast = make({ target: t.asyncWork, args: [20] });
      const slow = make({ target: t.asyncWork, args: [3000] });
      fast.start();
      slow.start();
      const ready = await mp.wait([fast.sentinel, slow.sentinel], 2000);
      assert.equal(ready.length, 1);
      assert.equal(await mp.wait([slow.sentinel], 50).then((r) => r.length), 0);
      slow.terminate();
      await slow.join();
    });

    it('activeChildren lists running children only', async () => {
      const p = make({ target: t.forever });
      p.start();
      assert.ok(mp.activeChildren().includes(p));
      p.kill();
      await p.join();
      assert.ok(!mp.activeChildren().includes(p));
    });

    it('a Process subclass runs its run() with its own fields in the child', async () => {
      const r = await runNode([fixture('subclass.mjs'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(jsonLines(r.stdout)[0], { greeting: 'hello', name: 'Worker-1' });
    });

    it("the child's stdout and stderr reach the parent's, with the stack of an uncaught error", async () => {
      const r = await runNode([fixture('output.mjs'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /out from child/);
      assert.match(r.stderr, /err from child/);
      assert.match(r.stderr, /Process Process-2:\nRangeError: boom from child\n\s+at throws/);
    });

    it('daemon children end with the parent; non-daemon children are joined', async () => {
      const r = await runNode([fixture('daemon.mjs'), method], { timeout: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /non-daemon finished/);
      assert.doesNotMatch(r.stdout, /daemon finished late/);
    });

    it("V8 flags given to the parent (which a worker refuses) do not stop children", async () => {
      const r = await runNode(['--stack-trace-limit=50', '--max-lazy', fixture('output.mjs'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /out from child/);
    });

    it('back-to-back starts (spares still booting) each run their target once, with the right code', async () => {
      const counter = ctx.Value('i', 0);
      const codes = [];
      for (let i = 0; i < 6; i++) {
        const p = make({ target: i % 2 ? t.exitWith : t.increment, args: i % 2 ? [i] : [counter] });
        p.start();
        await p.join();
        codes.push(p.exitcode);
        assert.equal(p.isAlive(), false);
      }
      assert.deepEqual(codes, [0, 1, 0, 3, 0, 5]);
      assert.equal(counter.value, 3);
    });

    it("join() settles after the target's own 'exit' listeners have run", async () => {
      const v = ctx.Value('i', 0, { lock: false });
      const p = make({ target: t.slowExitListener, args: [v] });
      p.start();
      await p.join();
      assert.equal(p.exitcode, 0);
      assert.equal(v.value, 1);
    });

    it('a .ts target runs when the parent runs under tsx', async () => {
      const r = await runNode(['--import', 'tsx', fixture('ts-target.ts'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(jsonLines(r.stdout), [{ typed: 42 }, { exitcode: 0 }]);
    });
  });
}
