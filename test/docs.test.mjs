// The documentation cannot lie: every code block of README.md and docs/*.md runs here.
// - ```js and ```ts blocks run as modules (ts under tsx), in a directory of their document
//   where the package resolves by name; `import * as mp from 'multiprocessing-ts'` is added
//   to a block that does not import the package itself. They must exit 0.
// - A block whose info string says `file=NAME` (```js file=tasks.mjs, ```jsonl file=data.jsonl,
//   ```python file=client.py) is written to that file instead, for the blocks after it.
// - ```sh run blocks run in bash there (the package's command is on the PATH, as after an
//   install); other ```sh blocks may hold only npm commands (the README's, which CI runs).
// - A ```text block right after a block that runs is the output it must print, exactly.
// Also: the API reference builds (TypeDoc, warnings are errors), and no document links to a
// file that is not in the repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCommand } from './helpers.mjs';

const root = new URL('..', import.meta.url).pathname;
const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** The fenced blocks of a markdown text: language, info string, body, line. */
function blocks(text) {
  const out = [];
  const re = /^```(\w*)([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let m; (m = re.exec(text)); ) out.push({ lang: m[1], info: m[2].trim(), body: m[3], line: text.slice(0, m.index).split('\n').length });
  return out;
}

const runs = (b) => ((b.lang === 'js' || b.lang === 'ts') && !/\bfile=/.test(b.info)) || (b.lang === 'sh' && /\brun\b/.test(b.info));

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'mpts-docs-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'multiprocessing-ts'));
  symlinkSync(join(root, 'bin', 'multiprocessing-ts.js'), join(dir, 'node_modules', '.bin', 'multiprocessing-ts'));
  symlinkSync(join(root, 'node_modules', 'tsx'), join(dir, 'node_modules', 'tsx'));
  return dir;
}

for (const doc of documents) {
  const text = readFileSync(join(root, doc), 'utf8');
  const list = blocks(text);
  describe(`${doc}: every code block`, () => {
    const dir = sandbox();
    after(() => rmSync(dir, { recursive: true, force: true }));
    for (const b of list) {
      const file = /\bfile=(\S+)/.exec(b.info)?.[1];
      if (file) writeFileSync(join(dir, file), b.body);
    }
    it('has only blocks that run, write a file, show an output, or are npm commands', () => {
      list.forEach((b, i) => {
        const where = `${doc}:${b.line}`;
        if (runs(b) || /\bfile=/.test(b.info)) return;
        if (b.lang === 'text') return assert.ok(i > 0 && runs(list[i - 1]), `${where}: a text block must follow a block that runs (it is its output)`);
        if (b.lang === 'sh') return assert.ok(b.body.trim().split('\n').every((l) => /^(npm |#|$)/.test(l.trim())), `${where}: a sh block that is not 'run' may hold only npm commands`);
        assert.fail(`${where}: a \`\`\`${b.lang} block that no test runs`);
      });
    });
    list.forEach((b, i) => {
      if (!runs(b)) return;
      it(`block at line ${b.line} (${b.lang}) runs${list[i + 1]?.lang === 'text' ? ' and prints what the document shows' : ''}`, async () => {
        let r;
        if (b.lang === 'sh') {
          r = await runCommand('bash', ['-eo', 'pipefail', '-c', `cd "${dir}"\n${b.body}`], { env: { PATH: `${join(dir, 'node_modules', '.bin')}:${dirname(process.execPath)}:${process.env.PATH}` }, timeout: 60_000, cwd: dir });
        } else {
          const name = join(dir, `block-${b.line}.${b.lang === 'ts' ? 'mts' : 'mjs'}`);
          const imports = /from 'multiprocessing-ts'/.test(b.body) ? '' : "import * as mp from 'multiprocessing-ts';\n";
          writeFileSync(name, imports + b.body);
          r = await runCommand(process.execPath, [...(b.lang === 'ts' ? ['--import', 'tsx'] : []), name], { timeout: 60_000, cwd: dir });
        }
        assert.equal(r.code, 0, `${doc}:${b.line} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
        const expected = list[i + 1]?.lang === 'text' ? list[i + 1].body : null;
        if (expected !== null) assert.equal(r.stdout.trimEnd(), expected.trimEnd(), `${doc}:${b.line} printed something else than the document says`);
      });
    });
  });
}

it('no document links to a file outside the repository or to one that does not exist', () => {
  for (const doc of documents) {
    const text = readFileSync(join(root, doc), 'utf8');
    assert.doesNotMatch(text, /\.\.\/shared|shared\/API\.md/, `${doc} refers to the contract outside the repository`);
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const path = resolve(root, dirname(doc), target);
      assert.ok(path.startsWith(root), `${doc} links outside the repository: ${target}`);
      if (!path.startsWith(join(root, 'docs', 'api'))) assert.ok(existsSync(path), `${doc} links to ${target}, which does not exist`);
    }
  }
});

it('the API reference builds from the doc comments with no warning (npm run docs, TypeDoc)', () => {
  // As `npm run docs` runs it: TypeDoc given TypeScript 6 (scripts/typedoc-typescript.mjs).
  const r = spawnSync(process.execPath, ['--import', './scripts/typedoc-typescript.mjs', join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--emit', 'none'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /\[warning\]/);
});
