// Shared by the tests: run a Node script as a separate program and collect what it printed.
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { readFileSync } from 'node:fs';

export const methods = ['thread', 'process'];

export function runNode(args, options) {
  return runCommand(process.execPath, args, options);
}

/** Runs any program (python3 for the differential tests), killed after `timeout` ms. */
export function runCommand(command, args, { env = {}, timeout = 60_000, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
  });
}

export function jsonLines(text) {
  return text.split('\n').filter((l) => l.startsWith('{') || l.startsWith('[')).map((l) => JSON.parse(l));
}

/**
 * For a describe() block: run(target, ...args) starts a child of the context and returns it;
 * any still running when the block ends is killed.
 */
export function childRunner(ctx) {
  const started = [];
  after(() => {
    for (const p of started) if (p.exitcode === null) p.kill();
  });
  return (target, ...args) => {
    const p = ctx.Process({ target, args });
    p.start();
    started.push(p);
    return p;
  };
}

/** The process has exited (missing, or a zombie waiting for its parent to reap it). */
export async function gone(pid, ms = 3000) {
  const until = Date.now() + ms;
  for (;;) {
    let state;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      state = stat[stat.lastIndexOf(')') + 2];
    } catch {
      return true;
    }
    if (state === 'Z' || state === 'X') return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

