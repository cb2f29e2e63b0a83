// The published declarations, as a strict TypeScript user sees them (with the project's
// TypeScript, the newest): a program using the public API compiles with Node's types, and one
// compiles without them (no @types/node, no `types: ["node"]`, no esnext lib); in the latter,
// every wrong call of a task (arguments or items of the wrong type or count) is a type error:
// each is marked `@ts-expect-error`, which the compiler rejects when the line is not an error.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { runNode } from './helpers.mjs';

const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const project = (p) => new URL(`./fixtures/types/${p}`, import.meta.url).pathname;

describe('type declarations', () => {
  it('a strict TypeScript program using the public API with Node types type-checks', async () => {
    const r = await runNode([tsc, '-p', project('tsconfig.json')], { timeout: 110_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('without Node types the declarations compile; each wrong call of a task is a type error', async () => {
    const r = await runNode([tsc, '-p', project('standalone/tsconfig.json'), '--pretty', 'false'], { timeout: 110_000 });
    assert.equal(r.stdout + r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('the wrong calls fail for the reason given (the compiler names the mismatch)', async () => {
    // The same file with its @ts-expect-error lines removed: every wrong call reports its error.
    const src = readFileSync(project('standalone/standalone.mts'), 'utf8');
    const expected = src.split('\n').filter((l) => l.startsWith('// @ts-expect-error')).length;
    const dir = mkdtempSync(join(project('standalone'), 'tmp-'));
    try {
      writeFileSync(join(dir, 'bad.mts'), src.replace(/^\/\/ @ts-expect-error.*$/gm, '//'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', include: ['bad.mts'] }));
      const r = await runNode([tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { timeout: 110_000 });
      const lines = new Set(r.stdout.split('\n').filter((l) => l.includes('error TS')).map((l) => l.split(':')[0]));
      assert.equal(lines.size, expected, r.stdout);
      assert.notEqual(r.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
