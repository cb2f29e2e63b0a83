// Seed 004 ("Exchanging objects between processes"): a child sends a list through a Pipe.
//   node examples/pipe.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export async function f(conn) {
  await conn.send([42, null, 'hello']);
  conn.close();
}

if (mp.isMainProcess()) {
  const ctx = mp.getContext(process.argv[2] ?? null);
  const [parentConn, childConn] = mp.Pipe();
  const p = ctx.Process({ target: f, args: [childConn] });
  p.start();
  console.log(await parentConn.recv()); // prints "[ 42, null, 'hello' ]"
  await p.join();
}
