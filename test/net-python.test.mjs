// Wire compatibility with CPython's own multiprocessing.connection: python3 (3.11, the legacy
// HMAC-MD5 handshake) and every 3.12+ that pyenv has here (the {sha256} handshake), as Client
// and as Listener, right and wrong keys, send_bytes/recv_bytes both ways (small, over 16 KiB,
// 1 MiB), TCP and Unix sockets.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';

const pythons = new Map();
const version = (exe) => spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout?.trim();
pythons.set(version('python3'), 'python3');
const pyenv = join(homedir(), '.pyenv', 'versions');
if (existsSync(pyenv)) {
  for (const d of readdirSync(pyenv)) {
    const exe = join(pyenv, d, 'bin', 'python3');
    const m = /^3\.(\d+)/.exec(d);
    if (m && Number(m[1]) >= 11 && existsSync(exe)) {
      const v = version(exe);
      if (v && !pythons.has(v)) pythons.set(v, exe);
    }
  }
}
assert.ok(pythons.size >= 1 && [...pythons.keys()].every(Boolean), 'python3 runs');

const children = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Runs a Python script; resolves its first stdout line (a port or 'ready') and, later, its end. */
function runPython(exe, code, timeout = 20_000) {
  const child = spawn(exe, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '', err = '';
  child.stderr.on('data', (d) => (err += d));
  const firstLine = new Promise((resolve) => child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(out.split('\n')[0]);
  }));
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python did not finish in ${timeout} ms\n${out}\n${err}`));
    }, timeout);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
  return { firstLine, done };
}

const SIZES = [0, 5, 16384, 16385, 1 << 20];
const pyAddress = (a) => (typeof a === 'string' ? JSON.stringify(a) : `('${a[0]}', ${a[1]})`);

for (const [v, exe] of pythons) {
  describe(`CPython ${v} (${exe === 'python3' ? 'python3' : 'pyenv'})`, () => {
    it(`a Python Client talks to our Listener (TCP), both directions, sizes ${SIZES.join(', ')}`, async () => {
      const l = await mp.Listener({ address: ['127.0.0.1', 0], authkey: 'secret password' });
      const py = runPython(exe, `
from multiprocessing.connection import Client
with Client(${pyAddress(l.address)}, authkey=b'secret password') as c:
    for n in ${JSON.stringify(SIZES)}:
        c.send_bytes(bytes([n % 251]) * n)
        got = c.recv_bytes()
        assert got == bytes([(n + 1) % 251]) * (n + 1), (n, len(got))
    print('python ok', flush=True)
`);
      const s = await l.accept();
      for (const n of SIZES) {
        const got = await s.recvBytes();
        assert.equal(got.length, n);
        assert.ok(got.every((b) => b === n % 251));
        await s.sendBytes(Buffer.alloc(n + 1, (n + 1) % 251));
      }
      const r = await py.done;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /python ok/);
      s.close();
      l.close();
    });

    it('our Client talks to a Python Listener (TCP), both directions', async () => {
      const py = runPython(exe, `
from multiprocessing.connection import Listener
with Listener(('127.0.0.1', 0), authkey=b'k') as l:
    print(l.address[1], flush=True)
    with l.accept() as c:
        while True:
            try:
                m = c.recv_bytes()
            except EOFError:
                break
            c.send_bytes(m[::-1] + b'!')
print('python done', flush=True)
`);
      const port = Number(await py.firstLine);
      const c = await mp.Client(['127.0.0.1', port], { authkey: 'k' });
      for (const n of SIZES) {
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = i & 0xff;
        await c.sendBytes(b);
        const got = await c.recvBytes();
        assert.equal(got.length, n + 1);
        assert.deepEqual(got.subarray(0, n), Buffer.from(b).reverse());
      }
      c.close();
      const r = await py.done;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /python done/);
    });

    it('wrong keys: AuthenticationError on both sides, whichever side listens', async () => {
      const l = await mp.Listener({ address: ['127.0.0.1', 0], authkey: 'right' });
      const py = runPython(exe, `
from multiprocessing.connection import Client
from multiprocessing import AuthenticationError
try:
    Client(${pyAddress(l.address)}, authkey=b'wrong')
except AuthenticationError as e:
    print('python AuthenticationError', flush=True)
`);
      await assert.rejects(l.accept(), mp.AuthenticationError);
      const r = await py.done;
      assert.match(r.out, /python AuthenticationError/, r.err);
      l.close();

      const py2 = runPython(exe, `
from multiprocessing.connection import Listener
from multiprocessing import AuthenticationError
with Listener(('127.0.0.1', 0), authkey=b'right') as l:
    print(l.address[1], flush=True)
    try:
        l.accept()
    except AuthenticationError:
        print('python AuthenticationError', flush=True)
`);
      const port = Number(await py2.firstLine);
      await assert.rejects(mp.Client(['127.0.0.1', port], { authkey: 'wrong' }), mp.AuthenticationError);
      const r2 = await py2.done;
      assert.match(r2.out, /python AuthenticationError/, r2.err);
    });

    it("a Python Client with the empty authkey b'' authenticates with our Listener's '' (and not with no key)", async () => {
      const l = await mp.Listener({ address: ['127.0.0.1', 0], authkey: '' });
      const py = runPython(exe, `
from multiprocessing.connection import Client
with Client(${pyAddress(l.address)}, authkey=b'') as c:
    c.send_bytes(b'empty key')
`);
      const s = await l.accept();
      assert.equal((await s.recvBytes()).toString(), 'empty key');
      assert.equal((await py.done).code, 0);
      s.close();
      l.close();
    });

    it('Unix socket paths both ways; our recv() of a Python send() says it is a pickle', async () => {
      const path = join(tmpdir(), `mpts-py-${process.pid}-${v}.sock`);
      const l = await mp.Listener({ address: path, authkey: 'u' });
      const py = runPython(exe, `
from multiprocessing.connection import Client
with Client(${JSON.stringify(path)}, authkey=b'u') as c:
    c.send_bytes(b'over unix')
    c.send({'a': 1})
    print(c.recv_bytes().decode(), flush=True)
`);
      const s = await l.accept();
      assert.equal((await s.recvBytes()).toString(), 'over unix');
      await assert.rejects(s.recv(), /Python pickle/);
      await s.sendBytes(Buffer.from('back over unix'));
      const r = await py.done;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /back over unix/);
      s.close();
      l.close();

      const py2 = runPython(exe, `
import os, tempfile
from multiprocessing.connection import Listener
with Listener(authkey=b'u') as l:   # a fresh path, as our default
    print(l.address, flush=True)
    with l.accept() as c:
        c.send_bytes(c.recv_bytes().upper())
`);
      const addr = await py2.firstLine;
      const c = await mp.Client(addr, { authkey: 'u' });
      await c.sendBytes(Buffer.from('shout'));
      assert.equal((await c.recvBytes()).toString(), 'SHOUT');
      c.close();
      assert.equal((await py2.done).code, 0);
    });
  });
}
