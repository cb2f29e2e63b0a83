// `npm test`: builds, then runs every test file under node:test with a per-test time limit,
// and fails if any test leaves a /dev/shm/mpts-* segment behind.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']) !== 0) process.exit(1);
if (run(process.execPath, ['scripts/build-js.mjs']) !== 0) process.exit(1);

const only = process.argv.slice(2);
const files = only.length ? only : readdirSync('test').filter((f) => f.endsWith('.test.mjs')).sort().map((f) => `test/${f}`);
const before = new Set(shmSegments());
const status = run(process.execPath, ['--test', '--test-timeout=120000', '--test-concurrency=1', ...files]);
const leaked = shmSegments().filter((s) => !before.has(s));
if (leaked.length) {
  console.error(`tests left shared-memory segments behind: ${leaked.join(', ')}`);
  process.exit(1);
}
process.exit(status);

function shmSegments() {
  try {
    return readdirSync('/dev/shm').filter((f) => f.startsWith('mpts-'));
  } catch {
    return [];
  }
}
