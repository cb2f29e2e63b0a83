// `npm start`: a short tour. First the seed examples that open Python's multiprocessing guide
// (a Process per task, the Process/terminate session) under both start methods; then a few of
// the other seed examples, each run as it is under examples/; then, row by row, a figure of
// ours beside CPython's, both measured here and now (CPython's through
// bench/peers/cpython_bench.py, when python3 is on the PATH). About 15 s in all.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import * as mp from 'multiprocessing-ts';

export function f(name) {
  console.log('hello', name, `(from ${mp.currentProcess().name}, pid ${mp.currentProcess().pid})`);
}
export function longHardTask(n) {
  console.log(n * 43);
}
export function sleeper() {
  setInterval(() => {}, 1000);
}
export function noop() {}
export function square(x) {
  return x * x;
}
export async function produce(q, n) {
  const msg = 'x'.repeat(256);
  for (let i = 0; i < n; i++) void q.put(msg);
}

const run = promisify(execFile);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

async function guide() {
  for (const method of mp.getAllStartMethods()) {
    console.log(`--- start method: ${method}`);
    const ctx = mp.getContext(method);
    // from multiprocessing import Process; p = Process(target=f, args=('bob',)); p.start(); p.join()
    const p = new ctx.Process({ target: f, args: ['bob'] });
    p.start();
    await p.join();
    // for i in range(10): Process(target=long_hard_task, args=(i,)).start()
    const tasks = Array.from({ length: 10 }, (_, i) => ctx.Process({ target: longHardTask, args: [i] }));
    for (const t of tasks) t.start();
    for (const t of tasks) await t.join();
    // The reference session: print(p, p.is_alive()) around start and terminate.
    const s = ctx.Process({ target: sleeper });
    console.log(String(s), s.isAlive());
    s.start();
    console.log(String(s), s.isAlive());
    s.terminate();
    await s.join();
    console.log(String(s), s.isAlive());
    console.log('exitcode == -SIGTERM:', s.exitcode === -15);
  }
}

async function seeds() {
  const shown = [
    ['queue-factorial', 'a child computes 5! and puts it on a Queue'],
    ['pipe', 'a child sends [42, null, "hello"] through a Pipe'],
    ['shared-values', 'a child negates a shared Value and Array'],
    ['condition-stages', 'stage 2 waits on a Condition for stage 1'],
  ];
  for (const [name, what] of shown) {
    const method = name === 'pipe' ? 'process' : 'thread';
    const { stdout } = await run(process.execPath, [here(`${name}.mjs`), method], { timeout: 30_000 });
    console.log(`\n${bold(`examples/${name}.mjs`)} ${dim(`(${method}): ${what}`)}`);
    process.stdout.write(stdout.replace(/^/gm, '  '));
  }
}

// --------------------------------------------------------------- ours beside CPython's

const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];

async function startJoinUs(method) {
  const ctx = mp.getContext(method);
  const times = [];
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, method === 'process' ? 120 : 5)); // spaced: the warm spare is ready
    const t = performance.now();
    const p = ctx.Process({ target: noop });
    p.start();
    await p.join();
    times.push((performance.now() - t) * 1000);
  }
  return median(times);
}

async function poolMapPerSec() {
  const pool = new mp.Pool(2);
  await pool.map(square, [1, 2, 3, 4]);
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  const rates = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await pool.map(square, items);
    rates.push(items.length / ((performance.now() - t) / 1000));
  }
  pool.terminate();
  await pool.join();
  return median(rates);
}

async function applyUs() {
  const pool = new mp.Pool(2);
  await pool.apply(square, [1]);
  const times = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await pool.apply(square, [i]);
    times.push((performance.now() - t) * 1000);
  }
  pool.terminate();
  await pool.join();
  return median(times);
}

async function queuePerSec() {
  const n = 20_000;
  const q = mp.Queue();
  const p = mp.getContext('process').Process({ target: produce, args: [q, n] });
  p.start();
  await q.get();
  const t = performance.now();
  for (let i = 1; i < n; i++) q.getSync();
  const rate = (n - 1) / ((performance.now() - t) / 1000);
  await p.join();
  return rate;
}

function lockPerSec() {
  const lock = mp.Lock();
  const n = 1_000_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
  return n / ((performance.now() - t) / 1000);
}

async function cpython(...args) {
  try {
    const { stdout } = await run('python3', [here('../bench/peers/cpython_bench.py'), ...args.map(String)], { timeout: 20_000 });
    const r = JSON.parse(stdout);
    return r.per_sec ?? r.us_per_op;
  } catch {
    return null;
  }
}

const fmt = (v, unit) => (v === null ? 'n/a' : unit === 'µs' ? `${v < 100 ? v.toFixed(1) : Math.round(v)} µs` : v >= 1e6 ? `${(v / 1e6).toFixed(1)} M/s` : `${Math.round(v / 1000)} k/s`);

async function sideBySide() {
  const rows = [
    ['Process start + join (thread / fork)', 'µs', () => startJoinUs('thread'), ['start', 'fork', 20], false],
    ['Process start + join (process / forkserver)', 'µs', () => startJoinUs('process'), ['start', 'forkserver', 20], false],
    ['Pool(2).map of 100k squares, items', '/s', poolMapPerSec, ['poolmap', 100_000, 0, 3], true],
    ['Pool(2).apply round trip', 'µs', applyUs, ['poolapply', 500], false],
    ['Queue, 256-char strings from a child', '/s', queuePerSec, ['transfer', 'queue', 20_000, 0], true],
    ['Lock acquire + release pairs', '/s', lockPerSec, ['lock', 'Lock', 1_000_000], true],
  ];
  console.log(`\n${bold('Ours beside CPython')} ${dim(`(measured now, on this machine; CPython ${await pythonVersion()})`)}`);
  const load = loadavg()[0], cpus = availableParallelism();
  if (load > cpus) console.log(dim(`  (this machine is busy: load ${load.toFixed(1)} on ${cpus} CPUs, so both columns swing; npm run bench takes medians of many runs)`));
  console.log(`  ${'what'.padEnd(46)}${'ours'.padStart(12)}${'CPython'.padStart(12)}   `);
  for (const [what, unit, ours, args, higherIsBetter] of rows) {
    const [a, b] = [await ours(), await cpython(...args)];
    const ratio = b === null ? '' : higherIsBetter ? a / b : b / a;
    const note = ratio === '' ? '' : ratio >= 1 ? `${ratio.toFixed(1)}x faster` : `${(1 / ratio).toFixed(1)}x slower`;
    console.log(`  ${what.padEnd(46)}${fmt(a, unit).padStart(12)}${fmt(b, unit).padStart(12)}   ${dim(note)}`);
  }
}

async function pythonVersion() {
  try {
    return (await run('python3', ['-c', 'import platform; print(platform.python_version())'])).stdout.trim();
  } catch {
    return 'not found: its column is n/a';
  }
}

if (mp.isMainProcess()) {
  const started = performance.now();
  await guide();
  await seeds();
  await sideBySide();
  console.log(dim(`\n(${((performance.now() - started) / 1000).toFixed(1)} s; more rows: npm run bench; the guide: docs/)`));
}
