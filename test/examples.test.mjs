import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runNode } from './helpers.mjs';

it('the demo (seed examples that run today) runs under both start methods', async () => {
  const r = await runNode([new URL('../examples/demo.mjs', import.meta.url).pathname]);
  assert.equal(r.code, 0, r.stderr);
  for (const method of ['thread', 'process']) assert.match(r.stdout, new RegExp(`--- start method: ${method}\\nhello bob \\(from Process-\\d+`));
  const numbers = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number).sort((a, b) => a - b);
  assert.deepEqual(numbers, [...Array.from({ length: 10 }, (_, i) => i * 43), ...Array.from({ length: 10 }, (_, i) => i * 43)].sort((a, b) => a - b));
  assert.equal(r.stdout.match(/stopped\[SIGTERM\]\)> false/g).length, 2);
  assert.equal(r.stdout.match(/exitcode == -SIGTERM: true/g).length, 2);
});
