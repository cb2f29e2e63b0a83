// `npm run stress [-- --repeat N --scale S --method thread|process --only name]`: every
// contention scenario, repeated, under each start method; exits 1 on the first failure.
import { parseArgs } from 'node:util';
import * as mp from 'multiprocessing-ts';
import { scenarios } from './scenarios.mjs';

if (mp.isMainProcess()) {
  const { values } = parseArgs({
    options: {
      repeat: { type: 'string', default: '10' },
      scale: { type: 'string', default: '5' },
      method: { type: 'string', multiple: true },
      only: { type: 'string' },
    },
  });
  const repeat = Number(values.repeat), scale = Number(values.scale);
  const methods = values.method ?? mp.getAllStartMethods();
  let failures = 0;
  for (const method of methods) {
    const ctx = mp.getContext(method);
    for (const [name, run] of Object.entries(scenarios)) {
      if (values.only && !name.includes(values.only)) continue;
      const t = performance.now();
      for (let i = 0; i < repeat; i++) {
        try {
          await run(ctx, scale);
        } catch (e) {
          failures++;
          console.log(`FAIL ${method} / ${name} (repeat ${i + 1}): ${e.stack ?? e}`);
          break;
        }
      }
      console.log(`${method.padEnd(7)} ${name.padEnd(28)} x${repeat} scale ${scale}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  }
  console.log(failures ? `${failures} scenario(s) failed` : 'all scenarios passed');
  process.exit(failures ? 1 : 0);
}
