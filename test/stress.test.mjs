// The short version of `npm run stress`: each contention scenario once, small, per start method.
import { describe, it } from 'node:test';
import * as mp from 'multiprocessing-ts';
import { scenarios } from '../stress/scenarios.mjs';
import { methods } from './helpers.mjs';

for (const method of methods) {
  describe(`stress (short) under '${method}'`, () => {
    for (const [name, run] of Object.entries(scenarios)) it(name, () => run(mp.getContext(method), 1));
  });
}

describe('stress (short) on the JS core (no native addon: SharedArrayBuffer + Atomics, thread only)', () => {
  it('every scenario passes under thread', async () => {
    const { runNode } = await import('./helpers.mjs');
    const r = await runNode([new URL('../stress/run.mjs', import.meta.url).pathname, '--method', 'thread', '--repeat', '1', '--scale', '1'], { env: { MPTS_NO_NATIVE: '1' } });
    if (r.code !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
  });
});
