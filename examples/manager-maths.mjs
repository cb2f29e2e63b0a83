// Python's docs ("Customized managers"): a BaseManager subclass registers an exported class;
// the server makes its instances and a proxy calls their methods.
//   node examples/manager-maths.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export class MathsClass {
  add(x, y) {
    return x + y;
  }
  mul(x, y) {
    return x * y;
  }
}

export class MyManager extends mp.BaseManager {}
MyManager.register('Maths', MathsClass);

if (mp.isMainProcess()) {
  const manager = new MyManager({ context: process.argv[2] ?? null });
  await manager.start();
  try {
    const maths = await manager.Maths();
    console.log(await maths.add(4, 3)); // prints 7
    console.log(await maths.mul(7, 8)); // prints 56
  } finally {
    await manager.shutdown(); // (or `await using manager = ...` where the runtime has it)
  }
}
