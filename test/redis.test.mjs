// The Redis backend (issue 11) against a real redis-server started here on a Unix socket:
// every Pool call gives the local answer; errors keep their class; a worker SIGKILLed in the
// middle of a map costs no result and duplicates none; terminate() removes the pool's waiting
// jobs; two pools on one queue keep to their own results; the worker command starts, logs and
// stops cleanly.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as mp from 'multiprocessing-ts';
import { redis, runWorker } from 'multiprocessing-ts/redis';
import { Queue } from 'bullmq';
import { runNode } from './helpers.mjs';
import { startRedis } from './redis-server.mjs';
import { add, failOn, naturals, rich, sleepMs, slowSquare, square, TaskError } from './fixtures/redis-targets.mjs';

const mainJs = fileURLToPath(new URL('../dist/esm/cli/main.js', import.meta.url));
let server;
const started = [];
before(async () => {
  server = await startRedis();
});
after(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server?.stop();
});

/** The worker command as a separate program; `lines` collects what it logs. */
function workerCommand(queue, processes) {
  const child = spawn(process.execPath, [mainJs, 'worker', '--redis', server.url, '--queue', queue, '--processes', String(processes)], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child);
  child.lines = [];
  let buf = '';
  child.stderr.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop();
    child.lines.push(...parts);
  });
  child.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return child;
}
async function until(what, cond, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
// Node 20 has no `await using`: the pools a test opens are disposed of after it, the same way.
const pools = [];
const track = (pool) => (pools.push(pool), pool);
async function disposePools() {
  for (const p of pools.splice(0)) await p[Symbol.asyncDispose]();
}
const childPids = (w) => w.lines.map((l) => /started PoolWorker-\d+ \(pid (\d+)\)/.exec(l)).filter(Boolean).map((m) => Number(m[1]));

describe('Pool({ backend: redis() })', () => {
  afterEach(disposePools);
  let worker;
  const log = [];
  before(async () => {
    worker = await runWorker({ url: server.url, queue: 'calls', processes: 2, log: (l) => log.push(l) });
  });
  after(async () => {
    await worker?.close();
  });

  test('every call gives the local answer', { timeout: 60_000 }, async () => {
    const xs = Array.from({ length: 300 }, (_, i) => i);
    const pairs = xs.map((x) => [x, 2 * x]);
    const ask = async (pool) => {
      const out = {};
      out.apply = await pool.apply(add, [2, 3]);
      out.applyAsync = await pool.applyAsync(square, [7]).get(10_000);
      out.map = await pool.map(square, xs);
      out.mapChunk1 = await pool.map(square, xs.slice(0, 20), { chunksize: 1 });
      out.mapAsync = await pool.mapAsync(square, xs, { chunksize: 7 });
      out.starmap = await pool.starmap(add, pairs);
      out.starmapAsync = await pool.starmapAsync(add, pairs).get();
      out.mapEmpty = await pool.map(square, []);
      const it = pool.imap(square, naturals(), { chunksize: 3 });
      out.imap = [];
      for await (const v of it) if (out.imap.push(v) >= 40) break;
      out.imapUnordered = [];
      for await (const v of pool.imapUnordered(slowSquare, xs.slice(0, 30))) out.imapUnordered.push(v);
      out.imapUnordered.sort((a, b) => a - b);
      out.rich = await pool.map(rich, [1, 2, 3]);
      return out;
    };
    const localPool = new mp.Pool({ processes: 2, context: 'thread' });
    const expected = await ask(localPool);
    localPool.terminate();
    await localPool.join();
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    const got = await ask(pool);
    assert.deepEqual(got, expected);
    assert.equal(typeof got.rich[0].big, 'bigint');
    assert.ok(got.rich[0].map.get(1) instanceof Date);
    const s = pool.stats();
    assert.equal(s.failed, 0);
    assert.ok(s.completed > 0);
  });

  test('a task error keeps its class, fields and the worker stack; the call fails, the pool goes on', { timeout: 30_000 }, async () => {
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    const err = await pool.starmap(failOn, [[1, 3], [2, 3], [3, 3], [4, 3]], { chunksize: 1 }).then(() => null, (e) => e);
    assert.ok(err instanceof TaskError, `${err}`);
    assert.equal(err.code, 42);
    assert.equal(err.message, 'bad item 3');
    assert.match(err.stack, /failOn/);
    await assert.rejects(pool.apply(failOn, [5, 5]), (e) => e instanceof TaskError && e.message === 'bad item 5');
    assert.equal(await pool.apply(square, [9]), 81);
  });

  test('functions travel by reference only; a module a worker cannot import fails that task, naming it and the host', { timeout: 30_000 }, async () => {
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    await assert.rejects(pool.apply((x) => x * 2, [1]), (e) => e.name === 'TypeError' && /by reference only/.test(e.message) && /export it/.test(e.message));
    assert.throws(() => pool.mapAsync((x) => x, [1]), /by reference only/);
    await assert.rejects(pool.apply({ module: 'mpts-no-such-module', name: 'f' }, []), (e) => /mpts-no-such-module/.test(e.message) && e.message.includes(hostname()));
    assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
  });

  test('signal and timeout stop a call', { timeout: 30_000 }, async () => {
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    await assert.rejects(pool.apply(sleepMs, [3000], { timeout: 200 }), mp.TimeoutError);
    const ac = new AbortController();
    const p = pool.map(sleepMs, [500, 500, 500, 500, 500, 500], { chunksize: 1, signal: ac.signal });
    setTimeout(() => ac.abort(new mp.CancelledError('stop')), 100);
    await assert.rejects(p, (e) => e instanceof mp.CancelledError && e.message === 'stop');
    assert.throws(() => pool.applyAsync(square, [1], { signal: AbortSignal.abort(new Error('already')) }), /already/);
    pool.close();
    await pool.join();
    assert.throws(() => pool.applyAsync(square, [1]), /closed/);
  });

  test('options are checked at the call', () => {
    assert.throws(() => redis({ url: server.url, quue: 'x' }), /quue/);
    assert.throws(() => redis({ url: 'http://localhost' }), /redis:\/\/, rediss:\/\/ or redis\+unix/);
    assert.throws(() => redis({ url: 'redis://localhost/abc' }), /database must be a number/);
    assert.throws(() => redis({ url: server.url, queue: 'a:b' }), /queue/);
    assert.throws(() => redis({ url: server.url, lockDuration: -1 }), /lockDuration/);
    assert.throws(() => new mp.Pool({ backend: redis({ url: server.url }), initializer: square }), /initializer is not supported/);
    assert.throws(() => new mp.Pool({ backend: {} }), /backend must be/);
  });

  test('terminate() removes the pool\'s waiting jobs', { timeout: 30_000 }, async () => {
    const pool = new mp.Pool({ backend: redis({ url: server.url, queue: 'nobody-reads' }), processes: 2 });
    const q = new Queue('nobody-reads', { connection: { path: server.socket } });
    try {
      const p = pool.map(square, Array.from({ length: 50 }, (_, i) => i), { chunksize: 1 });
      await until('50 waiting jobs', async () => (await q.getWaitingCount()) === 50);
      pool.terminate();
      await assert.rejects(p, (e) => e instanceof mp.ProcessError && /terminated/.test(e.message));
      await pool.join();
      assert.equal(await q.getWaitingCount(), 0);
      assert.equal((await q.getJobs(['waiting', 'completed', 'failed'])).length, 0);
    } finally {
      await q.obliterate({ force: true });
      await q.close();
    }
  });

  test('completed jobs are removed once their result is read', { timeout: 30_000 }, async () => {
    const q = new Queue('calls', { connection: { path: server.socket } });
    try {
      // (a job of a call stopped earlier may finish meanwhile and be kept, for BullMQ's
      // retention to remove: only this map's are counted)
      const squares = async () => (await q.getJobs(['completed', 'failed', 'waiting', 'active'])).filter((j) => j.name === 'square').length;
      const before = await squares();
      const pool = new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 });
      assert.deepEqual(await pool.map(square, [1, 2, 3, 4, 5], { chunksize: 1 }), [1, 4, 9, 16, 25]);
      pool.close();
      await pool.join();
      assert.equal(await squares(), before);
    } finally {
      await q.close();
    }
  });

  test('two pools on one queue keep to their own results', { timeout: 30_000 }, async () => {
    const a = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    const b = track(new mp.Pool({ backend: redis({ url: server.url, queue: 'calls' }), processes: 2 }));
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const [ra, rb] = await Promise.all([a.map(square, xs, { chunksize: 1 }), b.starmap(add, xs.map((x) => [x, 1000]), { chunksize: 1 })]);
    assert.deepEqual(ra, xs.map((x) => x * x));
    assert.deepEqual(rb, xs.map((x) => x + 1000));
    assert.equal(a.stats().completed, 100);
    assert.equal(b.stats().completed, 100);
  });
});

describe('the worker command', () => {
  afterEach(disposePools);
  test('SIGKILL of one of two workers in an 800-task map: every result once, in order, within 20 s', { timeout: 60_000 }, async () => {
    const queue = 'kill-a-worker';
    const w1 = workerCommand(queue, 1), w2 = workerCommand(queue, 1);
    await until('both workers ready', () => [w1, w2].every((w) => w.lines.some((l) => /ready/.test(l))));
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue }), processes: 2 }));
    let settled = 0;
    pool.on('progress', () => settled++);
    const xs = Array.from({ length: 800 }, (_, i) => i);
    const p = pool.map(slowSquare, xs);
    // Both busy: kill one whole worker (its lock lapses; BullMQ gives the chunk to the other).
    await new Promise((r) => setTimeout(r, 700));
    const t0 = performance.now();
    w1.kill('SIGKILL');
    const out = await p;
    const took = performance.now() - t0;
    assert.deepEqual(out, xs.map((x) => x * x));
    assert.ok(took < 20_000, `took ${took} ms`);
    // Each chunk settled once: 8 chunks of 800 / (4 x 2).
    assert.equal(settled, 8);
    assert.equal(pool.stats().completed, 8);
    for (const pid of childPids(w1)) await until(`child ${pid} of the killed worker to end`, () => !alive(pid));
    w2.kill('SIGTERM');
    const { code } = await w2.exited;
    assert.equal(code, 0, w2.lines.join('\n'));
    assert.ok(w2.lines.some((l) => /started PoolWorker-\d+ \(pid \d+\)/.test(l)), w2.lines.join('\n'));
    assert.ok(w2.lines.some((l) => /PoolWorker-\d+ \(pid \d+\) stopped/.test(l)), w2.lines.join('\n'));
    assert.ok(w2.lines.some((l) => /stopped \(pid/.test(l)));
  });

  test('SIGKILL of a task process: it is replaced and the chunk runs again', { timeout: 60_000 }, async () => {
    const queue = 'kill-a-child';
    const w = workerCommand(queue, 2);
    await until('the worker ready', () => w.lines.some((l) => /ready/.test(l)));
    const pool = track(new mp.Pool({ backend: redis({ url: server.url, queue }), processes: 2 }));
    const xs = Array.from({ length: 200 }, (_, i) => i);
    const p = pool.map(slowSquare, xs, { chunksize: 10 });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(childPids(w)[0], 'SIGKILL');
    assert.deepEqual(await p, xs.map((x) => x * x));
    assert.equal(pool.stats().completed, 20);
    await until('a replacement', () => childPids(w).length === 3);
    w.kill('SIGINT');
    assert.equal((await w.exited).code, 0, w.lines.join('\n'));
  });

  test('bad options fail with a message', { timeout: 30_000 }, async () => {
    const r = await runNode([mainJs, 'worker', '--redis', server.url, '--processes', 'two'], { timeout: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--processes must be a positive integer/);
    const r2 = await runNode([mainJs, 'worker'], { timeout: 20_000 });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /--redis/);
  });

  test('without redis-server the tests say what to install', { timeout: 30_000 }, async () => {
    const helper = new URL('./redis-server.mjs', import.meta.url).href;
    const r = await runNode(['--input-type=module', '-e', `import(${JSON.stringify(helper)}).then((m) => m.startRedis()).catch((e) => { console.log(e.message); })`], { env: { PATH: '/nonexistent' } });
    assert.match(r.stdout, /apt-get install -y redis-server/);
  });
});

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
