// Differential tests: where Python defines a behaviour, the same scenario runs in python3 and
// in our idiom, and both must print the same lines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runNode } from './helpers.mjs';

// python3 is on every machine this project builds on (node-gyp needs it).
const python = 'python3';

const scenarios = [
  {
    name: 'recv_bytes_into with too small a buffer consumes the message',
    py: `
from multiprocessing import Pipe, BufferTooShort
a, b = Pipe()
a.send_bytes(b'a long message'); a.send_bytes(b'next')
try:
    b.recv_bytes_into(bytearray(4))
except BufferTooShort as e:
    print('BufferTooShort', e.args[0].decode())
print(b.recv_bytes().decode())`,
    js: `
const [a, b] = mp.Pipe();
a.sendBytesSync(Buffer.from('a long message')); a.sendBytesSync(Buffer.from('next'));
try { b.recvBytesIntoSync(Buffer.alloc(4)); } catch (e) { if (e instanceof mp.BufferTooShortError) console.log('BufferTooShort', e.data.toString()); }
console.log(b.recvBytesSync().toString());`,
  },
  {
    name: 'a send to a pipe whose reader is closed raises BrokenPipeError (duplex and one-way)',
    py: `
from multiprocessing import Pipe
a, b = Pipe(); b.close()
try:
    a.send('x')
except BrokenPipeError:
    print('BrokenPipeError')
r, w = Pipe(False); r.close()
try:
    w.send_bytes(b'x' * 1000000)
except BrokenPipeError:
    print('BrokenPipeError')`,
    js: `
const [a, b] = mp.Pipe(); b.close();
try { await a.send('x'); } catch (e) { console.log(e.name); }
const [r, w] = mp.Pipe(false); r.close();
try { await w.sendBytes(Buffer.alloc(1000000)); } catch (e) { console.log(e.name); }`,
  },
  {
    name: "positional block and timeout: get, put, acquire",
    py: `
import multiprocessing as mp, queue
q = mp.Queue(1)
try:
    q.get(True, 0.1)
except queue.Empty:
    print('Empty')
q.put(1, False)
try:
    q.put(2, False)
except queue.Full:
    print('Full')
try:
    q.put(2, True, 0.05)
except queue.Full:
    print('Full')
print(q.get(True, 1))
l = mp.Lock()
print(l.acquire(False), l.acquire(False), l.acquire(True, 0.05))`,
    js: `
const q = mp.Queue(1);
try { await q.get(true, 100); } catch (e) { if (e instanceof mp.EmptyError) console.log('Empty'); }
await q.put(1, false);
try { await q.put(2, false); } catch (e) { if (e instanceof mp.FullError) console.log('Full'); }
try { await q.put(2, true, 50); } catch (e) { if (e instanceof mp.FullError) console.log('Full'); }
console.log(await q.get(true, 1000));
const l = mp.Lock();
const py = (v) => (v ? 'True' : 'False');
console.log(py(l.acquireSync(false)), py(await l.acquire(false)), py(await l.acquire(true, 50)));`,
  },
  {
    name: 'a misspelt keyword is a TypeError',
    py: `
import multiprocessing as mp
try:
    mp.Queue().get(blocking=False)
except TypeError:
    print('TypeError')
try:
    mp.Lock().acquire(blocking=False, timout=1)
except TypeError:
    print('TypeError')`,
    js: `
try { await mp.Queue().get({ blocking: false }); } catch (e) { console.log(e.constructor.name); }
try { mp.Lock().acquireSync({ block: false, timout: 1 }); } catch (e) { console.log(e.constructor.name); }`,
  },
  {
    name: "a process's sentinel is among what wait() returns",
    py: `
import multiprocessing as mp
from multiprocessing.connection import wait
if __name__ == '__main__':
    p = mp.Process(target=print, args=('child',))
    p.start()
    print(p.sentinel in wait([p.sentinel], 10))
    p.join()`,
    js: `
if (mp.isMainProcess()) {
  const p = mp.Process({ target: (s) => console.log(s), args: ['child'] });
  p.start();
  console.log((await mp.wait([p.sentinel], 10000)).includes(p.sentinel) ? 'True' : 'False');
  await p.join();
}`,
    sort: true,
  },
];

describe('the same scenario in python3 and in our idiom', () => {
  for (const s of scenarios) {
    it(s.name, { timeout: 60_000 }, async () => {
      const py = spawnSync(python, ['-c', s.py], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(py.status, 0, py.stderr);
      const js = await runNode(['--input-type=module', '-e', `import * as mp from 'multiprocessing-ts';\n${s.js}`], { timeout: 30_000 });
      assert.equal(js.code, 0, js.stderr);
      const lines = (out) => (s.sort ? out.trim().split('\n').sort() : out.trim().split('\n'));
      assert.deepEqual(lines(js.stdout), lines(py.stdout));
    });
  }
});
