// The command line: `multiprocessing-ts map` as a user runs it (the package's bin, a module of
// task functions, JSON Lines in a file or on stdin), under both start methods.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { methods } from './helpers.mjs';

const bin = new URL('../bin/multiprocessing-ts.js', import.meta.url).pathname;
const tasks = new URL('fixtures/cli-tasks.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mpts-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name, text) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Runs the CLI; `input` goes to its stdin. Killed (and the test failed) after `timeout` ms. */
function cli(args, { input = '', timeout = 60_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`multiprocessing-ts ${args.join(' ')} did not finish in ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) });
    });
  });
}
const numbers = (n) => Array.from({ length: n }, (_, i) => i + 1);

for (const method of methods) {
  describe(`multiprocessing-ts map under '${method}'`, () => {
    const ctx = ['--context', method, '-p', '2'];

    it('squares 3000 lines of a file, in input order, and says so in one summary line on stderr', async () => {
      const input = file(`n-${method}.jsonl`, numbers(3000).join('\n') + '\n');
      const r = await cli(['map', `${tasks}#square`, input, ...ctx]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines.map(Number), numbers(3000).map((x) => x * x));
      // Off a terminal: no bar, one line.
      assert.match(r.stderr, /^multiprocessing-ts map: finished: 3000 done in [\d.]+ s \([\d.]+\/s\)\n$/);
    });

    it('--unordered gives every result once; stdin works; --chunksize fixed', async () => {
      const r = await cli(['map', `${tasks}#later`, '-u', '-c', '3', ...ctx], { input: numbers(200).join('\n') });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines.map(Number).sort((a, b) => a - b), numbers(200));
    });

    it('--star spreads array lines; blank lines and CRLF endings are skipped, line numbers still count them', async () => {
      const r = await cli(['map', `${tasks}#add`, '--star', '--on-error', 'record', ...ctx], { input: '[1, 2]\r\n\r\n[3, 4]\n   \n{"a": 1}\n["x", "y"]\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines.map((l) => JSON.parse(l)), [3, 7, { error: { name: 'TypeError', message: '--star needs each line to be a JSON array of arguments, got object', line: 5 } }, 'xy']);
    });

    it('--on-error fail (the default): exit 1, the results before the failing line, and its error with the user frame', async () => {
      const r = await cli(['map', `${tasks}#failOnMultiplesOf3`, ...ctx], { input: numbers(10).join('\n') });
      assert.equal(r.code, 1);
      assert.deepEqual(r.lines, ['1', '2']);
      assert.match(r.stderr, /multiprocessing-ts: line 3 failed: RangeError: 3 is a multiple of 3\n\s+at failOnMultiplesOf3 \(.*cli-tasks\.mjs:\d+:\d+\)/);
      assert.doesNotMatch(r.stderr, /runChunk|poolWorker/);
      assert.match(r.stderr, /stopped: 3 done, 1 failed \(stopped\)/);
    });

    it("--on-error record writes {\"error\": ...} in the failed lines' places; skip leaves them out; both exit 0", async () => {
      const rec = await cli(['map', `${tasks}#failOnMultiplesOf3`, '--on-error', 'record', '-c', '4', ...ctx], { input: numbers(7).join('\n') });
      assert.equal(rec.code, 0, rec.stderr);
      assert.deepEqual(rec.lines.map((l) => JSON.parse(l)), [1, 2, { error: { name: 'RangeError', message: '3 is a multiple of 3', line: 3 } }, 4, 5, { error: { name: 'RangeError', message: '6 is a multiple of 3', line: 6 } }, 7]);
      assert.match(rec.stderr, /7 done, 2 failed \(recorded\)/);
      const skip = await cli(['map', `${tasks}#failOnMultiplesOf3`, '--on-error', 'skip', ...ctx], { input: numbers(7).join('\n') });
      assert.equal(skip.code, 0, skip.stderr);
      assert.deepEqual(skip.lines, ['1', '2', '4', '5', '7']);
    });

    it('--timeout: a task over its limit fails alone (its worker is replaced); queued tasks are not timed while they wait', async () => {
      // 8 tasks of 300 ms on 2 workers take 1.2 s (or more on a loaded machine): with 2 s
      // each, only the endless one fails.
      const input = ['300', '300', '300', '100000', '300', '300', '300', '300'].join('\n');
      const started = Date.now();
      const r = await cli(['map', `${tasks}#spin`, '-t', '2000', '--on-error', 'record', ...ctx], { input });
      assert.equal(r.code, 0, r.stderr);
      const out = r.lines.map((l) => JSON.parse(l));
      assert.deepEqual(out, [300, 300, 300, { error: { name: 'TimeoutError', message: 'the task was not done within 2000 ms (--timeout 2000 per task)', line: 4 } }, 300, 300, 300, 300]);
      assert.ok(Date.now() - started < 30_000);
    });

    it('a worker that dies fails its line with WorkerLostError; the others go on', async () => {
      const r = await cli(['map', `${tasks}#exitOn`, '--on-error', 'record', ...ctx], { input: '"a"\n"exit"\n"b"\n' });
      assert.equal(r.code, 0, r.stderr);
      const out = r.lines.map((l) => JSON.parse(l));
      assert.equal(out[0], 'a');
      assert.equal(out[1].error.name, 'WorkerLostError');
      assert.match(out[1].error.message, /exited with code 7/);
      assert.equal(out[2], 'b');
    });
  });
}

describe('multiprocessing-ts map: values, files and mistakes', () => {
  it('writes values JSON lacks without losing them: BigInt digits, Map, Set, bytes, undefined, NaN, Error', async () => {
    const r = await cli(['map', `${tasks}#unusual`], { input: 'null\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"big":1180591620717411303424,"map":{"a":1},"set":[1,2],"bytes":[104,105],"nan":null,"error":{"name":"TypeError","message":"t"}}\n');
  });

  it('a line that is not JSON fails that line, naming it', async () => {
    const r = await cli(['map', `${tasks}#identity`, '--on-error', 'record'], { input: '1\n{oops\n"s"\n' });
    assert.equal(r.code, 0, r.stderr);
    const out = r.lines.map((l) => JSON.parse(l));
    assert.deepEqual([out[0], out[2]], [1, 's']);
    assert.equal(out[1].error.name, 'SyntaxError');
    assert.equal(out[1].error.line, 2);
    assert.match(out[1].error.message, /^the line is not JSON/);
  });

  it('--output writes a file; a relative module path is resolved from the current directory', async () => {
    const output = join(dir, 'out.jsonl');
    const r = await cli(['map', './test/fixtures/cli-tasks.mjs#square', '-', '-o', output], { input: '4\n5\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(output, 'utf8'), '16\n25\n');
  });

  it('an endless input streams: results come while it is read, and closing the output ends the program', async () => {
    // `yes 7 | multiprocessing-ts map ... | head -n 1000`: memory would grow without end if the input were read ahead.
    const r = spawnSync('bash', ['-c', `set -o pipefail; yes 7 | "${process.execPath}" "${bin}" map "${tasks}#square" | head -n 1000 | wc -l`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stdout.trim(), '1000', r.stderr);
    assert.match(r.stderr, /stopped/);
  });

  it('mistakes exit 2 with a message that names them', async () => {
    const cases = [
      [['map', `${tasks}#nope`], /has no exported function 'nope' \(its exported functions: .*square/],
      [['map', './no-such-module.mjs#f'], /cannot find the module \.\/no-such-module\.mjs/],
      [['map', `${tasks}#square`, join(dir, 'missing.jsonl')], /cannot read the input .*missing\.jsonl: no such file/],
      [['map', `${tasks}#square`, '--proceses', '2'], /unknown option '--proceses'\n\(Did you mean --processes\?\)/],
      [['map', `${tasks}#square`, '--chunksize', '0'], /--chunksize must be a positive integer, got '0'/],
      [['map', `${tasks}#square`, '--on-error', 'ignore'], /Allowed choices are fail, skip, record/],
      [['map', `${tasks}#square`, '--context', 'fork'], /Allowed choices are thread, process/],
      [['mop'], /unknown command 'mop'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, { input: '1\n' });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  it('--redis to an address where no Redis answers fails (exit 1) saying so, instead of waiting for ever', async () => {
    const r = await cli(['map', `${tasks}#square`, '--redis', 'redis://127.0.0.1:1'], { input: '1\n' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot reach Redis/);
    assert.equal(r.stdout, '');
  });

  it('on a terminal, a progress bar with done/total, rate, ETA and failures is drawn on stderr', () => {
    const input = file('bar.jsonl', Array(60).fill('30').join('\n') + '\n');
    const output = join(dir, 'bar-out.jsonl');
    // script(1) gives the program a terminal and records what it drew.
    const r = spawnSync('script', ['-qfec', `"${process.execPath}" "${bin}" map "${tasks}#spin" "${input}" -p 2 -o "${output}"`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(screen, /[█░]{30} \d+% \| \d+\/60 done \| [\d.]+\/s \| ETA \S+ \| 0 failed/);
    assert.match(screen, /100% \| 60\/60 done/);
    assert.match(screen, /finished: 60 done in/);
    assert.equal(readFileSync(output, 'utf8'), '30\n'.repeat(60));
  });

  it('the packed package carries the command and the files it runs', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const files = JSON.parse(r.stdout)[0].files.map((f) => f.path);
    for (const f of ['bin/multiprocessing-ts.js', 'dist/esm/cli/main.js', 'dist/esm/cli/task.js']) assert.ok(files.includes(f), `${f} is packed`);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(pkg.bin['multiprocessing-ts'], 'bin/multiprocessing-ts.js');
  });
});
