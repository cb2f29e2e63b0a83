// Python's docs (Namespace): attributes set through a Namespace proxy, printed as Python prints
// them; a `_`-prefixed name is an attribute of the proxy, not of the namespace. Then the docs'
// nested lists: a list stored in a list is the same managed object.
//   node examples/manager-namespace.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

if (mp.isMainProcess()) {
  const manager = await mp.getContext(process.argv[2] ?? null).Manager();
  const Global = await manager.Namespace();
  await Global.set('x', 10);
  await Global.set('y', 'hello');
  await Global.set('_z', 12.3); // this is an attribute of the proxy
  console.log(await Global.repr()); // Namespace(x=10, y='hello')

  const l = await manager.list(Array.from({ length: 10 }, (_, i) => i * i));
  console.log(await l.repr()); // [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
  console.log(await l.get(4)); // 16
  const a = await manager.list();
  const b = await manager.list();
  await a.append(b); // referent of a now contains referent of b
  console.log(await a.repr(), await b.repr()); // [[]] []
  await b.append('hello');
  console.log(await a.repr(), await b.repr()); // [['hello']] ['hello']
  await manager.shutdown();
}
