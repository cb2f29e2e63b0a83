// Targets for the benchmark children (a child imports the module defining its target).
export function noop() {}

/** One side of a ping-pong: `rounds` times take `mine`, give `theirs`. Records elapsed ms. */
export async function semPong(mine, theirs, rounds, useAsync, go, out) {
  go.waitSync();
  const t = performance.now();
  for (let i = 0; i < rounds; i++) {
    if (useAsync) await mine.acquire();
    else mine.acquireSync();
    theirs.release();
  }
  if (out) out.value = performance.now() - t;
}
export async function semPing(mine, theirs, rounds, useAsync, go, out) {
  go.waitSync();
  const t = performance.now();
  for (let i = 0; i < rounds; i++) {
    theirs.release();
    if (useAsync) await mine.acquire();
    else mine.acquireSync();
  }
  if (out) out.value = performance.now() - t;
}

/** Condition ping-pong: wait for my turn, hand the turn over, notify. */
export async function condTurn(cond, turn, me, rounds, useAsync, go, out) {
  go.waitSync();
  const t = performance.now();
  if (useAsync) await cond.acquire();
  else cond.acquireSync();
  for (let i = 0; i < rounds; i++) {
    while (turn.value !== me) {
      if (useAsync) await cond.wait();
      else cond.waitSync();
    }
    turn.value = 1 - me;
    cond.notify();
  }
  cond.release();
  if (out) out.value = performance.now() - t;
}

/** Sends n messages child -> parent: 256-char strings, or buffers of `bytes` bytes. */
export function produce(kind, chan, n, bytes, unawaited = false) {
  const msg = bytes ? Buffer.alloc(bytes, 7) : 'x'.repeat(256);
  if (unawaited) {
    // The way Node code is written: promises not awaited, far past the ring (they keep order).
    if (kind === 'pipe') for (let i = 0; i < n; i++) bytes ? chan.sendBytes(msg) : chan.send(msg);
    else for (let i = 0; i < n; i++) chan.put(msg);
    return;
  }
  if (kind === 'pipe') {
    if (bytes) for (let i = 0; i < n; i++) chan.sendBytesSync(msg);
    else for (let i = 0; i < n; i++) chan.sendSync(msg);
  } else for (let i = 0; i < n; i++) chan.putSync(msg);
}

/** The pool rows' task. */
export function square(x) {
  return x * x;
}

/** The Listener/Client rows' server: a Listener on a loopback port whose address goes back through `pipe`; echoes every message of every connection. */
export async function netServer(pipe, authkey) {
  const mp = await import('multiprocessing-ts');
  const l = await mp.Listener({ address: ['127.0.0.1', 0], authkey });
  await pipe.send(l.address);
  for (;;) {
    const c = await l.accept();
    (async () => {
      try {
        for (;;) await c.sendBytes(await c.recvBytes());
      } catch {
        c.close();
      }
    })();
  }
}

/** Manager rows: a child puts n 256-byte strings on a managed Queue. */
export async function managerProduce(q, n) {
  const s = 'x'.repeat(256);
  for (let i = 0; i < n; i++) await q.put(s);
}

/** A task that takes `ms` of wall time (the recovery rows). */
export async function slowSquare(x, ms = 5) {
  await new Promise((r) => setTimeout(r, ms));
  return x * x;
}
