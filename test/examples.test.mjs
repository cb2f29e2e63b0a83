import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { describe, it } from 'node:test';
import { runCommand, runNode } from './helpers.mjs';

it('the demo (seed examples that run today) runs under both start methods', async () => {
  const r = await runNode([new URL('../examples/demo.mjs', import.meta.url).pathname]);
  assert.equal(r.code, 0, r.stderr);
  for (const method of ['thread', 'process']) assert.match(r.stdout, new RegExp(`--- start method: ${method}\\nhello bob \\(from Process-\\d+`));
  const numbers = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number).sort((a, b) => a - b);
  assert.deepEqual(numbers, [...Array.from({ length: 10 }, (_, i) => i * 43), ...Array.from({ length: 10 }, (_, i) => i * 43)].sort((a, b) => a - b));
  assert.equal(r.stdout.match(/stopped\[SIGTERM\]\)> false/g).length, 2);
  assert.equal(r.stdout.match(/exitcode == -SIGTERM: true/g).length, 2);
});

const example = (name) => new URL(`../examples/${name}.mjs`, import.meta.url).pathname;
const lines = (text) => text.trim().split('\n');
const fixture = (name) => new URL(`fixtures/${name}`, import.meta.url).pathname;
const runPython = (script) => runCommand('python3', [script]);

for (const method of ['thread', 'process']) {
  describe(`seed examples of locks, events, conditions, semaphores and shared values under '${method}'`, () => {
    it('Lock printing: ten processes, each line whole', async () => {
      const r = await runNode([example('lock-printing'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).sort(), Array.from({ length: 10 }, (_, i) => `hello world ${i}`).sort());
    });

    it('Value/Array negation prints the seed output', async () => {
      const r = await runNode([example('shared-values'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '3.1415927\n[0, -1, -2, -3, -4, -5, -6, -7, -8, -9]\n');
    });

    it("sharedctypes: a Value, a raw Value, a 'c' Array and an Array of Point records print what python3 prints", async () => {
      const [r, py] = await Promise.all([runNode([example('sharedctypes'), method]), runPython(fixture('sharedctypes.py'))]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(py.code, 0, py.stderr);
      // Python 3 prints the bytes of a 'c' array as b'...'; the seed (Python 2) and ours print the text.
      const expected = py.stdout.replace(/^b'(.*)'$/m, '$1');
      assert.equal(expected, "49\n0.1111111111111111\nHELLO WORLD\n[(3.515625, 39.0625), (33.0625, 4.0), (5.640625, 90.25)]\n");
      assert.equal(r.stdout, expected);
    });

    it('Event: the timed waiter gives up, the other sees the flag set', async () => {
      const r = await runNode([example('event'), method]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      assert.deepEqual([...out].sort(), [
        'main: event is set', 'main: waiting before calling Event.set()', 'wait_for_event: e.isSet()-> true',
        'wait_for_event: starting', 'wait_for_event_timeout: e.isSet()-> false', 'wait_for_event_timeout: starting',
      ]);
      assert.ok(out.indexOf('wait_for_event_timeout: e.isSet()-> false') < out.indexOf('main: event is set'));
      // After set(), the parent's line and the woken child's race for stdout.
      assert.ok(out.indexOf('wait_for_event: e.isSet()-> true') > out.indexOf('wait_for_event_timeout: e.isSet()-> false'));
    });

    it('Lock with / acquire-release', async () => {
      const r = await runNode([example('lock-with'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).sort(), ['Lock acquired directly', 'Lock acquired via with']);
    });

    it('Condition stages: stage 2 runs only after stage 1', async () => {
      const r = await runNode([example('condition-stages'), method]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      const done = out.indexOf('s1 done and ready for stage 2');
      assert.ok(done >= 0);
      for (const i of [1, 2]) assert.ok(out.indexOf(`stage_2[${i}] running`) > done, out.join('\n'));
      assert.equal(out.length, 6);
    });

    it('Semaphore(3) pool: never more than three running, all ten ran', async () => {
      const r = await runNode([example('semaphore-pool'), method]);
      assert.equal(r.code, 0, r.stderr);
      const running = lines(r.stdout).map((l) => JSON.parse(l.replace('Now running: ', '')));
      assert.equal(running.length, 11);
      assert.ok(running.every((names) => names.length <= 3));
      assert.deepEqual(running.at(-1), []);
      assert.deepEqual(new Set(running.flat()), new Set(Array.from({ length: 10 }, (_, i) => String(i))));
    });
  });
}

for (const method of ['thread', 'process']) {
  describe(`seed examples of pipes and queues under '${method}'`, () => {
    it('Queue factorial', async () => {
      const r = await runNode([example('queue-factorial'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Factorial 5 = 120\n');
    });

    it('Pipe [42, null, "hello"]', async () => {
      const r = await runNode([example('pipe'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "[ 42, null, 'hello' ]\n");
    });

    it('Listener/Client (seed 002): an object, bytes, and recvBytesInto an Int32Array, with an authkey', async () => {
      const r = await runNode([example('listener-client'), method]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "connection accepted from 127.0.0.1\n[ 2.25, null, 'junk', 10n ]\nhello\n8\nInt32Array(5) [ 42, 1729, 0, 0, 0 ]\n");
    });

    it('JoinableQueue producer/consumer with poison pills', async () => {
      const r = await runNode([example('producer-consumer'), method]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      const consumers = Number(/^Creating (\d+) consumers$/.exec(out[0])[1]);
      assert.equal(out.filter((l) => /^Consumer-\d+: Exiting$/.test(l)).length, consumers);
      assert.deepEqual(out.filter((l) => /^Consumer-\d+: \d+ \* \d+$/.test(l)).map((l) => l.split(': ')[1]).sort(), Array.from({ length: 10 }, (_, i) => `${i} * ${i}`).sort());
      assert.deepEqual(out.filter((l) => l.startsWith('Result: ')).sort(), Array.from({ length: 10 }, (_, i) => `Result: ${i} * ${i} = ${i * i}`).sort());
    });
  });
}

for (const method of ['thread', 'process']) {
  describe(`seed examples of pools under '${method}'`, () => {
    it('Pool(5).map(factorial, range(1, 1000, 10)): exact BigInt results', async () => {
      const r = await runNode([example('pool-factorial'), method]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      assert.equal(out.length, 100);
      let fact = 1n;
      for (let n = 1, k = 0; n < 1000; n++) {
        fact *= BigInt(n);
        if ((n - 1) % 10 === 0) assert.equal(out[k++], String(fact), `factorial(${n})`);
      }
    });

    it('applyAsync get({ timeout }), map, imap next(timeout), a TimeoutError', async () => {
      const r = await runNode([example('pool-basics'), method]);
      assert.equal(r.code, 0, r.stderr);
      const out = lines(r.stdout);
      assert.equal(out[0], '100');
      assert.match(r.stdout, /\[\s*0,\s*1,\s*4,\s*9,\s*16,\s*25,\s*36,\s*49,\s*64,\s*81\s*\]/);
      assert.deepEqual(out.slice(-4), ['0', '1', '4', 'TimeoutError: AsyncResult.get: no result within 1000 ms']);
    });

    it('Pool with an initializer, then with maxtasksperchild=2 (workers replaced)', async () => {
      for (const maxtasks of [null, 2]) {
        const r = await runNode([example('pool-maxtasks'), method, ...(maxtasks ? [String(maxtasks)] : [])]);
        assert.equal(r.code, 0, r.stderr);
        const out = lines(r.stdout);
        assert.equal(out[0], 'Input   : [0,1,2,3,4,5,6,7,8,9]');
        assert.equal(out.at(-1), 'Pool    : [0,2,4,6,8,10,12,14,16,18]');
        const starts = out.filter((l) => /^Starting PoolWorker-\d+$/.test(l)).length;
        if (maxtasks) assert.ok(starts >= 5, `${starts} workers for 10 tasks at 2 each`);
        else assert.equal(starts, cpus().length * 2);
      }
    });
  });
}
