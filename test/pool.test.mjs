// Pool and ProcessPoolExecutor under both start methods.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { spawn } from 'node:child_process';
import { describe, it, after } from 'node:test';
import * as mp from 'multiprocessing-ts';
import * as t from './fixtures/pool-targets.mjs';
import { methods, runNode } from './helpers.mjs';

for (const method of methods) {
  describe(`Pool under '${method}'`, () => {
    const pools = [];
    const make = (opts = {}) => {
      const p = new mp.Pool({ processes: 2, context: method, ...opts });
      pools.push(p);
      return p;
    };
    after(async () => {
      for (const p of pools) {
        p.terminate();
        await p.join();
      }
    });

    it('onProgress: map, starmap and imap report { done, total, failed }, throttled, with the final figures', async () => {
      const pool = make();
      const seen = [];
      const out = await pool.map(t.slowSquare, Array.from({ length: 60 }, (_, i) => i), { chunksize: 2, onProgress: (p) => seen.push(p) });
      assert.equal(out[59], 59 * 59);
      assert.deepEqual(seen.at(-1), { done: 60, total: 60, failed: 0 });
      assert.ok(seen.length < 30, `throttled: ${seen.length} reports for 30 chunks`);
      assert.ok(seen.every((p, i) => i === 0 || p.done >= seen[i - 1].done), 'never goes back');
      const failed = [];
      await assert.rejects(pool.starmap(t.failOn, [[1, 3], [2, 3], [3, 3], [4, 3]], { chunksize: 1, onProgress: (p) => failed.push(p) }));
      assert.equal(failed.at(-1).total, 4);
      assert.ok(failed.at(-1).failed >= 1 && failed.at(-1).done + failed.at(-1).failed === 4);
      const lazy = [];
      const got = [];
      for await (const v of pool.imap(t.square, [1, 2, 3, 4, 5], { onProgress: (p) => lazy.push(p) })) got.push(v);
      assert.deepEqual(got, [1, 4, 9, 16, 25]);
      await new Promise((r) => setTimeout(r, 150)); // the last figures come within 100 ms
      assert.deepEqual(lazy.at(-1), { done: 5, failed: 0 });
      await assert.rejects(async () => pool.map(t.square, [1], { onProgres: () => {} }), /did you mean 'onProgress'/);
    });

    it('apply, applyAsync (callbacks), map, mapAsync, starmap, starmapAsync', async () => {
      const pool = make();
      assert.equal(await pool.apply(t.square, [7]), 49);
      let cb;
      const r = pool.applyAsync(t.add, [2, 3], { callback: (v) => (cb = v) });
      assert.equal(await r.get(10_000), 5);
      assert.equal(cb, 5);
      let failed;
      await pool.applyAsync(t.failOn, [1, 1], { errorCallback: (e) => (failed = e) }).wait();
      assert.equal(failed.name, 'TaskError');
      const xs = Array.from({ length: 1000 }, (_, i) => i);
      assert.deepEqual(await pool.map(t.square, xs), xs.map((x) => x * x));
      assert.deepEqual(await pool.map(t.square, xs, { chunksize: 7 }), xs.map((x) => x * x));
      assert.deepEqual(await pool.mapAsync(t.square, [1, 2, 3]).get(), [1, 4, 9]);
      assert.deepEqual(await pool.starmap(t.add, [[1, 2], [3, 4]]), [3, 7]);
      assert.deepEqual(await pool.starmapAsync(t.add, [[5, 5]]), [10]);
      assert.deepEqual(await pool.map(t.square, []), []);
      assert.deepEqual(await pool.map(t.slowSquare, [1, 2, 3]), [1, 4, 9], 'async task functions');
      assert.ok(pool instanceof mp.Pool);
      assert.ok(mp.getContext(method).Pool(1) instanceof mp.Pool);
    });

    it('large numeric chunks (pipe full, wrapping, streamed) arrive whole; arguments are taken at submit', async () => {
      const pool = make();
      const xs = Array.from({ length: 300_000 }, (_, i) => i * 0.5);
      for (const chunksize of [12_500, 40_000, undefined]) {
        const ys = await pool.map(t.square, xs, { chunksize });
        assert.equal(ys.length, xs.length);
        assert.ok(ys.every((y, i) => y === xs[i] * xs[i]), `chunksize ${chunksize}`);
      }
      // Far more than the pipe holds is submitted at once: most sends wait for room, and the
      // caller changes each array right after submitting it.
      const arrays = Array.from({ length: 40 }, (_, k) => new Float64Array(16_384).fill(k));
      const pending = arrays.map((a) => {
        const r = pool.apply(t.total, [a]);
        a.fill(-1);
        return r;
      });
      assert.deepEqual(await Promise.all(pending), arrays.map((_, k) => k * 16_384));
    });

    it('workers replaced again and again (maxtasksperchild 1) reuse their pipes: a 16 MiB arena holds 60 of them', async () => {
      // 60 workers with pipes of their own would need 30 MiB of arena.
      const r = await runNode([new URL('./fixtures/pool-recycle.mjs', import.meta.url).pathname, method, '60'], { env: { MPTS_ARENA_MB: '16' }, timeout: 100_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()), { ok: true, n: 60 });
    });

    it('AsyncResult: get with a timeout, wait, ready, successful (throws before ready), thenable', async () => {
      const pool = make();
      const r = pool.applyAsync(t.sleepMs, [300]);
      assert.equal(r.ready(), false);
      assert.throws(() => r.successful(), mp.ValueError);
      await assert.rejects(r.get(50), mp.TimeoutError);
      await r.wait(50);
      assert.equal(r.ready(), false);
      await r.wait();
      assert.equal(r.ready(), true);
      assert.equal(r.successful(), true);
      assert.equal(await pool.applyAsync(t.square, [3]), 9, 'thenable');
    });

    it("errors keep their class, message, own fields and the child's stack; map fails with the first", async () => {
      const pool = make();
      const e = await pool.apply(t.failOn, [5, 5]).catch((x) => x);
      assert.ok(e instanceof t.TaskError, String(e));
      assert.equal(e.message, 'bad input 5');
      assert.equal(e.code, 42);
      assert.match(e.stack, /failOn/);
      await assert.rejects(pool.starmap(t.failOn, Array.from({ length: 50 }, (_, i) => [i, 13]), { chunksize: 1 }), (x) => x instanceof t.TaskError && x.message === 'bad input 13');
      assert.equal(await pool.apply(t.square, [2]), 4, 'the pool goes on');
    });

    it('initializer with a Lock and a Queue in initargs; maxtasksperchild replaces workers', async () => {
      const lock = mp.Lock();
      const q = mp.Queue();
      const pool = make({ initializer: t.reportStart, initargs: [lock, q], maxtasksperchild: 1 });
      const pids = await pool.map(t.whoAmI, Array.from({ length: 6 }, (_, i) => i), { chunksize: 1 });
      assert.equal(new Set(pids).size, 6, `each task in a new worker: ${pids}`);
      // Replacements started after the last task report too, in any order: read until every
      // worker that ran a task has been seen.
      const started = new Set();
      while (!pids.every((pid) => started.has(pid))) started.add(await q.get({ timeout: 10_000 }));
      for (const pid of pids) assert.ok(started.has(pid), 'the initializer ran in every worker');
    });

    it('a closed pool refuses new work; join needs close or terminate; terminate rejects what is unfinished', async () => {
      const pool = make();
      await assert.rejects(pool.join(), /close\(\) or terminate\(\)/);
      const running = pool.apply(t.sleepMs, [5000]);
      pool.close();
      assert.throws(() => pool.applyAsync(t.square, [1]), (e) => e instanceof mp.ValueError && /closed/.test(e.message));
      await assert.rejects(pool.map(t.square, [1]), /closed/);
      pool.terminate();
      await assert.rejects(running, (e) => e instanceof mp.ProcessError && /terminated/.test(e.message));
      await pool.join();
    });

    it('imap pulls an endless input lazily; imapUnordered gives every result; next(timeout)', async () => {
      const pool = make();
      let pulled = 0;
      function* counted() {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      const got = [];
      for await (const v of pool.imap(t.square, counted())) {
        got.push(v);
        if (got.length === 50) break;
      }
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i * i));
      assert.ok(pulled < 50 + 2 * 16 * 2 + 10, `pulled ${pulled} items for 50 results`);
      const un = [];
      for await (const v of pool.imapUnordered(t.slowSquare, [3, 1, 2])) un.push(v);
      assert.deepEqual(un.sort((a, b) => a - b), [1, 4, 9]);
      const it = pool.imap(t.sleepMs, [300]);
      await assert.rejects(it.next(20), mp.TimeoutError);
    });

    for (const kind of ['imap', 'imapUnordered']) {
      it(`${kind}: a next() that times out or is aborted takes nothing; every result still comes, once`, async () => {
        const pool = make({ processes: 1 });
        const it = pool[kind](t.slowSquare, [1, 2, 3]);
        await assert.rejects(it.next(1), mp.TimeoutError);
        const ac = new AbortController();
        const aborted = it.next({ signal: ac.signal });
        ac.abort(new Error('stop waiting'));
        await assert.rejects(aborted, /stop waiting/);
        await assert.rejects(it.next({ timeout: 1 }), mp.TimeoutError);
        const got = [];
        for (;;) {
          // Short waits, many of them timing out while a task runs: none may lose its result.
          let r;
          try {
            r = await it.next(5);
          } catch (e) {
            if (e instanceof mp.TimeoutError) continue;
            throw e;
          }
          if (r.done) break;
          got.push(r.value);
        }
        assert.deepEqual(kind === 'imap' ? got : got.sort((a, b) => a - b), [1, 4, 9]);
        assert.deepEqual(await it.next(), { value: undefined, done: true });
        await assert.rejects(it.next({ timout: 5 }), /unknown option 'timout' \(did you mean 'timeout'\?\)/);
      });
    }

    it('1,000,000 tasks stream through imap with bounded memory', async () => {
      // Memory after the first 300,000 (pool warm) and at 1,000,000, each after a full GC here:
      // a leak would grow with the count. Under 'process' that is this process's RSS. Under
      // 'thread' the RSS also holds the workers' V8 heaps, which grow to their working size at
      // their own pace (not a leak, and not ours to collect), so the measure is this isolate's
      // heap and external memory, where the pool and imap keep their state.
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const used = () => {
        const m = process.memoryUsage();
        return method === 'process' ? m.rss : m.heapUsed + m.external;
      };
      const pool = make();
      let n = 0, sum = 0, warm = 0;
      for await (const v of pool.imap(t.square, t.naturals(), { chunksize: 2000 })) {
        sum += v % 7;
        if (++n === 300_000) {
          gc();
          gc();
          warm = used();
        }
        if (n === 1_000_000) break;
      }
      gc();
      gc();
      const grown = (used() - warm) / 2 ** 20;
      assert.ok(sum > 0);
      assert.ok(grown < 50, `memory grew ${grown.toFixed(1)} MB from 300,000 to 1,000,000 tasks`);
    });

    for (const how of method === 'process' ? ['exit', 'kill', 'throw-outside'] : ['exit', 'throw-outside']) {
      it(`a worker that dies in a task (${how}) fails exactly that task with WorkerLostError; nothing else is lost or run twice`, async () => {
        const pool = make();
        const runs = mp.RawArray('i', 20);
        const t0 = Date.now();
        let lostAfter = -1;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => pool.apply(t.countedTask, [i, runs, 7, how]).catch((e) => {
            lostAfter = Date.now() - t0;
            throw e;
          })),
        );
        assert.ok(lostAfter >= 0 && lostAfter < 1000, `the lost task failed ${lostAfter} ms after it was submitted`);
        for (let i = 0; i < 20; i++) {
          if (i === 7) {
            assert.equal(results[i].status, 'rejected');
            assert.ok(results[i].reason instanceof mp.WorkerLostError, String(results[i].reason));
            if (how === 'exit') assert.equal(results[i].reason.exitCode, 3);
            if (how === 'kill') assert.equal(results[i].reason.signal, 'SIGKILL');
          } else assert.equal(results[i].value, i);
        }
        assert.deepEqual(runs.slice(), Array.from({ length: 20 }, () => 1), 'every task ran exactly once');
        assert.equal(await pool.apply(t.square, [3]), 9);
        assert.equal(pool.stats().workers, 2, 'replaced');
      });
    }

    it('a worker that runs out of memory fails its task with WorkerLostError; the pool goes on', async () => {
      // A small heap for the whole family (a thread child takes it as its resourceLimits).
      const r = await runNode(['--max-old-space-size=64', new URL('./fixtures/pool-oom.mjs', import.meta.url).pathname, method]);
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      const { lost, after } = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.match(lost, /^WorkerLostError: the worker PoolWorker-\d+ \(pid \d+\) (exited with code 1|was killed by SIGABRT)/);
      assert.equal(after, 36);
    });

    it('workers that die while starting stop the pool with an error instead of respawning for ever', async () => {
      const pool = make({ initializer: t.failingInit });
      await assert.rejects(pool.apply(t.square, [1]), (e) => e instanceof mp.ProcessError && /while starting/.test(e.message));
      assert.throws(() => pool.applyAsync(t.square, [1]), /broken/);
    });

    it('signal: a queued call is dropped, a running one ends its worker (replaced); per-call timeout', async () => {
      const pool = make({ processes: 1 });
      const running = new AbortController();
      const started = mp.Event();
      const first = pool.apply(t.startedThenSleep, [started, 10_000], { signal: running.signal });
      const ac = new AbortController();
      const queued = pool.apply(t.square, [2], { signal: ac.signal });
      ac.abort(new Error('stop it'));
      await assert.rejects(queued, /stop it/);
      assert.equal(await started.wait(30_000), true);
      const pidsBefore = pool.pids;
      running.abort(new Error('stop the running one'));
      await assert.rejects(first, /stop the running one/);
      await assert.rejects(pool.apply(t.sleepMs, [10_000], { timeout: 100 }), mp.TimeoutError);
      assert.equal(await pool.apply(t.square, [5]), 25);
      assert.notDeepEqual(pool.pids, pidsBefore, 'the worker that ran it was replaced');
    });

    for (const how of ['natural', 'exit']) {
      it(`a program that forgets close() ends silently with its workers (${how === 'exit' ? 'process.exit(0)' : 'event loop empties'})`, async () => {
        const fixture = new URL('./fixtures/pool-forget-close.mjs', import.meta.url).pathname;
        // Several runs: the race between the program's end and its workers' is timing-dependent.
        for (let i = 0; i < 3; i++) {
          const r = await runUntilClosed([fixture, method, how], 30_000);
          assert.equal(r.stdout.trim(), '[1,4,9]');
          assert.equal(r.stderr, '');
          assert.equal(r.code, 0);
        }
      });
    }

    it('a 200 MiB Buffer returned by a task costs the parent at most ~2x its size (1x under process)', async () => {
      const fixture = new URL('./fixtures/pool-big-result.mjs', import.meta.url).pathname;
      const peak = async (mib) => {
        const r = await runNode([fixture, method, String(mib)], { timeout: 60_000 });
        const out = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
        assert.equal(out.ok, true, r.stdout + r.stderr);
        return out.maxRSS;
      };
      const size = 200 * 1024 * 1024;
      const extra = (await peak(200)) - (await peak(0));
      // Under thread the worker's own copy of the value lives in this process too.
      const limit = method === 'thread' ? 2.5 : 1.5;
      assert.ok(extra < limit * size, `peak RSS grew by ${(extra / size).toFixed(2)}x the value's size (limit ${limit}x)`);
    });

    it('stats() and progress events', async () => {
      const pool = make();
      const seen = [];
      pool.on('progress', (s) => seen.push(s.completed));
      await pool.map(t.square, [1, 2, 3, 4], { chunksize: 1 });
      assert.deepEqual(seen.slice(-1), [4]);
      const s = pool.stats();
      assert.deepEqual(Object.keys(s).sort(), ['busy', 'completed', 'failed', 'queued', 'workers']);
      assert.equal(s.workers, 2);
    });
  });
}

describe('ProcessPoolExecutor', () => {
  it('submit, map, shutdown with cancelFutures, asyncDispose', async () => {
    const ex = new mp.ProcessPoolExecutor({ maxWorkers: 1, context: 'thread' });
    assert.equal(await ex.submit(t.add, 2, 3), 5);
    const out = [];
    for await (const v of ex.map(t.add, [1, 2, 3], [10, 20, 30])) out.push(v);
    assert.deepEqual(out, [11, 22, 33]);
    const running = ex.submit(t.sleepMs, 200);
    const waiting = ex.submit(t.square, 4);
    await new Promise((r) => setTimeout(r, 50));
    await ex.shutdown({ cancelFutures: true });
    await running;
    await assert.rejects(waiting, mp.CancelledError);
    await assert.rejects(ex.submit(t.square, 1), /after shutdown/);
    const ex2 = mp.ProcessPoolExecutor({ maxWorkers: 2, context: 'process' });
    assert.equal(await ex2.submit(t.square, 9), 81);
    await ex2[Symbol.asyncDispose]();
  });
});

/** Runs a script and waits until its stdout and stderr close: what its children (which inherit
 *  them) print after it has exited is collected too. */
function runUntilClosed(args, timeout) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', code = null;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')}: its output did not close within ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.on('exit', (c) => (code = c));
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
