// `npm run bench [filter]`: every benchmark row, ours and the peers side by side, one table.
import * as mp from 'multiprocessing-ts';
import { runAll } from './harness.mjs';

if (mp.isMainProcess()) {
  await import('./core.bench.mjs');
  await import('./sync.bench.mjs');
  await import('./queues.bench.mjs');
  await import('./net.bench.mjs');
  const { closeManagers } = await import('./managers.bench.mjs');
  const { closePools } = await import('./pool.bench.mjs');
  const { closeRedis } = await import('./redis.bench.mjs');
  const table = await runAll(process.argv[2]);
  console.log(`\n${table}\n`);
  await closePools();
  await closeManagers();
  await closeRedis();
  process.exit(0);
}
