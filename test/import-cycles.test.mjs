// No module under src/ imports itself back through others (issue 15): each layer can be read,
// and tested, apart from the ones above it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('no import cycle among the source modules', { timeout: 30_000 }, () => {
  const r = spawnSync(process.execPath, ['scripts/check-cycles.mjs', 'src'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no import cycle among \d+ modules/);
});

test('the checker does find a cycle', { timeout: 30_000 }, async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mpts-cycle-'));
  try {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    writeFileSync(join(dir, 'b.ts'), "import { x } from './a.js';\nexport type B = number;\n");
    const r = spawnSync(process.execPath, [join(root, 'scripts/check-cycles.mjs'), dir], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /import cycle: .*a\.ts -> .*b\.ts -> .*a\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
