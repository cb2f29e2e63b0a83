// Seed 002 ("Listeners and Clients"): a Listener with an authkey sends an object, bytes and an
// array's bytes; a Client in a child process receives them (recvBytesInto an Int32Array).
//   node examples/listener-client.mjs [thread|process]
// The same Listener also serves Python's own multiprocessing.connection.Client: the frames and
// the handshake are CPython's (objects sent with send() use this package's codec, so a Python
// peer reads them with recv_bytes(); bytes travel as they are).
import * as mp from 'multiprocessing-ts';

export async function client(address) {
  const conn = await mp.Client(address, { authkey: 'secret password' });
  console.log(await conn.recv()); // => [ 2.25, null, 'junk', 10n ]
  console.log(String(await conn.recvBytes())); // => hello
  const arr = new Int32Array([0, 0, 0, 0, 0]);
  console.log(await conn.recvBytesInto(arr)); // => 8
  console.log(arr); // => Int32Array(5) [ 42, 1729, 0, 0, 0 ]
  conn.close();
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const address = ['localhost', 0]; // family AF_INET; port 0: any free port
  const listener = await mp.Listener({ address, authkey: 'secret password' });
  const p = ctx.Process({ target: client, args: [listener.address] });
  p.start();
  const conn = await listener.accept();
  console.log('connection accepted from', listener.lastAccepted[0]);
  await conn.send([2.25, null, 'junk', 10n]);
  await conn.sendBytes(Buffer.from('hello'));
  await conn.sendBytes(new Int32Array([42, 1729]));
  conn.close();
  listener.close();
  await p.join();
}
