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
