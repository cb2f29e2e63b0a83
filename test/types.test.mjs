// The published declarations, as a strict TypeScript user sees them: a file using the public
// API (factories called with and without `new`, typed Values and Arrays, Pool.map) compiles.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { runNode } from './helpers.mjs';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = new URL('./fixtures/types/tsconfig.json', import.meta.url).pathname;

describe('type declarations', () => {
  it('a strict TypeScript program using the public API type-checks', async () => {
    const r = await runNode([tsc, '-p', project], { timeout: 110_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
